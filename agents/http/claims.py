"""The link an upstream page gets to open the terminal on its basket carries a claim, not the basket's
token: the page's own scripts (any of them) see the link, and the token would let them follow the
basket to its pickup code. The terminal, on Kitting's own origin, trades the claim for the token once;
a second claim of the same basket is refused (so a script that claimed first shows up as a link that
no longer opens, never as a silent reader)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from streams.persistence import Base, UtcDateTime, utcnow


class BasketClaim(Base):
    """A basket whose upstream link was traded for its token already."""

    __tablename__ = "basket_claims"

    basket_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ClaimRefused(ValueError):
    """A claim that does not fit its basket, or was used already; the message says which."""


def claim_code(key: bytes, basket_id: str) -> str:
    subkey = hmac.new(key, b"kitting-basket-claims", hashlib.sha256).digest()
    return "kl_" + hmac.new(subkey, basket_id.encode(), hashlib.sha256).hexdigest()[:32]


def redeem(session: Session, key: bytes, basket_id: str, code: str) -> None:
    """Mark the claim used; raises ClaimRefused when it does not fit or was used."""
    if not hmac.compare_digest(claim_code(key, basket_id).encode(), code.encode()):
        raise ClaimRefused("this link does not fit its basket: open the page and press the button again")
    try:
        with session.begin_nested():
            session.add(BasketClaim(basket_id=basket_id))
    except IntegrityError:
        raise ClaimRefused(
            "this link was opened already: open the page and press the button again for a basket of your own"
        ) from None
