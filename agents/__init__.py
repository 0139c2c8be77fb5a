"""Everything above the runtime (see docs/architecture.md for the layers): roles (extraction, quoting,
ordering, providers), the libraries they share (selection, privacy, baskets, registry), the edges
(http, channels, analytics, cli, the composition root) and the reference providers."""
