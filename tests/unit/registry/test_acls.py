"""The Kafka ACLs a real cluster is given: each Kafka-connected party reads only the topics its kind is
asked on and writes only the topic it answers on; a webhook provider gets none."""

from __future__ import annotations

from datetime import UTC, datetime

from agents.registry.acls import acl_commands
from agents.registry.providers import ProviderHealth, ProviderView
from schemas.providers import ProviderKind


def view(provider_id: str, kind: ProviderKind, address: str = "kafka") -> ProviderView:
    health = ProviderHealth(
        last_seen=datetime.now(UTC), requests=0, answers=0, answer_rate=None, mean_answer_ms=None
    )
    return ProviderView(provider_id=provider_id, name=provider_id, kind=kind, address=address, health=health)


def test_each_party_reads_its_requests_and_writes_only_its_answers() -> None:
    commands = acl_commands(
        [
            view("shop", ProviderKind.component),
            view("courier", ProviderKind.delivery),
            view("ledger", ProviderKind.accounting),
            view("hook", ProviderKind.component, address="https://hook.example/"),
        ],
        bootstrap="kafka:9092",
    )
    by = {
        party: [c for c in commands if f"User:{party} " in c]
        for party in ("shop", "courier", "ledger", "hook")
    }
    assert by["hook"] == []
    writes = {
        party: {c.rsplit(" ", 1)[1] for c in cs if "--operation Write" in c} for party, cs in by.items()
    }
    assert writes == {
        "shop": {"quote-offered", "order-status", "delivery-status"},
        "courier": {"delivery-status"},
        "ledger": {"settlement-status"},
        "hook": set(),
    }
    reads = {c.rsplit(" ", 1)[1] for c in by["courier"] if "--topic" in c and "--operation Read" in c}
    assert reads == {"delivery-requested", "order-cancelled"}
    assert not any("method-browsed" in c or "confirm-selection" in c for c in commands)
    assert all(c.startswith("kafka-acls.sh --bootstrap-server kafka:9092 --add") for c in commands)
    assert any("--group provider-ledger --resource-pattern-type prefixed" in c for c in by["ledger"])
