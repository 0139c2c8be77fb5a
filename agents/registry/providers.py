"""The provider registry (SQL): who can be asked for what, where, how to reach them, and how well they
answer. Component providers (shops), delivery services, accounting agents and method providers.

A provider manager fronts member providers: a member without an address of its own is reached at its
manager's address (e.g. one webhook for a chain's shops), but is still asked, chosen and paid as itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from pydantic import AwareDatetime, BaseModel
from sqlalchemy import BigInteger, Boolean, Integer, String, Table, Text, bindparam, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from schemas.providers import KAFKA_ADDRESS, Provider, ProviderKind
from streams.persistence import Base, UtcDateTime, utcnow


class ProviderRow(Base):
    __tablename__ = "providers"

    provider_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    categories: Mapped[str] = mapped_column(Text, default="[]", doc="JSON list")
    regions: Mapped[str] = mapped_column(Text, default="[]", doc="JSON list")
    address: Mapped[str] = mapped_column(String(2000), default=KAFKA_ADDRESS)
    manager_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    delivery_methods: Mapped[str] = mapped_column(Text, default="[]", doc="JSON list")
    payment_methods: Mapped[str] = mapped_column(Text, default="[]", doc="JSON list")
    public_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    signing_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    secret_generation: Mapped[int] = mapped_column(
        Integer,
        default=0,
        doc="Which webhook secret is current (agents/registry/secrets.py); rotating adds one",
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    answers: Mapped[int] = mapped_column(Integer, default=0)
    answer_ms_total: Mapped[int] = mapped_column(BigInteger, default=0)


PROVIDERS: Table = ProviderRow.__table__  # type: ignore[assignment]
"""The table itself, for statements that count in the database."""


class ProviderHealth(BaseModel):
    last_seen: AwareDatetime | None
    requests: int
    answers: int
    answer_rate: float | None
    mean_answer_ms: float | None


class ProviderView(Provider):
    health: ProviderHealth


class UnknownProvider(LookupError):
    pass


class DuplicateProvider(ValueError):
    pass


def _to_row(provider: Provider, row: ProviderRow) -> ProviderRow:
    row.name, row.kind = provider.name, provider.kind.value
    row.categories, row.regions = (
        json.dumps(sorted(provider.categories)),
        json.dumps(sorted(provider.regions)),
    )
    row.address, row.manager_id, row.public_key = provider.address, provider.manager_id, provider.public_key
    row.signing_key = provider.signing_key
    row.delivery_methods = json.dumps([m.value for m in provider.delivery_methods])
    row.payment_methods = json.dumps([m.value for m in provider.payment_methods])
    row.enabled = provider.enabled
    return row


def view(row: ProviderRow) -> ProviderView:
    requests, answers = row.requests or 0, row.answers or 0
    return ProviderView(
        provider_id=row.provider_id, name=row.name, kind=ProviderKind(row.kind),
        categories=json.loads(row.categories), regions=json.loads(row.regions), address=row.address,
        manager_id=row.manager_id, delivery_methods=json.loads(row.delivery_methods),
        payment_methods=json.loads(row.payment_methods), public_key=row.public_key,
        signing_key=row.signing_key, enabled=row.enabled,
        health=ProviderHealth(
            last_seen=row.last_seen, requests=requests, answers=answers,
            answer_rate=answers / requests if requests else None,
            mean_answer_ms=(row.answer_ms_total or 0) / answers if answers else None,
        ),
    )  # fmt: skip


def add_provider(session: Session, provider: Provider, replace: bool = False) -> ProviderView:
    """Register a provider; an existing id is an error unless `replace` (its health is kept)."""
    if provider.manager_id is not None:
        manager = session.get(ProviderRow, provider.manager_id)
        if manager is None:
            raise UnknownProvider(f"manager {provider.manager_id!r} is not registered; add it first")
    existing = session.get(ProviderRow, provider.provider_id)
    if existing is not None and not replace:
        raise DuplicateProvider(f"provider {provider.provider_id!r} exists; use replace to change it")
    row = _to_row(provider, existing or ProviderRow(provider_id=provider.provider_id))
    session.add(row)
    session.flush()
    return view(row)


def get_provider(session: Session, provider_id: str) -> ProviderView:
    row = session.get(ProviderRow, provider_id)
    if row is None:
        raise UnknownProvider(f"no provider {provider_id!r}; `kitting providers list` shows them")
    return view(row)


def list_providers(session: Session, kind: ProviderKind | None = None) -> list[ProviderView]:
    query = select(ProviderRow).order_by(ProviderRow.provider_id)
    if kind is not None:
        query = query.where(ProviderRow.kind == kind.value)
    return [view(row) for row in session.scalars(query)]


def set_enabled(session: Session, provider_id: str, enabled: bool) -> ProviderView:
    row = session.get(ProviderRow, provider_id)
    if row is None:
        raise UnknownProvider(f"no provider {provider_id!r}; `kitting providers list` shows them")
    row.enabled = enabled
    session.flush()
    return view(row)


def providers_for(session: Session, kind: ProviderKind, region: str) -> list[ProviderView]:
    """Enabled providers of a kind serving a region, by id (a deterministic order)."""
    rows = session.scalars(
        select(ProviderRow)
        .where(ProviderRow.kind == kind.value, ProviderRow.enabled.is_(True))
        .order_by(ProviderRow.provider_id)
    )
    return [view(row) for row in rows if region in json.loads(row.regions)]


@dataclass(frozen=True)
class Webhook:
    """Where a provider is reached by webhook, and whose secret signs the calls (the owner of the
    address: the provider itself, or its manager)."""

    address: str
    owner_id: str
    secret_generation: int


def webhook_of(session: Session, provider_id: str) -> Webhook | None:
    """The provider's webhook, or None (reached over Kafka, or unknown)."""
    row = session.get(ProviderRow, provider_id)
    if row is not None and not row.address and row.manager_id:
        row = session.get(ProviderRow, row.manager_id)
    if row is None or not row.address or row.address == KAFKA_ADDRESS:
        return None
    return Webhook(row.address, row.provider_id, row.secret_generation or 0)


def rotate_secret(session: Session, provider_id: str) -> int:
    """The next webhook secret of the provider becomes current; returns its generation."""
    row = session.get(ProviderRow, provider_id)
    if row is None:
        raise UnknownProvider(f"no provider {provider_id!r}; `kitting providers list` shows them")
    row.secret_generation = (row.secret_generation or 0) + 1
    session.flush()
    return row.secret_generation


def address_of(session: Session, provider_id: str) -> str | None:
    """Where a provider is reached: its own address, else its manager's."""
    row = session.get(ProviderRow, provider_id)
    if row is None:
        return None
    if row.address:
        return row.address
    manager = session.get(ProviderRow, row.manager_id) if row.manager_id else None
    return manager.address if manager is not None else None


def note_round(
    session: Session, addressed: Iterable[str], answered_ms: dict[str, int], seen_at: datetime
) -> None:
    """Health: each addressed provider was asked once; those in `answered_ms` answered in that time.
    Counted in the database (two statements, however many shops), so rounds decided at once on other
    workers add up rather than overwrite each other."""
    asked = sorted(set(addressed))  # rows locked in one order, as every worker takes them
    silent = [provider_id for provider_id in asked if provider_id not in answered_ms]
    if silent:
        session.execute(
            update(PROVIDERS)
            .where(PROVIDERS.c.provider_id.in_(silent))
            .values(requests=PROVIDERS.c.requests + 1)
        )
    answered = [{"asked": p, "ms": answered_ms[p]} for p in asked if p in answered_ms]
    if answered:
        session.execute(
            update(PROVIDERS)
            .where(PROVIDERS.c.provider_id == bindparam("asked"))
            .values(
                requests=PROVIDERS.c.requests + 1,
                answers=PROVIDERS.c.answers + 1,
                answer_ms_total=PROVIDERS.c.answer_ms_total + bindparam("ms"),
                last_seen=seen_at,
            ),
            answered,
        )


def ensure_registered(session: Session, providers: Iterable[Provider]) -> None:
    """Add the providers that are missing, and refresh the public and signing keys of those registered
    with others (the secret they are derived from may have been rotated). Used for the reference
    providers at start."""
    for provider in providers:
        row = session.get(ProviderRow, provider.provider_id)
        if row is None:
            session.add(_to_row(provider, ProviderRow(provider_id=provider.provider_id)))
            continue
        if provider.public_key is not None and row.public_key != provider.public_key:
            row.public_key = provider.public_key
        if provider.signing_key is not None and row.signing_key != provider.signing_key:
            row.signing_key = provider.signing_key
    session.flush()
