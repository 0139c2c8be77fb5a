"""Kitting's runtime: the Faust app, topic registry, codec, record pipeline, persistence (unit of work,
idempotency ledger, outbox), publishing, broker, archive and migrations. It knows no role."""
