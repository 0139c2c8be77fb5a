"""The reference delivery services (a courier, a shop's own fleet, a shop's counter) as provider
adapters opening the contact sealed to them, the reference providers' keys, and the drill faults."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest

from agents.composition import hosted_reference_providers
from agents.privacy.sealing import new_keypair, seal
from agents.providers.agent import register
from agents.providers.sdk import ProviderAdapter
from agents.reference.carriers import (
    COURIER_ETA,
    NOBODY_HOME,
    OwnFleet,
    ReferenceCourier,
    ShopCounter,
)
from agents.reference.entries import COURIER, reference_private_key, reference_providers
from agents.reference.faults import Faults, parse_faults
from agents.reference.profiles import REFERENCE_SHOPS, ShopProfile
from agents.registry.providers import ensure_registered, get_provider, list_providers
from schemas import events as ev
from schemas.envelope import new_envelope
from schemas.examples import example
from schemas.values import Money
from schemas.vocabulary import DeliveryMethod
from streams.codec import encode, encode_key
from streams.persistence import Database, utcnow
from streams.settings import Settings
from streams.signing import signature_fits
from streams.topics import Topic
from tests.fakes import InMemoryBus

SECRET = b"s" * 32
PERSON = {
    "name": "Ada Quill",
    "phone": "+44 7700 900123",
    "street_address": "12 Lantern Row",
    "pickup_code": "PX-7731",
}
CASH = Money(amount=Decimal("12.40"), currency="EUR")


def profile(provider_id: str) -> ShopProfile:
    return next(shop for shop in REFERENCE_SHOPS if shop.provider_id == provider_id)


def eta(provider_id: str, method: DeliveryMethod) -> timedelta:
    terms = next(t for t in profile(provider_id).delivery if t.method is method)
    return timedelta(minutes=terms.eta_minutes)


def shops_with(method: DeliveryMethod) -> set[str]:
    return {shop.provider_id for shop in REFERENCE_SHOPS if any(t.method is method for t in shop.delivery)}


def public_key(provider_id: str) -> str:
    return next(p.public_key for p in reference_providers(SECRET) if p.provider_id == provider_id) or ""


def courier(faults: Faults | None = None) -> ProviderAdapter:
    key = reference_private_key(COURIER.provider_id, SECRET)
    return ReferenceCourier(COURIER, key, faults or Faults()).adapter()


def fleet(shop_id: str = "fresh-express", faults: Faults | None = None) -> ProviderAdapter:
    return OwnFleet(profile(shop_id), reference_private_key(shop_id, SECRET), faults or Faults()).adapter()


def counter(shop_id: str = "market-hall", faults: Faults | None = None) -> ProviderAdapter:
    return ShopCounter(profile(shop_id), reference_private_key(shop_id, SECRET), faults or Faults()).adapter()


NEEDS = {
    DeliveryMethod.courier: ("name", "phone", "street_address"),
    DeliveryMethod.own: ("phone", "street_address"),
    DeliveryMethod.pickup: ("name", "phone", "pickup_code"),
}


def request(carrier_id: str, method: DeliveryMethod, /, **update: object) -> ev.DeliveryRequested:
    """A delivery with the contact the method needs, sealed to the carrier's registered key."""
    shop = "discount-depot" if method is DeliveryMethod.courier else carrier_id
    contact = seal(public_key(carrier_id), carrier_id, {name: PERSON[name] for name in NEEDS[method]})
    base = example(ev.DeliveryRequested).model_copy(
        update={
            "provider_id": shop, "carrier_id": carrier_id, "method": method, "contact": contact,
            "cash_to_collect": CASH,
            "pickup_point": shop if method is DeliveryMethod.pickup else None,
        }
    )  # fmt: skip
    return base.model_copy(update=update)


def answers(adapter: ProviderAdapter, data: ev.EventData) -> list[ev.EventData]:
    return adapter.answer(new_envelope(data, source="urn:test", subject=data.basket_id))


def assert_no_contact_values(events: list[ev.EventData]) -> None:
    text = " ".join(event.model_dump_json() for event in events)
    for value in PERSON.values():
        assert value not in text


# --- keys ------------------------------------------------------------------------------------------


def test_every_reference_provider_registers_the_public_key_of_its_derived_private_key() -> None:
    entries = reference_providers(SECRET)
    assert {e.provider_id for e in entries} >= {"swift-courier", "ledger-pay", "market-hall"}
    keys = [e.public_key for e in entries]
    assert all(keys) and len(set(keys)) == len(keys)
    assert all(len(base64.b64decode(key or "")) == 32 for key in keys)
    assert COURIER.public_key is None  # the constant stays an identity without a key
    other = {e.provider_id: e.public_key for e in reference_providers(b"t" * 32)}
    assert all(other[e.provider_id] != e.public_key for e in entries)
    assert reference_providers(SECRET) == entries  # the same every start
    assert reference_private_key("market-hall", SECRET) != reference_private_key("fresh-express", SECRET)


def test_registering_again_refreshes_rotated_keys_and_adds_missing_providers(database: Database) -> None:
    first = reference_providers(SECRET)
    with database.session() as session:
        ensure_registered(session, first[:-1])
    rotated = reference_providers(b"t" * 32)
    with database.session() as session:
        ensure_registered(session, rotated)
    with database.session() as session:
        registered = {p.provider_id: p.public_key for p in list_providers(session)}
        assert registered == {p.provider_id: p.public_key for p in rotated}
        assert get_provider(session, first[0].provider_id).public_key != first[0].public_key


# --- the courier ------------------------------------------------------------------------------------


def test_the_courier_is_expected_when_the_shop_said_in_its_offer() -> None:
    """Corner Grocer quotes courier delivery in 45 minutes: the courier's expected time is the same, not
    a day (the person is told what the proposal they confirmed said)."""
    asked = request("swift-courier", DeliveryMethod.courier, provider_id="corner-grocer")
    before = utcnow()
    arranged = answers(courier(), asked)[0]
    assert isinstance(arranged, ev.DeliveryArranged)
    assert before + timedelta(minutes=45) <= arranged.expected_at <= utcnow() + timedelta(minutes=45)


def test_the_courier_opens_the_contact_and_delivers_collecting_the_cash() -> None:
    adapter = courier()
    assert adapter.provider_id == "swift-courier" and adapter.topics == [
        Topic.ORDER_CANCELLED,
        Topic.DELIVERY_REQUESTED,
    ]
    asked = request("swift-courier", DeliveryMethod.courier)
    before = utcnow()
    arranged, collected, delivered = answers(adapter, asked)
    assert isinstance(arranged, ev.DeliveryArranged) and arranged.method is DeliveryMethod.courier
    assert before + COURIER_ETA <= arranged.expected_at <= utcnow() + COURIER_ETA
    assert isinstance(collected, ev.ParcelCollected)
    assert isinstance(delivered, ev.ParcelDelivered) and delivered.method is DeliveryMethod.courier
    assert delivered.cash_collected == CASH and delivered.pickup_code_checked is None
    for event in (arranged, collected, delivered):
        assert (event.delivery_id, event.order_id, event.carrier_id) == (
            asked.delivery_id, asked.order_id, "swift-courier",
        )  # fmt: skip
    assert_no_contact_values([arranged, collected, delivered])
    no_cash = answers(adapter, asked.model_copy(update={"cash_to_collect": None}))
    assert isinstance(no_cash[-1], ev.ParcelDelivered) and no_cash[-1].cash_collected is None


def test_the_courier_answers_only_its_own_courier_deliveries_in_its_regions() -> None:
    adapter = courier()
    assert answers(adapter, request("swift-courier", DeliveryMethod.courier, carrier_id="other")) == []
    assert answers(adapter, request("swift-courier", DeliveryMethod.own)) == []
    [failed] = answers(adapter, request("swift-courier", DeliveryMethod.courier, region="south"))
    assert isinstance(failed, ev.DeliveryFailed) and not failed.retryable
    assert "region 'south'" in failed.reason


def test_a_fail_first_fault_fails_the_first_try_only_and_can_be_retried() -> None:
    adapter = courier(Faults(fail_first=frozenset({"swift-courier"})))
    [failed] = answers(adapter, request("swift-courier", DeliveryMethod.courier))
    assert isinstance(failed, ev.DeliveryFailed)
    assert failed.reason == NOBODY_HOME == "nobody was home at the drop-off" and failed.retryable
    second = answers(adapter, request("swift-courier", DeliveryMethod.courier, attempt=2))
    assert [type(e) for e in second] == [ev.DeliveryArranged, ev.ParcelCollected, ev.ParcelDelivered]
    unaffected = courier(Faults(fail_first=frozenset({"fresh-express"})))
    assert len(answers(unaffected, request("swift-courier", DeliveryMethod.courier))) == 3
    fleet_faults = Faults(fail_first=frozenset({"fresh-express"}))
    [fleet_failed] = answers(fleet(faults=fleet_faults), request("fresh-express", DeliveryMethod.own))
    assert isinstance(fleet_failed, ev.DeliveryFailed) and fleet_failed.retryable


# --- unusable contacts, for every service ------------------------------------------------------------


def stranger_key() -> str:
    return new_keypair()[1]


def without_contact(asked: ev.DeliveryRequested) -> ev.DeliveryRequested:
    return asked.model_copy(update={"contact": None})


def sealed_to_someone_else(asked: ev.DeliveryRequested) -> ev.DeliveryRequested:
    contact = seal(public_key("ledger-pay"), "ledger-pay", {k: PERSON[k] for k in NEEDS[asked.method]})
    return asked.model_copy(update={"contact": contact})


def sealed_with_the_wrong_key(asked: ev.DeliveryRequested) -> ev.DeliveryRequested:
    contact = seal(stranger_key(), asked.carrier_id, {k: PERSON[k] for k in NEEDS[asked.method]})
    return asked.model_copy(update={"contact": contact})


def garbled(asked: ev.DeliveryRequested) -> ev.DeliveryRequested:
    assert asked.contact is not None
    contact = asked.contact.model_copy(update={"ciphertext": "bm90IGEgYm94"})
    return asked.model_copy(update={"contact": contact})


def lacking_phone(asked: ev.DeliveryRequested) -> ev.DeliveryRequested:
    values = {k: PERSON[k] for k in NEEDS[asked.method] if k != "phone"}
    return asked.model_copy(update={"contact": seal(public_key(asked.carrier_id), asked.carrier_id, values)})


def blank_phone(asked: ev.DeliveryRequested) -> ev.DeliveryRequested:
    values = {k: PERSON[k] for k in NEEDS[asked.method]} | {"phone": "  "}
    return asked.model_copy(update={"contact": seal(public_key(asked.carrier_id), asked.carrier_id, values)})


def fields_that_lie(asked: ev.DeliveryRequested) -> ev.DeliveryRequested:
    assert asked.contact is not None
    contact = asked.contact.model_copy(update={"fields": ["name"]})
    return asked.model_copy(update={"contact": contact})


SERVICES = [
    ("swift-courier", DeliveryMethod.courier, courier),
    ("fresh-express", DeliveryMethod.own, fleet),
    ("market-hall", DeliveryMethod.pickup, counter),
]


@pytest.mark.parametrize(("carrier_id", "method", "make"), SERVICES)
@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (without_contact, "no contact details"),
        (sealed_to_someone_else, "sealed to ledger-pay, not to"),
        (sealed_with_the_wrong_key, "does not open"),
        (garbled, "does not open"),
        (fields_that_lie, "does not open"),
        (lacking_phone, "lacks phone"),
        (blank_phone, "lacks phone"),
    ],
)
def test_an_unusable_contact_fails_for_good_without_revealing_it(
    carrier_id: str,
    method: DeliveryMethod,
    make: Callable[[], ProviderAdapter],
    spoil: Callable[[ev.DeliveryRequested], ev.DeliveryRequested],
    reason: str,
) -> None:
    adapter = make()
    fine = request(carrier_id, method)
    assert isinstance(answers(adapter, fine)[-1], ev.ParcelDelivered)
    result = answers(adapter, spoil(fine))
    assert len(result) == 1 and isinstance(result[0], ev.DeliveryFailed)
    assert reason in result[0].reason and not result[0].retryable
    assert_no_contact_values(result)


def test_a_contact_lacking_several_fields_names_them_all() -> None:
    contact = seal(public_key("swift-courier"), "swift-courier", {"name": PERSON["name"]})
    [failed] = answers(courier(), request("swift-courier", DeliveryMethod.courier, contact=contact))
    assert isinstance(failed, ev.DeliveryFailed)
    assert failed.reason == "the contact lacks phone, street_address"


# --- a shop's own fleet and its counter --------------------------------------------------------------


def test_a_shops_own_fleet_delivers_its_own_deliveries_in_its_time() -> None:
    adapter = fleet("fresh-express")
    assert adapter.provider_id == "fresh-express" and adapter.topics == [Topic.DELIVERY_REQUESTED]
    contact = seal(
        public_key("fresh-express"),
        "fresh-express",
        {"phone": PERSON["phone"], "street_address": PERSON["street_address"]},  # no name needed
    )
    before = utcnow()
    arranged, delivered = answers(adapter, request("fresh-express", DeliveryMethod.own, contact=contact))
    assert isinstance(arranged, ev.DeliveryArranged) and arranged.method is DeliveryMethod.own
    own_eta = eta("fresh-express", DeliveryMethod.own)
    assert before + own_eta <= arranged.expected_at <= utcnow() + own_eta
    assert isinstance(delivered, ev.ParcelDelivered) and delivered.method is DeliveryMethod.own
    assert delivered.cash_collected == CASH and delivered.carrier_id == "fresh-express"
    assert_no_contact_values([arranged, delivered])
    assert answers(adapter, request("fresh-express", DeliveryMethod.pickup)) == []  # the counter's
    assert answers(adapter, request("fresh-express", DeliveryMethod.own, carrier_id="market-hall")) == []
    [failed] = answers(adapter, request("fresh-express", DeliveryMethod.own, region="south"))
    assert isinstance(failed, ev.DeliveryFailed) and not failed.retryable


def test_a_shop_counter_hands_over_to_whoever_shows_the_pickup_code() -> None:
    adapter = counter("market-hall")
    assert adapter.provider_id == "market-hall"
    before = utcnow()
    arranged, delivered = answers(adapter, request("market-hall", DeliveryMethod.pickup))
    assert isinstance(arranged, ev.DeliveryArranged) and arranged.method is DeliveryMethod.pickup
    ready = eta("market-hall", DeliveryMethod.pickup)
    assert before + ready <= arranged.expected_at <= utcnow() + ready
    assert isinstance(delivered, ev.ParcelDelivered) and delivered.method is DeliveryMethod.pickup
    assert delivered.pickup_code_checked is True and delivered.cash_collected == CASH
    assert_no_contact_values([arranged, delivered])
    assert answers(adapter, request("market-hall", DeliveryMethod.own)) == []  # the fleet's
    # the fleet of the same shop, with the same key, takes its own deliveries
    assert len(answers(fleet("market-hall"), request("market-hall", DeliveryMethod.own))) == 2


def test_a_shop_without_the_service_says_so() -> None:
    assert "fresh-express" not in shops_with(DeliveryMethod.pickup)
    [failed] = answers(counter("fresh-express"), request("fresh-express", DeliveryMethod.pickup))
    assert isinstance(failed, ev.DeliveryFailed) and not failed.retryable
    assert "offers no pickup" in failed.reason


def test_the_sealed_contact_travels_as_ciphertext_only() -> None:
    asked = request("swift-courier", DeliveryMethod.courier)
    assert asked.contact is not None and asked.contact.fields == ["name", "phone", "street_address"]
    assert_no_contact_values([asked])


# --- faults ------------------------------------------------------------------------------------------


def test_faults_parse_kinds_and_providers_tolerating_spaces() -> None:
    assert parse_faults("") == Faults() == parse_faults("  ,  ")
    faults = parse_faults(" reject:market-hall , silent : corner-grocer,fail-first:swift-courier,reject:x,")
    assert faults == Faults(
        reject=frozenset({"market-hall", "x"}),
        silent=frozenset({"corner-grocer"}),
        fail_first=frozenset({"swift-courier"}),
    )


@pytest.mark.parametrize("text", ["explode:market-hall", "reject:a,late:b"])
def test_an_unknown_fault_is_named_with_the_accepted_kinds(text: str) -> None:
    with pytest.raises(ValueError, match=r"unknown reference fault '(explode|late)'") as raised:
        parse_faults(text)
    assert "reject, silent, fail-first" in str(raised.value)


@pytest.mark.parametrize("text", ["reject", "silent:", "fail-first :  "])
def test_a_fault_without_a_provider_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="names no provider"):
        parse_faults(text)


# --- hosted in the worker ----------------------------------------------------------------------------


def test_the_worker_hosts_every_reference_provider_with_its_registered_key(database: Database) -> None:
    vault = base64.b64encode(SECRET).decode()
    settings = Settings(vault_key=vault, reference_faults="fail-first:fresh-express", quote_deadline_s=60)
    bus = InMemoryBus(database, settings)
    register(bus, SECRET, hosted_reference_providers(settings, database))
    consumers = {sub.consumer for subs in bus.consumers.values() for sub in subs}
    assert {
        "provider.market-hall.quote-requested", "provider.market-hall.order-placed",
        "provider.market-hall.order-cancelled", "provider.market-hall.fleet.delivery-requested",
        "provider.market-hall.counter.delivery-requested", "provider.swift-courier.delivery-requested",
        "provider.ledger-pay.settlement-requested",
    } <= consumers  # fmt: skip
    for shop in REFERENCE_SHOPS:
        for method, service in ((DeliveryMethod.own, "fleet"), (DeliveryMethod.pickup, "counter")):
            hosted = f"provider.{shop.provider_id}.{service}.delivery-requested" in consumers
            assert hosted == (shop.provider_id in shops_with(method))
    with database.session() as session:
        registered = {p.provider_id: (p.public_key, p.signing_key) for p in list_providers(session)}
    assert registered == {p.provider_id: (p.public_key, p.signing_key) for p in reference_providers(SECRET)}

    for asked in (
        request("swift-courier", DeliveryMethod.courier),
        request("fresh-express", DeliveryMethod.own, delivery_id="d-own"),
    ):
        raw = encode(new_envelope(asked, source="urn:test", subject=asked.basket_id))
        bus.publish(Topic.DELIVERY_REQUESTED, encode_key(asked.basket_id), raw)
    status = [json.loads(value) for value in bus.values(Topic.DELIVERY_STATUS)]
    assert [(s["type"].split(".")[2:4], s["data"]["carrier_id"]) for s in status] == [
        (["delivery", "arranged"], "swift-courier"),
        (["parcel", "collected"], "swift-courier"),
        (["parcel", "delivered"], "swift-courier"),
        (["delivery", "failed"], "fresh-express"),  # the drill fault: nobody home the first time
    ]
    # each report is signed by the provider that sent it, with the key it registered
    for value in bus.values(Topic.DELIVERY_STATUS):
        carrier = json.loads(value)["data"]["carrier_id"]
        assert signature_fits(value, [registered[carrier][1] or ""])
        assert not signature_fits(value, [registered["ledger-pay"][1] or ""])
    assert bus.dead == []
    assert_no_contact_values([ev.DeliveryFailed.model_validate(status[-1]["data"])])


# --- the demo's pace ----------------------------------------------------------------------------------


def test_at_the_demos_pace_a_party_takes_its_steps_time_and_at_none_it_answers_at_once() -> None:
    import asyncio
    import time

    from agents.cli.main import DEMO_PACE
    from agents.providers.hosting import STEP_SECONDS, HostedAdapter

    asked = request("swift-courier", DeliveryMethod.courier)
    envelope = new_envelope(asked, source="urn:test", subject=asked.basket_id)
    step = STEP_SECONDS[Topic.DELIVERY_REQUESTED] * 0.05  # a twentieth of the demo's pace

    def took(hosted: HostedAdapter) -> tuple[float, int]:
        start = time.monotonic()
        answered = asyncio.run(hosted.answer(envelope)).data
        return time.monotonic() - start, len(answered)

    slow, answers_slow = took(HostedAdapter(courier(), step_s=step))
    fast, answers_fast = took(HostedAdapter(courier()))
    assert slow >= step and fast < step / 2
    assert answers_slow == answers_fast == 3  # arranged, collected, delivered: the same answers
    assert Settings(vault_key=base64.b64encode(SECRET).decode()).demo_pace == 0  # tests: at once
    assert float(DEMO_PACE) == 1  # `kitting up`: a shop's time
