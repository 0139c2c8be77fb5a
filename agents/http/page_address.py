"""A job method page's address as a person or a client gives it: a full http(s) address, said in words
the person understands when it is not one ("hello" is refused with the reason, not taken and failed later)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator, Field

FULL_ADDRESS = re.compile(r"^https?://[^\s/?#]+")


def page_address(url: object) -> object:
    if isinstance(url, str) and not FULL_ADDRESS.match(url.strip()):
        raise ValueError("give the page's full address, starting with http:// or https://")
    return url.strip() if isinstance(url, str) else url


PageAddress = Annotated[
    str,
    BeforeValidator(page_address),
    Field(min_length=1, max_length=2000, pattern=FULL_ADDRESS.pattern, description="The page's full address"),
]
