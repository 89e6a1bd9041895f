"""Training: the run configuration, the device, the training loop, data-parallel processes and the batch prefetcher (docs/run-folders.md, docs/distributed.md)."""
