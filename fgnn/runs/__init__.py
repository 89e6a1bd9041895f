"""Run folders: their files, their lock, starting and stopping the training process (docs/run-folders.md)."""
