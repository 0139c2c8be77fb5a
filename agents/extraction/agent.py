"""Extractor agent: reads method-browsed; pages are read in the sandbox, a few at once, and kept in the
database for every worker (pages read before are not read again; kept pages are forgotten hourly after
their time)."""

import functools

from agents.extraction.fetch import fetch_page
from agents.extraction.handlers import Extractor, warm_reader
from agents.extraction.method_providers import MethodProviderRegistry
from agents.extraction.offline_tagger import ensure_tagger
from agents.extraction.read_pages import ReadPages
from streams.app import RoleHost
from streams.topics import Topic

FORGET_EVERY_S = 3600.0


def register(app: RoleHost) -> None:
    ensure_tagger()  # fail at start, with the fix, rather than on every line
    private = frozenset(h.strip() for h in app.settings.fetch_private_hosts.split(",") if h.strip())
    extractor = Extractor(
        registry=MethodProviderRegistry.from_settings(app.settings),
        fetch=functools.partial(fetch_page, private_hosts=private),
        sandbox=app.sandbox,
        pages=ReadPages(app.database),
    )
    app.every(FORGET_EVERY_S, "extractor.forget-read-pages", app.in_unit_of_work(ReadPages.forget_old))
    app.sandbox.warm_up(warm_reader)
    app.consume(
        Topic.METHOD_BROWSED, "extractor", extractor.on_method_browsed, prepare=extractor.prepare,
        concurrency=app.settings.job_workers,  # a slow page holds one lane; the others go on
    )  # fmt: skip
