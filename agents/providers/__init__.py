"""The providers role."""
