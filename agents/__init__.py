"""Kitting's roles. Each role keeps its domain logic in plain functions beside a thin agent module."""
