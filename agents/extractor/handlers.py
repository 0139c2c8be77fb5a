"""Extractor: method-browsed -> components-extracted. The page comes from the event, else it is
fetched (before the transaction). A page without components still gets its event, with an empty
list and the reason, and the basket fails with that reason."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agents.baskets import set_status
from agents.extractor.extract import ExtractedMethod, extract_method
from agents.extractor.fetch import FetchedPage, FetchFailed, fetch_page
from schemas.envelope import Envelope
from schemas.events import BasketStatus, ComponentsExtracted, MethodBrowsed
from streams.persistence import UnitOfWork

log = logging.getLogger(__name__)
REMEMBERED_FAILURES = 1000


def method_of(browsed: MethodBrowsed, fetch_failure: str | None = None) -> ExtractedMethod:
    if browsed.components:
        return ExtractedMethod(None, "none", browsed.components, "site-list")
    if browsed.html is None:
        reason = f"the page could not be fetched: {fetch_failure}" if fetch_failure else "no page and no list"
        return ExtractedMethod(None, "none", [], "none", reason=reason)
    try:
        return extract_method(browsed.html, browsed.url)
    except Exception as exc:  # a page that breaks the extractor still gets an answer
        log.exception("extraction failed for %s", browsed.url)
        reason = f"extraction failed: {type(exc).__name__}: {exc}"[:1000]
        return ExtractedMethod(None, "none", [], "none", reason=reason)


@dataclass
class Extractor:
    fetch: Callable[[str], Awaitable[FetchedPage]] = fetch_page
    _fetch_failures: OrderedDict[str, str] = field(default_factory=OrderedDict)

    async def prepare(self, envelope: Envelope[Any]) -> Envelope[Any]:
        """Fetch the page when the event carries neither it nor a list (outside any transaction)."""
        browsed: MethodBrowsed = envelope.data
        if browsed.html is not None or browsed.components:
            return envelope
        try:
            page = await self.fetch(browsed.url)
        except FetchFailed as exc:
            self._fetch_failures[envelope.id] = str(exc)
            while len(self._fetch_failures) > REMEMBERED_FAILURES:
                self._fetch_failures.popitem(last=False)
            return envelope
        return envelope.model_copy(update={"data": browsed.model_copy(update={"html": page.html})})

    def on_method_browsed(self, envelope: Envelope[Any], uow: UnitOfWork) -> None:
        browsed: MethodBrowsed = envelope.data
        method = method_of(browsed, self._fetch_failures.pop(envelope.id, None))
        uow.emit(
            ComponentsExtracted(
                basket_id=browsed.basket_id, url=browsed.url, title=method.title,
                method_kind="list" if method.source == "site-list" else method.kind,
                components=method.components, quote=browsed.quote, source=method.source,
                method_yield=method.method_yield, reason=method.reason,
            )
        )  # fmt: skip
        if method.components:
            set_status(uow, browsed.basket_id, BasketStatus.extracted, url=browsed.url)
        else:
            reason = f"no components: {method.reason}"
            set_status(uow, browsed.basket_id, BasketStatus.failed, reason, url=browsed.url)
