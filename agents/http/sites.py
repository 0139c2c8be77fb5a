"""Upstream sites allowed to post browse events to the collector: a hashed API key each, the page
origins their snippet runs on, and a rate limit."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import Boolean, Float, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from streams.persistence import Base, Database, UtcDateTime, utcnow

SITE_KEY_HEADER = "X-Kitting-Site-Key"  # where a site's server or its snippet sends its API key


class UpstreamSite(Base):
    __tablename__ = "upstream_sites"

    site_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True, doc="sha256 hex of the key")
    key_prefix: Mapped[str] = mapped_column(String(12), doc="The key's first characters, to tell keys apart")
    origins: Mapped[str] = mapped_column(Text, doc="JSON list of page origins the snippet may post from")
    rate_per_s: Mapped[float] = mapped_column(Float)
    burst: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


# --- keys, views and changes ----------------------------------------------------------------------

KEY_PREFIX = "ks_"
SHOWN_PREFIX_CHARS = 10  # "ks_" and 7 characters of the random part: enough to tell keys apart
DEMO_SITE_ID = "demo-site"
SITE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"

log = logging.getLogger(__name__)


class UnknownSite(LookupError):
    pass


class DuplicateSite(ValueError):
    pass


class InvalidSite(ValueError):
    """A site id, origin or limit that cannot be stored (the message says which and why)."""


class SitesUnavailable(RuntimeError):
    """The sites could not be read from the database and none were cached yet (callers answer 503)."""


class SiteView(BaseModel):
    """A site as operators and the collector see it: never the key nor its hash."""

    model_config = ConfigDict(frozen=True)

    site_id: str
    name: str
    key_prefix: str = Field(description="The key's first characters, to tell keys apart")
    origins: tuple[str, ...] = Field(description="Page origins the snippet may post from; empty: any")
    rate_per_s: float
    burst: int
    enabled: bool
    created_at: AwareDatetime

    def allows_origin(self, origin: str) -> bool:
        return not self.origins or origin in self.origins


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(24)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def demo_site_key(secret: bytes) -> str:
    """The demo site's key, derived from a deployment secret (e.g. the vault key) so the demo pages can
    embed it and every process computes the same one."""
    digest = hmac.new(secret, b"kitting demo-site key v1", hashlib.sha256).digest()
    return KEY_PREFIX + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def normalize_origin(origin: str) -> str:
    """`https://Shop.example:443/path` -> `https://shop.example`: scheme, host and a non-default port."""
    parsed = urlsplit(origin.strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InvalidSite(f"origin {origin!r} is not an http(s) origin such as https://recipes.example")
    try:
        port = parsed.port
    except ValueError:
        raise InvalidSite(f"origin {origin!r} has an invalid port") from None
    default = 443 if parsed.scheme == "https" else 80
    host = parsed.hostname if ":" not in parsed.hostname else f"[{parsed.hostname}]"
    return f"{parsed.scheme}://{host}" + (f":{port}" if port and port != default else "")


def origin_of(url: str) -> str | None:
    """A page URL's origin, normalised like the site's list; None when it has none."""
    try:
        return normalize_origin(url)
    except InvalidSite:
        return None


def _checked(
    site_id: str | None,
    name: str | None,
    origins: list[str] | None,
    rate_per_s: float | None,
    burst: int | None,
) -> list[str] | None:
    if site_id is not None and (not re.fullmatch(SITE_ID_PATTERN, site_id) or len(site_id) > 200):
        raise InvalidSite(f"site id {site_id!r}: letters, digits, '.', '_' and '-', at most 200 characters")
    if name is not None and not 0 < len(name) <= 200:
        raise InvalidSite("the name takes 1 to 200 characters")
    if rate_per_s is not None and not (0 < rate_per_s < float("inf")):
        raise InvalidSite(f"rate {rate_per_s} must be a positive number of events per second")
    if burst is not None and burst < 1:
        raise InvalidSite(f"burst {burst} must be at least 1")
    return None if origins is None else sorted({normalize_origin(o) for o in origins})


def view(row: UpstreamSite) -> SiteView:
    return SiteView(
        site_id=row.site_id, name=row.name, key_prefix=row.key_prefix, origins=tuple(json.loads(row.origins)),
        rate_per_s=row.rate_per_s, burst=row.burst, enabled=row.enabled, created_at=row.created_at,
    )  # fmt: skip


def _row(session: Session, site_id: str) -> UpstreamSite:
    row = session.get(UpstreamSite, site_id)
    if row is None:
        raise UnknownSite(f"no upstream site {site_id!r}; `kitting sites list` shows them")
    return row


def _set_key(row: UpstreamSite, key: str) -> None:
    row.key_hash, row.key_prefix = hash_key(key), key[:SHOWN_PREFIX_CHARS]


def create_site(
    session: Session, site_id: str, name: str, origins: list[str], rate_per_s: float = 50.0, burst: int = 100
) -> str:
    """Register a site; returns its new API key, which is stored only as a hash (show it once)."""
    normalized = _checked(site_id, name, origins, rate_per_s, burst)
    if session.get(UpstreamSite, site_id) is not None:
        raise DuplicateSite(f"site {site_id!r} exists; `kitting sites rotate {site_id}` gives it a new key")
    key = new_key()
    row = UpstreamSite(
        site_id=site_id, name=name, origins=json.dumps(normalized), rate_per_s=float(rate_per_s),
        burst=burst, enabled=True, created_at=utcnow(),
    )  # fmt: skip
    _set_key(row, key)
    session.add(row)
    session.flush()
    return key


def rotate_key(session: Session, site_id: str) -> str:
    """Give a site a new key; the old one stops working (at the collector, within its cache period)."""
    row = _row(session, site_id)
    key = new_key()
    _set_key(row, key)
    session.flush()
    return key


def set_enabled(session: Session, site_id: str, enabled: bool) -> SiteView:
    row = _row(session, site_id)
    row.enabled = enabled
    session.flush()
    return view(row)


def update_site(
    session: Session,
    site_id: str,
    *,
    name: str | None = None,
    origins: list[str] | None = None,
    rate_per_s: float | None = None,
    burst: int | None = None,
) -> SiteView:
    """Change what is given (None leaves it as it is); the key stays."""
    normalized = _checked(None, name, origins, rate_per_s, burst)
    row = _row(session, site_id)
    if name is not None:
        row.name = name
    if normalized is not None:
        row.origins = json.dumps(normalized)
    if rate_per_s is not None:
        row.rate_per_s = float(rate_per_s)
    if burst is not None:
        row.burst = burst
    session.flush()
    return view(row)


def get_site(session: Session, site_id: str) -> SiteView:
    return view(_row(session, site_id))


def list_sites(session: Session) -> list[SiteView]:
    return [view(row) for row in session.scalars(select(UpstreamSite).order_by(UpstreamSite.site_id))]


def ensure_demo_site(session: Session, key: str, origins: list[str]) -> None:
    """Create the demo method provider's site with this key (see `demo_site_key`), or give the existing
    one this key and these origins. Its enabled flag and limits are left as an operator set them."""
    normalized = _checked(None, None, origins, None, None)
    row = session.get(UpstreamSite, DEMO_SITE_ID)
    if row is None:
        row = UpstreamSite(
            site_id=DEMO_SITE_ID, name="Demo method provider", rate_per_s=50.0, burst=100, enabled=True,
            created_at=utcnow(),
        )  # fmt: skip
        session.add(row)
    row.origins = json.dumps(normalized)
    if row.key_hash != hash_key(key):
        _set_key(row, key)
    session.flush()


# --- the collector's view: every site by key hash, cached ------------------------------------------


class SiteKeys:
    """Sites by key, read from the database at most every `refresh_s` seconds: a disabled site or a
    rotated key stops working within that time, a new site starts working within it, and requests do
    not reach the database (an unknown key is answered from the cache too, so guessing keys cannot load
    it). When a refresh fails, the sites last read are kept and the next try waits `refresh_s`."""

    def __init__(
        self, database: Database, refresh_s: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.database = database
        self.refresh_s = refresh_s
        self.clock = clock
        self._by_hash: dict[str, SiteView] = {}
        self._loaded_at: float | None = None
        self._lock = threading.Lock()

    def stale(self) -> bool:
        return self._loaded_at is None or self.clock() - self._loaded_at >= self.refresh_s

    def invalidate(self) -> None:
        """Read the sites again on the next lookup."""
        self._loaded_at = None

    def refresh(self) -> None:
        """Read every site now (raises what the database raises)."""
        with self.database.session() as session:
            rows = session.scalars(select(UpstreamSite)).all()
            loaded = {row.key_hash: view(row) for row in rows}
        self._by_hash, self._loaded_at = loaded, self.clock()

    def _refresh_if_stale(self) -> None:
        with self._lock:
            if not self.stale():
                return
            try:
                self.refresh()
            except Exception as exc:
                if self._loaded_at is None:
                    raise SitesUnavailable(f"the upstream sites could not be read: {exc}"[:500]) from exc
                log.warning("keeping the cached upstream sites: reading them failed: %s", exc)
                self._loaded_at = self.clock()

    def lookup(self, key: str) -> SiteView | None:
        """The site this key belongs to (enabled or not), or None; refreshes here when stale."""
        if self.stale():
            self._refresh_if_stale()
        return self._by_hash.get(hash_key(key))

    async def alookup(self, key: str) -> SiteView | None:
        """`lookup` for the event loop: a refresh runs in a thread."""
        if self.stale():
            await asyncio.to_thread(self._refresh_if_stale)
        return self._by_hash.get(hash_key(key))
