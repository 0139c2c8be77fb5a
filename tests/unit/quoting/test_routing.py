"""Routing: each provider gets the lines of the categories it serves, in the person's region only,
and no request carries personal data."""

import json
from typing import Any

from sqlalchemy import select

from agents.quoting.tables import QuoteRound
from agents.registry.providers import add_provider
from schemas.envelope import new_envelope
from schemas.events import Component, ComponentKind, ComponentsExtracted, QuotePreferences
from schemas.providers import Provider
from schemas.values import Quantity
from streams.codec import encode, encode_key
from streams.persistence import Database
from streams.topics import Topic
from tests.fakes import InMemoryBus


def component(
    line_id: str, name: str, kind: ComponentKind, amount: str | None = None, unit: str = "g"
) -> Component:
    quantity = Quantity(amount=amount, unit=unit) if amount else None
    return Component(line_id=line_id, text=name, name=name, quantity=quantity, kind=kind, provenance="test")


def extracted(basket_id: str, region: str = "default", **prefs: object) -> bytes:
    data = ComponentsExtracted(
        basket_id=basket_id, url="https://example.org/job", method_kind="howto",
        components=[
            component("c1", "flour", ComponentKind.ingredient, "300"),
            component("c2", "wood screws", ComponentKind.supply, "6", "piece"),
            component("c3", "screwdriver", ComponentKind.tool),
        ],
        quote=QuotePreferences(customer_ref="cust-secret-77", region=region, **prefs),
    )  # fmt: skip
    return encode(new_envelope(data, source="urn:test", subject=basket_id))


def routed_requests(bus: InMemoryBus) -> dict[str, dict[str, Any]]:
    return {
        json.loads(raw)["data"]["provider_id"]: json.loads(raw)["data"]
        for raw in bus.values(Topic.QUOTE_REQUESTED)
    }


def test_each_provider_gets_only_its_categories_and_no_personal_data(database: Database) -> None:
    bus = InMemoryBus(database).register_roles()
    bus.publish(Topic.COMPONENTS_EXTRACTED, encode_key("r1"), extracted("r1"))
    requests = routed_requests(bus)
    assert requests, "no quote requests"
    for provider_id, request in requests.items():
        categories = {line["category"] for line in request["lines"]}
        assert len(categories) == 1, (provider_id, categories)
        assert "customer_ref" not in request and "cust-secret-77" not in json.dumps(request)
        assert request["addressed"] == sorted(requests)
    hardware = [r for r in requests.values() if r["lines"][0]["category"] == "hardware"]
    assert hardware and all({line["line_id"] for line in r["lines"]} == {"c2", "c3"} for r in hardware)
    with database.session() as session:
        round_ = session.scalars(select(QuoteRound)).one()
        assert [line["line_id"] for line in json.loads(round_.needs)] == ["c1", "c2", "c3"]


def test_regions_and_exclusions_decide_who_is_asked(database: Database) -> None:
    bus = InMemoryBus(database).register_roles()
    with database.session() as session:
        add_provider(
            session, Provider(provider_id="far-shop", name="Far", categories=["grocery"], regions=["south"])
        )
    bus.publish(Topic.COMPONENTS_EXTRACTED, encode_key("r2"), extracted("r2", region="south"))
    assert set(routed_requests(bus)) == {"far-shop"}

    bus = InMemoryBus(database).register_roles()
    bus.publish(Topic.COMPONENTS_EXTRACTED, encode_key("r3"), extracted("r3", region="nowhere"))
    assert routed_requests(bus) == {}
    last = json.loads(bus.values(Topic.BASKET_STATUS)[-1])["data"]
    assert last["status"] == "failed" and "no provider serves region 'nowhere'" in last["reason"]
