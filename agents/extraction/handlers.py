"""Extractor: method-browsed -> components-extracted. The page comes from the event, else it is
fetched (before the transaction). A page without components still gets its event, with an empty
list and the reason, and the basket fails with that reason."""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agents.baskets.store import remember_extraction, set_status
from agents.extraction.extract import ExtractedMethod, extract_method
from agents.extraction.fetch import FetchedPage, FetchFailed, fetch_page
from agents.extraction.method_providers import MethodProviderRegistry, ask_providers, method_from_lists
from agents.extraction.read_pages import ReadPages, reader_version
from agents.extraction.text import extract_text
from schemas.envelope import Envelope
from schemas.events import BasketStatus, ComponentsExtracted, MethodBrowsed, ProvidedList
from streams.persistence import UnitOfWork
from streams.sandbox import InlineSandbox, JobTooHeavy, Sandbox
from streams.settings import MethodProviderConfig

log = logging.getLogger(__name__)
REMEMBERED = 1000
READ_PAGES_KEPT = 2000  # pages read, by content: a page viewed again is not read again


def method_of(browsed: MethodBrowsed, fetch_failure: str | None = None) -> ExtractedMethod:
    if browsed.components:
        return ExtractedMethod.listed(browsed.components, "site-list", browsed.method_yield)
    if browsed.unreadable:
        return ExtractedMethod.empty(
            f"the {browsed.channel or 'job'} could not be read: {browsed.unreadable}"
        )
    if browsed.text is not None:
        return extract_text(browsed.text, f"{browsed.channel or 'text'}-text")
    if browsed.html is None:
        reason = f"the page could not be fetched: {fetch_failure}" if fetch_failure else "no page and no list"
        return ExtractedMethod.empty(reason)
    try:
        return extract_method(browsed.html, browsed.url)
    except Exception as exc:  # a page that breaks the extractor still gets an answer
        log.exception("extraction failed for %s", browsed.url)
        reason = f"extraction failed: {type(exc).__name__}: {exc}"[:1000]
        return ExtractedMethod.empty(reason)


def content_key(browsed: MethodBrowsed) -> str | None:
    """What a job's reading depends on: the reading code, the job's address and its page (or text); None
    for a job read from lists or with nothing to read."""
    if browsed.components or browsed.unreadable:
        return None
    content = browsed.html if browsed.html is not None else browsed.text
    if content is None:
        return None
    digest = hashlib.sha256()
    kind = "html" if browsed.html is not None else "text"
    for part in (reader_version(), browsed.url, browsed.channel or "", kind, content):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


@dataclass
class Prepared:
    """What `prepare` found out before the transaction, for the handler."""

    fetch_failure: str | None = None
    lists: list[ProvidedList] = field(default_factory=list)
    method_yield: str | None = None
    list_failures: list[str] = field(default_factory=list)
    method: ExtractedMethod | None = None  # read in the sandbox
    unkept: str | None = None  # the content key of a page read now, for the shared store of read pages


def read_method(browsed: MethodBrowsed, prepared: Prepared) -> ExtractedMethod:
    """The job's components: from its sites' lists, else from the job itself (the page, text, list).
    Runs in the sandbox (streams/sandbox.py): heavy, and the page is untrusted."""
    if prepared.lists:
        return method_from_lists(prepared.lists, prepared.method_yield)
    return method_of(browsed, prepared.fetch_failure)


AskProviders = Callable[
    [list[MethodProviderConfig], str], Awaitable[tuple[list[ProvidedList], str | None, list[str]]]
]


def warm_reader() -> int:
    """Loads what reading needs (the parser and its model) in a sandbox process before the first job."""
    return len(
        extract_method(
            "<ul class='ingredients'><li>1 cup flour</li></ul>", "https://warm.example/"
        ).components
    )


@dataclass
class Extractor:
    registry: MethodProviderRegistry = field(default_factory=lambda: MethodProviderRegistry(()))
    fetch: Callable[[str], Awaitable[FetchedPage]] = fetch_page
    ask: AskProviders = ask_providers
    sandbox: Sandbox = field(default_factory=InlineSandbox)
    pages: ReadPages | None = None  # pages read before by any worker (None: this process's memory only)
    _prepared: OrderedDict[str, Prepared] = field(default_factory=OrderedDict)
    _read: OrderedDict[str, ExtractedMethod] = field(default_factory=OrderedDict)

    async def prepare(self, envelope: Envelope[Any]) -> Envelope[Any]:
        """Outside any transaction: ask the page's registered method providers for their lists; with
        none, fetch the page when the event does not carry it; then read the job in the sandbox."""
        browsed: MethodBrowsed = envelope.data
        prepared = Prepared()
        if not (browsed.components or browsed.text is not None or browsed.unreadable):
            envelope = await self.gather(envelope, prepared)
        prepared.method = await self.read(envelope.data, prepared)
        self._prepared[envelope.id] = prepared
        while len(self._prepared) > REMEMBERED:
            self._prepared.popitem(last=False)
        return envelope

    async def read(self, browsed: MethodBrowsed, prepared: Prepared) -> ExtractedMethod:
        """The job read in the sandbox; a page or text read before (the same content at the same address,
        by this worker or, through `pages`, by any) is not read again."""
        key = content_key(browsed) if not prepared.lists and prepared.fetch_failure is None else None
        if key is not None and key in self._read:
            self._read.move_to_end(key)
            return self._read[key]
        # only web pages are shared: a faxed or mailed text is one person's, and never comes again
        shared = self.pages if key is not None and browsed.html is not None else None
        method = shared.find(key) if shared is not None and key is not None else None
        if method is None:
            try:
                method = await self.sandbox.run(read_method, browsed, prepared)
            except JobTooHeavy as exc:
                return ExtractedMethod.empty(f"the page could not be read: {exc}")
            prepared.unkept = key if shared is not None else None
        if key is not None:
            self._read[key] = method
            while len(self._read) > READ_PAGES_KEPT:
                self._read.popitem(last=False)
        return method

    async def gather(self, envelope: Envelope[Any], prepared: Prepared) -> Envelope[Any]:
        """The site's lists, else the page itself."""
        browsed: MethodBrowsed = envelope.data
        providers = self.registry.for_url(browsed.url)
        if providers:
            prepared.lists, prepared.method_yield, prepared.list_failures = await self.ask(
                providers, browsed.url
            )
        if not prepared.lists and browsed.html is None:
            try:
                page = await self.fetch(browsed.url)
                envelope = envelope.model_copy(
                    update={"data": browsed.model_copy(update={"html": page.html})}
                )
            except FetchFailed as exc:
                prepared.fetch_failure = "; ".join([*prepared.list_failures, str(exc)])
            except Exception:  # whatever else a URL or a server does, the basket gets an answer
                log.exception("fetching %s failed", browsed.url)
                prepared.fetch_failure = "something went wrong reading it: try again, or paste its list"
        return envelope

    def on_method_browsed(self, envelope: Envelope[Any], uow: UnitOfWork) -> None:
        browsed: MethodBrowsed = envelope.data
        prepared = self._prepared.get(envelope.id)  # kept: a batch rolled back runs its handlers again
        if prepared is None or prepared.method is None:  # only when called without `prepare` (tests)
            prepared = prepared or Prepared()
            prepared.method = read_method(browsed, prepared)
        method = prepared.method
        if prepared.unkept is not None and self.pages is not None:
            self.pages.keep(uow, prepared.unkept, method)
        listed = method.source == "site-list" or bool(prepared.lists) or method.kind == "list"
        extracted = ComponentsExtracted(
            basket_id=browsed.basket_id, url=browsed.url, title=method.title,
            method_kind="list" if listed else method.kind,
            components=method.components, quote=browsed.quote, source=method.source,
            method_yield=method.method_yield, reason=method.reason,
            provided_lists=prepared.lists or None,
        )  # fmt: skip
        uow.emit(extracted)
        if method.components:
            set_status(uow, browsed.basket_id, BasketStatus.extracted, url=browsed.url)
        else:
            reason = f"no components: {method.reason}"
            set_status(uow, browsed.basket_id, BasketStatus.failed, reason, url=browsed.url)
        remember_extraction(uow, extracted, browsed.channel, browsed.origin)
