"""Calls Kitting makes to addresses others give it (a page to read, a provider's webhook)."""
