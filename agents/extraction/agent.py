"""Extractor agent: reads method-browsed; pages are read in the sandbox, a few at once."""

from agents.extraction.handlers import Extractor
from agents.extraction.method_providers import MethodProviderRegistry
from agents.extraction.offline_tagger import ensure_tagger
from streams.app import RoleHost
from streams.topics import Topic


def register(app: RoleHost) -> None:
    ensure_tagger()  # fail at start, with the fix, rather than on every line
    extractor = Extractor(registry=MethodProviderRegistry.from_settings(app.settings), sandbox=app.sandbox)
    app.consume(
        Topic.METHOD_BROWSED, "extractor", extractor.on_method_browsed, prepare=extractor.prepare,
        concurrency=app.settings.job_workers,  # a slow page holds one lane; the others go on
    )  # fmt: skip
