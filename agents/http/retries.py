"""A failed basket tried again from the terminal: a new basket with the same components, linked to the
one it retries. The link is the new basket's `origin` ("terminal-retry:<id>"), and it counts only when
the new basket's id is the one derived from the old id here: anyone may name an origin in an event,
but only the holder of the old basket's token is handed the derived basket's token, so a forged
origin cannot reach another person's choices or contact details."""

from __future__ import annotations

import uuid

RETRY_ORIGIN = "terminal-retry:"
# the namespace of the ids derived here; a double click on "Try again" is one new basket
RETRIES = uuid.UUID("0c4f7d0e-5b1a-4e7a-9d1e-7a2f3c9e6b21")


def retry_basket_id(basket_id: str) -> str:
    """The id of the basket that tries `basket_id` again (always the same one)."""
    return str(uuid.uuid5(RETRIES, f"basket:{basket_id}"))


def retry_origin(basket_id: str) -> str:
    return f"{RETRY_ORIGIN}{basket_id}"


def retried_from(basket_id: str, origin: str | None) -> str | None:
    """The basket `basket_id` tries again, or None (not a retry, or an origin that does not fit its id)."""
    if not origin or not origin.startswith(RETRY_ORIGIN):
        return None
    previous = origin.removeprefix(RETRY_ORIGIN)
    return previous if previous and retry_basket_id(previous) == basket_id else None
