"""How a basket starts. Every way a job enters Kitting (the API, the terminal, an upstream site's
collector, the fax, e-mail and text channels, the spool folder, another server's CloudEvent, re-issued) makes
its method-browsed event here and puts it on the bus (`kitting demo` and the tests make theirs here
and send it with their own producer); the person's request for quotes re-sends the basket's job the
same way, with their choices."""

from __future__ import annotations

import uuid

from schemas.events import MethodBrowsed
from streams.publishing import Outgoing, Publisher, publish


def new_basket_id() -> str:
    return str(uuid.uuid4())


def basket_event(job: MethodBrowsed, *, source: str, event_id: str | None = None) -> Outgoing:
    """The event that starts `job`'s basket, from `source` (a URN naming the entry point); `event_id`
    when a repeat must be recognised as one (a file sent again, a double click). Raises EventTooLarge."""
    return Outgoing.of(job, source=source, event_id=event_id)


async def start_basket(
    publisher: Publisher, job: MethodBrowsed, *, source: str, event_id: str | None = None
) -> Outgoing:
    """Start `job`'s basket: its event on method-browsed. Raises EventTooLarge or PublishFailed."""
    event = basket_event(job, source=source, event_id=event_id)
    await publish(publisher, event)
    return event
