"""Settlement: what the ordering saga asks of the accounting agent, per order and action, with the
amounts split per payee and an idempotency key."""
