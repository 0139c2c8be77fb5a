"""The ordering role."""
