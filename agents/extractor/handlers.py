"""Extractor: method-browsed -> components-extracted (or a failed basket with the reason)."""

from __future__ import annotations

from typing import Any

import httpx

from agents.baskets import set_status
from agents.extractor.extract import NoMethodFound, extract_method
from schemas.envelope import Envelope
from schemas.events import BasketStatus, ComponentsExtracted, MethodBrowsed
from streams.persistence import UnitOfWork

FETCH_TIMEOUT_S = 10.0


def fetch_page(url: str) -> str:
    response = httpx.get(url, timeout=FETCH_TIMEOUT_S, follow_redirects=True)
    response.raise_for_status()
    return response.text


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
    else:
        try:
            page = browsed.html if browsed.html is not None else fetch_page(browsed.url)
            method = extract_method(page, browsed.url)
        except (NoMethodFound, httpx.HTTPError) as exc:
            set_status(uow, basket_id, BasketStatus.failed, f"no components: {exc}", url=browsed.url)
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
