"""Faults the hosted reference providers can be told to show, for drills and tests
(settings.reference_faults): `reject:SHOP` rejects every order, `silent:PARTY` never answers (a shop its
orders, a carrier its deliveries, the accounting agent its payment steps), `fail-first:CARRIER` fails the
first try of each delivery. `silent:PARTY@START-END` is silent only between two Unix times (seconds), so
a drill can make a party silent for a while, across restarts of the worker."""

from __future__ import annotations

import time
from dataclasses import dataclass

KINDS = ("reject", "silent", "fail-first")


@dataclass(frozen=True)
class Faults:
    reject: frozenset[str] = frozenset()
    silent: frozenset[str] = frozenset()
    fail_first: frozenset[str] = frozenset()
    silent_between: tuple[tuple[str, float, float], ...] = ()  # (party, from, until) in Unix seconds

    def is_silent(self, party_id: str, now: float | None = None) -> bool:
        if party_id in self.silent:
            return True
        at = time.time() if now is None else now
        return any(party == party_id and start <= at < end for party, start, end in self.silent_between)


def parse_faults(text: str) -> Faults:
    """`reject:SHOP,silent:SHOP,silent:PARTY@START-END,fail-first:COURIER` (any order, repeats allowed,
    spaces ignored)."""
    found: dict[str, set[str]] = {kind: set() for kind in KINDS}
    windows: list[tuple[str, float, float]] = []
    for entry in text.split(","):
        if not entry.strip():
            continue
        kind, colon, provider_id = (part.strip() for part in entry.partition(":"))
        if kind not in found:
            accepted = ", ".join(KINDS)
            raise ValueError(f"unknown reference fault {kind!r} in {entry.strip()!r}; accepted: {accepted}")
        if not colon or not provider_id:
            raise ValueError(f"reference fault {entry.strip()!r} names no provider; write {kind}:PROVIDER_ID")
        party, at, window = provider_id.partition("@")
        if not at:
            found[kind].add(provider_id)
            continue
        start, dash, end = window.partition("-")
        try:
            if kind != "silent" or not dash:
                raise ValueError
            windows.append((party, float(start), float(end)))
        except ValueError:
            raise ValueError(
                f"reference fault {entry.strip()!r}: only `silent` takes a time window, written "
                "silent:PARTY@START-END in Unix seconds"
            ) from None
    return Faults(
        reject=frozenset(found["reject"]),
        silent=frozenset(found["silent"]),
        fail_first=frozenset(found["fail-first"]),
        silent_between=tuple(windows),
    )
