"""Bundled demo material."""
