"""Schema evolution: events of an older version, read back from the archive or a topic, are brought to
the current version before they are validated. Each upcaster takes a whole CloudEvent document of one
type and returns the document of the next version; `upcast` applies them until the type is current.

    dev.kitting.basket.status-changed.v1 -> v2   `at` became required: a v1 event without it
                                                 changed at its CloudEvent `time`
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Document = dict[str, Any]


def _basket_status_v1_to_v2(document: Document) -> Document:
    data = dict(document.get("data") or {})
    data.setdefault("at", document.get("time"))
    return {**document, "type": "dev.kitting.basket.status-changed.v2", "data": data}


UPCASTERS: dict[str, Callable[[Document], Document]] = {
    "dev.kitting.basket.status-changed.v1": _basket_status_v1_to_v2,
}
MAX_STEPS = 20


def upcast(document: Document) -> Document:
    """The document at the current version of its type (unchanged when it already is, or unknown)."""
    for _ in range(MAX_STEPS):
        step = UPCASTERS.get(document.get("type"))  # type: ignore[arg-type]
        if step is None:
            return document
        document = step(document)
    raise ValueError(f"upcasting {document.get('type')!r} does not end")
