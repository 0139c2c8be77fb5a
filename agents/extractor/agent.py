"""Extractor agent: reads method-browsed."""

from agents.extractor.handlers import on_method_browsed
from streams.app import KittingApp
from streams.topics import Topic


def register(app: KittingApp) -> None:
    app.consume(Topic.METHOD_BROWSED, "extractor", on_method_browsed)
