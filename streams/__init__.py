"""Kitting runtime: the Faust app, topic registry, broker runtime, codecs, persistence, CLI."""
