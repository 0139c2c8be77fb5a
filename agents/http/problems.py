"""How the HTTP service says no: every error answer is a `Problem` whose `detail` says what is wrong and
how to fix it; the statuses every route may answer are documented once."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Problem(BaseModel):
    """Every error answer: `detail` says what is wrong and how to fix it (a list for 422s on fields)."""

    detail: str | list[dict[str, Any]]


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": description}
    for status, description in (
        (400, "The body cannot be read (not JSON, or not the declared form)"),
        (401, "A key or token is missing or wrong"),
        (403, "Not allowed from here, or the basket's token does not fit"),
        (404, "Nothing there (yet)"),
        (409, "Not in a state that allows it (e.g. quotes were asked already)"),
        (413, "Too large"),
        (
            429,
            "Too many at once from here (baskets started, pages of one site, live streams): see Retry-After",
        ),
        (503, "The event bus or a dependency is unavailable: retry"),
    )
}
