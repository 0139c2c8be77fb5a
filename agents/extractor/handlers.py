"""Extractor: method-browsed -> components-extracted, or a failed basket that says why."""

from __future__ import annotations

import logging
from typing import Any

from agents.baskets import set_status
from agents.extractor.extract import NoMethodFound, extract_method
from schemas.envelope import Envelope
from schemas.events import BasketStatus, ComponentsExtracted, MethodBrowsed
from streams.persistence import UnitOfWork

log = logging.getLogger(__name__)


def on_method_browsed(envelope: Envelope[Any], uow: UnitOfWork) -> None:
    browsed: MethodBrowsed = envelope.data
    basket_id = browsed.basket_id
    if browsed.components:
        extracted = ComponentsExtracted(
            basket_id=basket_id,
            url=browsed.url,
            method_kind="list",
            components=browsed.components,
            quote=browsed.quote,
        )
    elif browsed.html is None:
        reason = "the event carries neither the page's html nor a component list"
        set_status(uow, basket_id, BasketStatus.failed, reason, url=browsed.url)
        return
    else:
        try:
            method = extract_method(browsed.html, browsed.url)
        except NoMethodFound as exc:
            set_status(uow, basket_id, BasketStatus.failed, f"no components: {exc}", url=browsed.url)
            return
        except Exception as exc:  # a page that breaks the extractor still gets an answer
            log.exception("extraction failed for %s", browsed.url)
            reason = f"extraction failed: {type(exc).__name__}: {exc}"[:1000]
            set_status(uow, basket_id, BasketStatus.failed, reason, url=browsed.url)
            return
        if not method.components:
            set_status(uow, basket_id, BasketStatus.failed, "the method lists no components", url=browsed.url)
            return
        extracted = ComponentsExtracted(
            basket_id=basket_id,
            url=browsed.url,
            title=method.title,
            method_kind=method.kind,
            components=method.components,
            quote=browsed.quote,
        )
    set_status(uow, basket_id, BasketStatus.extracted, url=browsed.url)
    uow.emit(extracted)
