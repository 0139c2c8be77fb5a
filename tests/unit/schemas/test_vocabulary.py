"""One vocabulary per concept: criteria, fulfilments and payments are spelled one way everywhere, older
spellings are still read, and the payment rules decide what goes with what."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import jsonschema
import pytest
from pydantic import ValidationError

from agents.cli.demo import fulfilment_and_payment
from agents.http.routes.terminal import terminal_html
from agents.selection.model import PRIORITIES, WEIGHT_KEYS
from schemas.envelope import new_envelope
from schemas.events import PriorityProfile, QuoteLine, QuotePreferences, QuoteRequested
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
from streams.codec import decode, encode
from streams.topics import Topic


@pytest.mark.parametrize(
    ("old", "new"), [("fewest-shops", "fewest-providers"), ("preferred-shops", "preferred")]
)
def test_an_old_criterion_is_read_as_the_new_one_and_written_new(old: str, new: str) -> None:
    prefs = QuotePreferences.model_validate({"customer_ref": "c", "priority": old})
    assert prefs.priority is Criterion(new)
    assert prefs.model_dump(mode="json")["priority"] == new
    assert PriorityProfile.model_validate({"order": [old]}).order == [Criterion(new)]


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


def test_weighted_needs_weights() -> None:
    with pytest.raises(ValidationError, match="needs weights"):
        PriorityProfile(order=[Criterion.weighted])
    with pytest.raises(ValidationError, match="needs a profile"):
        QuotePreferences(customer_ref="c", priority=Criterion.weighted)
    weighted = PriorityProfile(order=[Criterion.weighted], weights={"cheapest": 1, "fastest": "0.1"})
    assert QuotePreferences(customer_ref="c", priority=Criterion.weighted, profile=weighted).profile


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
