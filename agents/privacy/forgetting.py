"""Forgetting a person: their contact data and every reference that led to them go from the vault, and
their archived events are rewritten without what was sealed for them (contact fields for a carrier or a
shop, the payment token for an accounting agent) and without the references that pointed to them.

Those sealed parts could otherwise still be opened: the reference providers' keys derive from the vault
key, which stays. What remains of a forgotten person's baskets is what any basket shows: components,
offers, amounts, states."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from agents.privacy.vault import VaultEntry, VaultReference

FORGOTTEN = "forgotten"
SEALED_FIELDS = ("contact", "payment")  # SealedContact parts: for a carrier or shop, for an accounting agent
REFERENCE_FIELDS = ("customer_ref", "payer_ref")  # per-order references, and the concealed person


def redacted(value: bytes) -> bytes:
    """An archived event without a forgotten person's sealed data and references (unchanged when it has
    none, or is not JSON)."""
    try:
        document = json.loads(value)
    except ValueError:
        return value
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, dict) or not _scrub(data):
        return value
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def _scrub(data: dict[str, Any]) -> bool:
    changed = False
    for name in SEALED_FIELDS:
        if isinstance(data.get(name), dict):
            data[name] = None
            changed = True
    for name in REFERENCE_FIELDS:
        if isinstance(data.get(name), str) and data[name] != FORGOTTEN:
            data[name] = FORGOTTEN
            changed = True
    quote = data.get("quote")
    if isinstance(quote, dict) and quote.get("customer_ref") not in (None, FORGOTTEN):
        quote["customer_ref"] = FORGOTTEN
        changed = True
    return changed


def forget_in_vault(session: Session, customer_ref: str) -> tuple[bool, int]:
    """Delete the person's contact data and the references handed out for them; (had contact data,
    references deleted)."""
    entry = session.get(VaultEntry, customer_ref)
    if entry is not None:
        session.delete(entry)
    gone = session.execute(delete(VaultReference).where(VaultReference.customer_ref == customer_ref))
    session.flush()
    return entry is not None, int(getattr(gone, "rowcount", 0) or 0)
