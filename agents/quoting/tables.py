"""Quote rounds (opened by the router, decided once by the coordinator) and every offer received."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from streams.persistence import Base, UtcDateTime, utcnow


class QuoteRound(Base):
    __tablename__ = "quote_rounds"

    request_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    basket_id: Mapped[str] = mapped_column(String(200), index=True)
    needs: Mapped[str] = mapped_column(Text, doc="JSON list of every QuoteLine of the basket")
    addressed: Mapped[str] = mapped_column(Text, doc="JSON list of provider ids")
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    deadline: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)  # open | closed
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(20), nullable=True)  # all-answered | deadline
    decision: Mapped[str | None] = mapped_column(
        Text, nullable=True, doc="The inputs the selection saw and the ProvidersSelected it made (JSON)"
    )
    sent_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime,
        nullable=True,
        doc="When the coordinator saw its requests on the bus: the deadline counts from it",
    )
    proposal_expires_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, nullable=True, index=True, doc="Until when the person may confirm its proposal"
    )


class ReceivedOffer(Base):
    """Every offer as it arrived, late ones included (they are kept, not used)."""

    __tablename__ = "offers"

    request_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    basket_id: Mapped[str] = mapped_column(String(200), index=True)
    offer_json: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    answer_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
