"""One vocabulary per concept: criteria, fulfilments and payments are spelled one way everywhere, older
spellings are still read, and the payment rules decide what goes with what."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime

import jsonschema
import pytest

from agents.baskets.start import basket_event
from agents.baskets.store import Basket
from agents.cli.demo import demo_page, fulfilment_and_payment
from agents.http.routes.terminal import terminal_html
from agents.privacy.demo_customer import DEMO_CUSTOMER, seed_demo_customer
from agents.selection.model import PRIORITIES, WEIGHT_KEYS
from schemas.envelope import new_envelope
from schemas.events import (
    MethodBrowsed,
    PriorityProfile,
    QuoteLine,
    QuotePreferences,
    QuoteRequested,
)
from schemas.jsonschema import event_schema
from schemas.vocabulary import (
    PAYMENT_RULES,
    Criterion,
    DeliveryMethod,
    PaymentMethod,
    WeightedCriterion,
    is_cash,
    payment_problem,
)
from streams.codec import decode, encode, encode_key
from streams.persistence import Database
from streams.topics import Topic
from tests.fakes import TEST_VAULT_KEY, InMemoryBus

OLD_CRITERIA = [("fewest-shops", "fewest-providers"), ("preferred-shops", "preferred")]


@pytest.mark.parametrize(("old", "new"), OLD_CRITERIA)
def test_an_old_criterion_is_read_as_the_new_one(old: str, new: str) -> None:
    for spelling in (old, new):
        prefs = QuotePreferences.model_validate({"customer_ref": "c", "priority": spelling})
        assert prefs.priority is Criterion(new)
        # the priority of a v1 event is written as v1 first spelled it, for readers of the older contract
        assert prefs.model_dump(mode="json")["priority"] == old
        profile = PriorityProfile.model_validate({"order": [spelling]})
        assert profile.order == [Criterion(new)] and profile.model_dump(mode="json")["order"] == [new]


def test_an_archived_quote_request_with_an_old_criterion_still_decodes_and_validates() -> None:
    request = QuoteRequested(
        basket_id="b", request_id="r", provider_id="p", addressed=["p"], region="default",
        lines=[QuoteLine(line_id="l1", name="flour")], deadline=datetime.now(UTC),
    )  # fmt: skip
    document = json.loads(encode(new_envelope(request, source="urn:test", subject="b")))
    document["data"]["priority"] = "fewest-shops"  # as Kitting wrote it before the vocabulary was one
    jsonschema.validate(document, event_schema("dev.kitting.quote.requested.v1"))
    decoded = decode(json.dumps(document).encode(), Topic.QUOTE_REQUESTED).data
    assert isinstance(decoded, QuoteRequested) and decoded.priority is Criterion.fewest_providers
    document["data"]["priority"] = "quickest"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, event_schema("dev.kitting.quote.requested.v1"))


def test_the_optimiser_knows_every_criterion_and_weighs_the_contracts_weights() -> None:
    assert set(PRIORITIES) == set(Criterion)
    assert {str(k) for k in WEIGHT_KEYS} == set(WeightedCriterion.__args__)  # type: ignore[attr-defined]


def test_a_profile_no_selection_can_follow_fails_its_basket_with_the_reason(database: Database) -> None:
    seed_demo_customer(database.url, base64.b64decode(TEST_VAULT_KEY))
    bus = InMemoryBus(database).register_roles()
    for basket_id, prefs in (
        ("weighted-alone", QuotePreferences(customer_ref=DEMO_CUSTOMER, priority=Criterion.weighted)),
        (
            "no-weights",
            QuotePreferences(customer_ref=DEMO_CUSTOMER, profile=PriorityProfile(order=["weighted"])),
        ),
    ):
        job = MethodBrowsed(
            basket_id=basket_id, url="https://recipes.example/p", html=demo_page(), quote=prefs
        )
        bus.publish(Topic.METHOD_BROWSED, encode_key(basket_id), basket_event(job, source="urn:test").value)
        with database.session() as session:
            basket = session.get(Basket, basket_id)
            assert basket is not None and basket.status == "failed"
            assert basket.reason == (
                "the priority profile cannot be used: priority 'weighted' needs weights, "
                "e.g. {'cheapest': 1, 'fastest': 0.1}"
            )
    assert bus.dead == []


def test_the_payment_rules_say_what_goes_with_what() -> None:
    assert set(PAYMENT_RULES) == set(PaymentMethod)
    fits = {f"{d}/{p}" for d in DeliveryMethod for p in PaymentMethod if payment_problem(d, p) is None}
    assert fits == {
        "courier/electronic", "own/electronic", "pickup/electronic",
        "courier/cash-on-delivery", "own/cash-on-delivery", "pickup/pay-at-pickup",
    }  # fmt: skip
    assert payment_problem(DeliveryMethod.courier, PaymentMethod.pay_at_pickup) == (
        "payment at pickup needs pickup at the shop"
    )
    assert [m for m in PaymentMethod if is_cash(m)] == [
        PaymentMethod.cash_on_delivery,
        PaymentMethod.pay_at_pickup,
    ]


def test_kitting_demo_speaks_the_api_words_and_still_reads_its_old_ones() -> None:
    assert fulfilment_and_payment("own", "cash-on-delivery") == (
        DeliveryMethod.own,
        PaymentMethod.cash_on_delivery,
    )
    assert fulfilment_and_payment("provider-delivery", "cod") == (
        DeliveryMethod.own,
        PaymentMethod.cash_on_delivery,
    )
    assert fulfilment_and_payment("pickup", "at-pickup") == (
        DeliveryMethod.pickup,
        PaymentMethod.pay_at_pickup,
    )
    with pytest.raises(ValueError, match="needs pickup at the shop"):
        fulfilment_and_payment("courier", "pay-at-pickup")
    with pytest.raises(ValueError, match="unknown fulfilment 'drone'; choose one of courier, own, pickup"):
        fulfilment_and_payment("drone", "electronic")


def test_the_terminal_offers_exactly_the_payment_rules() -> None:
    page = terminal_html()
    offered = re.findall(r'<input type="radio" name="payment" id="payment-([a-z-]+)" value="([a-z-]+)"', page)
    assert [value for _, value in offered] == [m.value for m in PAYMENT_RULES]
    rules = re.search(r'<script id="payment-rules" type="application/json">(.*?)</script>', page, re.S)
    assert rules is not None
    assert json.loads(rules.group(1)) == {
        m.value: {"short": r.short, "fulfilments": sorted(r.fulfilments), "unavailable": r.unavailable}
        for m, r in PAYMENT_RULES.items()
    }
    for method, rule in PAYMENT_RULES.items():
        assert f'<label for="payment-{method}">{rule.choice}</label>' in page
