"""The router role."""
