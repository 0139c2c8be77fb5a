"""The delivery role."""
