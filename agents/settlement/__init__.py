"""The settlement role."""
