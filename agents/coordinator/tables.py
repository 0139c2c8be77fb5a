"""Quote rounds and the offers gathered for them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from streams.persistence import Base, UtcDateTime, utcnow


class QuoteRound(Base):
    __tablename__ = "quote_rounds"

    request_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    basket_id: Mapped[str] = mapped_column(String(200), index=True)
    request_json: Mapped[str] = mapped_column(Text, doc="one of the round's quote-requested events")
    addressed: Mapped[str] = mapped_column(Text, doc="JSON list of provider ids")
    deadline: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)  # open | closed
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ReceivedOffer(Base):
    __tablename__ = "offers"

    request_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    basket_id: Mapped[str] = mapped_column(String(200))
    offer_json: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
