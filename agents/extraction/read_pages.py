"""Pages read before, shared by every worker through the database: a page (or a faxed, mailed or posted
text) viewed again is not read again, whichever worker reads it first.

A page's reading depends only on its address, its channel and its content, and on the reading code: the
key (`content_key`) is a SHA-256 of those and of `READER`, the versions of the code that reads, so a
deploy with another reader reads every page anew. Each worker keeps the pages it met last in memory
(`Extractor._read`); the table is the second level, looked up before the sandbox is asked and written in
the unit of work that handles the event. Rows older than `KEPT_DAYS` are forgotten hourly.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import metadata, resources
from typing import Any

from sqlalchemy import String, Text, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from agents.extraction.extract import ExtractedMethod
from schemas.events import Component
from streams.persistence import Base, Database, UnitOfWork, UtcDateTime, utcnow

KEPT_DAYS = 30
MAX_METHOD_CHARS = 4_000_000  # a read page's JSON at most (500 lines of capped components fit well)
READING_LIBRARIES = (
    "kitting", "recipe-scrapers", "extruct", "ingredient-parser-nlp", "lxml", "cssselect", "ftfy", "rapidfuzz"
)  # fmt: skip


class ReadPage(Base):
    """What a page (by `content_key`) was read as: an ExtractedMethod as JSON."""

    __tablename__ = "read_pages"
    key: Mapped[str] = mapped_column(String(64), primary_key=True, doc="content_key: SHA-256 hex")
    method: Mapped[str] = mapped_column(Text, doc="The ExtractedMethod, JSON")
    read_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


@lru_cache(maxsize=1)
def reader_version() -> str:
    """The versions of everything a page's reading depends on: the reading libraries and the source of
    the extraction package itself (a change to it, released or not, reads pages anew)."""
    digest = hashlib.sha256()
    for name in READING_LIBRARIES:
        try:
            digest.update(f"{name}={metadata.version(name)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=?\0".encode())
    package = resources.files("agents.extraction")
    for source in sorted((p for p in package.iterdir() if p.name.endswith(".py")), key=lambda p: p.name):
        digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def method_json(method: ExtractedMethod) -> str:
    data = {
        "title": method.title, "kind": method.kind, "source": method.source,
        "method_yield": method.method_yield, "reason": method.reason,
        "components": [c.model_dump(mode="json") for c in method.components],
    }  # fmt: skip
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def method_from_json(text: str) -> ExtractedMethod:
    data: dict[str, Any] = json.loads(text)
    return ExtractedMethod(
        title=data["title"], kind=data["kind"], source=data["source"],
        method_yield=data["method_yield"], reason=data["reason"],
        components=[Component.model_validate(c) for c in data["components"]],
    )  # fmt: skip


class ReadPages:
    """The table, for the extractor: `find` before reading (its own short session, outside the unit of
    work), `keep` in the unit of work that handles the event (a page two workers read at once is kept
    once, the later reading winning), `forget_old` for the hourly job."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def find(self, key: str) -> ExtractedMethod | None:
        since = utcnow() - timedelta(days=KEPT_DAYS)
        with self.database.session() as session:
            found = select(ReadPage.method).where(ReadPage.key == key, ReadPage.read_at >= since)
            text = session.scalar(found)
        if text is None:
            return None
        try:
            return method_from_json(text)
        except (ValueError, KeyError, TypeError):  # written by a reader that no longer parses: read again
            return None

    @staticmethod
    def keep(uow: UnitOfWork, key: str, method: ExtractedMethod) -> None:
        text = method_json(method)
        if len(text) > MAX_METHOD_CHARS:
            return
        upsert(uow.session, {"key": key, "method": text, "read_at": utcnow()})

    @staticmethod
    def forget_old(uow: UnitOfWork) -> None:
        uow.session.execute(delete(ReadPage).where(ReadPage.read_at < utcnow() - timedelta(days=KEPT_DAYS)))


def upsert(session: Session, row: dict[str, Any]) -> None:
    """Insert the row, or refresh the one with its key (another worker read the same page meanwhile, or
    a row too old to be trusted was read again)."""
    dialect = session.get_bind().dialect.name
    fresh = {"method": row["method"], "read_at": row["read_at"]}
    if dialect in ("postgresql", "sqlite"):
        statement = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(ReadPage).values(row)
        session.execute(statement.on_conflict_do_update(index_elements=[ReadPage.key], set_=fresh))
    else:
        session.merge(ReadPage(**row))
