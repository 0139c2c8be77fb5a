"""The extractor role."""
