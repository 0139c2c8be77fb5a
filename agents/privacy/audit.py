"""The privacy audit log: which party received which personal fields, for which order, in which event,
sealed or in clear, and why contact data was withheld when it was."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import Boolean, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from streams.persistence import Base, UtcDateTime, utcnow


class AuditEntry(Base):
    __tablename__ = "privacy_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    basket_id: Mapped[str] = mapped_column(String(200), index=True)
    order_id: Mapped[str] = mapped_column(String(200), index=True)
    party_id: Mapped[str] = mapped_column(String(200))
    party_kind: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(64), doc="The pseudonym the party got")
    fields: Mapped[str] = mapped_column(Text, doc="JSON list of the personal fields it received")
    sealed: Mapped[bool] = mapped_column(Boolean)
    withheld: Mapped[str | None] = mapped_column(String(500), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AuditView(BaseModel):
    id: int
    basket_id: str
    order_id: str
    party_id: str
    party_kind: str
    event_type: str
    topic: str
    reference: str
    fields: list[str]
    sealed: bool
    withheld: str | None
    recorded_at: datetime


def record(
    session: Session,
    *,
    basket_id: str,
    order_id: str,
    party_id: str,
    party_kind: str,
    event_type: str,
    topic: str,
    reference: str,
    fields: Sequence[str],
    sealed: bool,
    withheld: str | None = None,
) -> None:
    """Note that `party_id` received `fields` (names only, never values) in one event."""
    if isinstance(fields, str):
        raise TypeError("fields is a sequence of field names, not one string")
    session.add(
        AuditEntry(
            basket_id=basket_id, order_id=order_id, party_id=party_id, party_kind=str(party_kind),
            event_type=event_type, topic=topic, reference=reference, fields=json.dumps(list(fields)),
            sealed=sealed, withheld=withheld,
        )
    )  # fmt: skip


def _view(row: AuditEntry) -> AuditView:
    return AuditView(
        id=row.id, basket_id=row.basket_id, order_id=row.order_id, party_id=row.party_id,
        party_kind=row.party_kind, event_type=row.event_type, topic=row.topic, reference=row.reference,
        fields=json.loads(row.fields), sealed=row.sealed, withheld=row.withheld, recorded_at=row.recorded_at,
    )  # fmt: skip


def audit_of(session: Session, order_id: str) -> list[AuditView]:
    rows = session.scalars(select(AuditEntry).where(AuditEntry.order_id == order_id).order_by(AuditEntry.id))
    return [_view(r) for r in rows]


def audit_of_basket(session: Session, basket_id: str) -> list[AuditView]:
    rows = session.scalars(
        select(AuditEntry).where(AuditEntry.basket_id == basket_id).order_by(AuditEntry.id)
    )
    return [_view(r) for r in rows]
