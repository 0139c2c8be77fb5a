"""Upstream sites: keys stored only as hashes, listing without secrets, the cached key lookup."""

from __future__ import annotations

import asyncio
import hashlib
import json

import pytest
from sqlalchemy import select, update

from agents.http.sites import (
    DEMO_SITE_ID,
    DuplicateSite,
    InvalidSite,
    SiteKeys,
    SitesUnavailable,
    UnknownSite,
    UpstreamSite,
    create_site,
    demo_site_key,
    ensure_demo_site,
    get_site,
    list_sites,
    normalize_origin,
    rotate_key,
    set_enabled,
    update_site,
)
from streams.persistence import Database


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_new_site_gets_a_key_stored_only_as_its_hash(database: Database) -> None:
    with database.session() as session:
        key = create_site(session, "recipes", "Recipes Inc.", ["https://Recipes.example:443/"])
    assert key.startswith("ks_") and len(key) > 30
    with database.session() as session:
        row = session.get(UpstreamSite, "recipes")
        assert row is not None
        assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert row.key_prefix == key[:10]
        assert key not in json.dumps([str(getattr(row, c.name)) for c in UpstreamSite.__table__.columns])
        assert json.loads(row.origins) == ["https://recipes.example"]
        assert (row.rate_per_s, row.burst, row.enabled) == (50.0, 100, True)


def test_list_shows_neither_the_key_nor_its_hash(database: Database) -> None:
    with database.session() as session:
        key = create_site(session, "b-site", "B", [], rate_per_s=5, burst=10)
        create_site(session, "a-site", "A", ["http://localhost:8000"])
    with database.session() as session:
        sites = list_sites(session)
    assert [s.site_id for s in sites] == ["a-site", "b-site"]
    dumped = json.dumps([s.model_dump(mode="json") for s in sites])
    assert key not in dumped and hashlib.sha256(key.encode()).hexdigest() not in dumped
    assert "key_hash" not in dumped
    assert sites[1].key_prefix == key[:10] and sites[1].origins == ()
    assert sites[0].origins == ("http://localhost:8000",)


def test_ids_are_unique_and_checked(database: Database) -> None:
    with database.session() as session:
        create_site(session, "s", "S", [])
    with pytest.raises(DuplicateSite), database.session() as session:
        create_site(session, "s", "Again", [])
    for bad in (
        dict(site_id="has space", origins=[]),
        dict(site_id="ok", origins=["ftp://x.example"]),
        dict(site_id="ok", origins=["not an origin"]),
        dict(site_id="ok", origins=[], rate_per_s=0.0),
        dict(site_id="ok", origins=[], burst=0),
    ):
        with pytest.raises(InvalidSite), database.session() as session:
            create_site(session, name="x", **bad)


def test_rotate_disable_enable_update_and_unknown_sites(database: Database) -> None:
    with database.session() as session:
        old = create_site(session, "s", "S", [])
    with database.session() as session:
        new = rotate_key(session, "s")
        assert new != old
        assert (
            session.scalars(select(UpstreamSite.key_hash)).one() == hashlib.sha256(new.encode()).hexdigest()
        )
        assert set_enabled(session, "s", False).enabled is False
        assert set_enabled(session, "s", True).enabled is True
        changed = update_site(session, "s", origins=["https://b.example", "https://a.example"], burst=3)
        assert changed.origins == ("https://a.example", "https://b.example") and changed.burst == 3
        assert get_site(session, "s").rate_per_s == 50.0
    for change in (rotate_key, lambda s, i: set_enabled(s, i, False), get_site, update_site):
        with pytest.raises(UnknownSite), database.session() as session:
            change(session, "nope")


def test_origins_are_normalised() -> None:
    assert normalize_origin("HTTPS://Shop.Example:443/a/b?c") == "https://shop.example"
    assert normalize_origin("http://localhost:8000/") == "http://localhost:8000"
    assert normalize_origin("http://[::1]:80") == "http://[::1]"


def test_the_demo_site_key_is_derived_and_refreshed(database: Database) -> None:
    key = demo_site_key(b"secret one")
    assert key == demo_site_key(b"secret one") != demo_site_key(b"secret two")
    assert key.startswith("ks_")
    with database.session() as session:
        ensure_demo_site(session, key, ["http://127.0.0.1:8000"])
        ensure_demo_site(session, key, ["http://127.0.0.1:8000"])
    keys = SiteKeys(database)
    site = keys.lookup(key)
    assert site is not None and site.site_id == DEMO_SITE_ID and site.origins == ("http://127.0.0.1:8000",)
    other = demo_site_key(b"secret two")
    with database.session() as session:
        set_enabled(session, DEMO_SITE_ID, False)
        ensure_demo_site(session, other, ["http://localhost:9000"])
    keys.invalidate()
    assert keys.lookup(key) is None
    refreshed = keys.lookup(other)
    assert refreshed is not None and refreshed.origins == ("http://localhost:9000",)
    assert refreshed.enabled is False  # an operator's choice is kept


def test_site_keys_reads_the_database_at_most_every_refresh_period(database: Database) -> None:
    clock = Clock()
    keys = SiteKeys(database, refresh_s=5.0, clock=clock)
    with database.session() as session:
        key = create_site(session, "s", "S", [])
    site = keys.lookup(key)
    assert site is not None and site.enabled
    assert keys.lookup("ks_guessed") is None
    with database.session() as session:
        set_enabled(session, "s", False)
        later = create_site(session, "t", "T", [])
    clock.now += 4.9
    assert keys.lookup(key) is not None and keys.lookup(key).enabled  # type: ignore[union-attr]
    assert keys.lookup(later) is None  # unknown keys do not reach the database either
    clock.now += 0.1
    assert keys.lookup(key).enabled is False  # type: ignore[union-attr]
    assert keys.lookup(later) is not None


def test_a_failing_refresh_keeps_the_sites_last_read(database: Database, tmp_path: object) -> None:
    clock = Clock()
    keys = SiteKeys(database, refresh_s=1.0, clock=clock)
    with database.session() as session:
        key = create_site(session, "s", "S", [])
    assert keys.lookup(key) is not None
    with database.session() as session:
        session.execute(update(UpstreamSite).values(origins="not json"))  # reading it now fails
    clock.now += 2
    assert keys.lookup(key) is not None
    never = SiteKeys(Database("sqlite:////nonexistent-dir/none.db"), clock=clock)
    with pytest.raises(SitesUnavailable):
        never.lookup(key)


async def test_the_async_lookup_refreshes_in_a_thread(database: Database) -> None:
    keys = SiteKeys(database, refresh_s=0.0)
    with database.session() as session:
        key = create_site(session, "s", "S", [])
    found = await asyncio.gather(*(keys.alookup(key) for _ in range(5)))
    assert all(site is not None and site.site_id == "s" for site in found)
