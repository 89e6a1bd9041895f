"""What the pages need that is not domain logic: the session builder, the teaching tour, paging, the item map projection, serving limits, uploads, run tables (docs/architecture.md)."""
