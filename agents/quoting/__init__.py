"""The quoting role, the one owner of quote rounds: the router asks the providers, the coordinator
aggregates their offers and decides each round by the person's priority."""
