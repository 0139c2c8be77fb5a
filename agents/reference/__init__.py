"""The reference providers: shops with real catalogues, their fleets and counters, a courier and an
accounting agent with a double-entry ledger. They use only the provider SDK and the contracts, as a
third-party provider would; the composition root hosts them in a worker."""
