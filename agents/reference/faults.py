"""Faults the hosted reference providers can be told to show, for drills and tests
(settings.reference_faults): `reject:SHOP` rejects every order, `silent:SHOP` never answers orders,
`fail-first:CARRIER` fails the first try of each delivery."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("reject", "silent", "fail-first")


@dataclass(frozen=True)
class Faults:
    reject: frozenset[str] = frozenset()
    silent: frozenset[str] = frozenset()
    fail_first: frozenset[str] = frozenset()


def parse_faults(text: str) -> Faults:
    """`reject:SHOP,silent:SHOP,fail-first:COURIER` (any order, repeats allowed, spaces ignored)."""
    found: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for entry in text.split(","):
        if not entry.strip():
            continue
        kind, colon, provider_id = (part.strip() for part in entry.partition(":"))
        if kind not in found:
            accepted = ", ".join(KINDS)
            raise ValueError(f"unknown reference fault {kind!r} in {entry.strip()!r}; accepted: {accepted}")
        if not colon or not provider_id:
            raise ValueError(f"reference fault {entry.strip()!r} names no provider; write {kind}:PROVIDER_ID")
        found[kind].add(provider_id)
    return Faults(
        reject=frozenset(found["reject"]),
        silent=frozenset(found["silent"]),
        fail_first=frozenset(found["fail-first"]),
    )
