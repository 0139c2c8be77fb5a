from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from agents.coordinator.selection import cheapest_covering, offer_problem
from schemas import events as ev
from schemas.examples import example
from schemas.values import Money

REQUEST = example(ev.QuoteRequested)
BASE = example(ev.QuoteOffered)
NOW = datetime(2026, 11, 23, 12, 0, 1, tzinfo=UTC)


def eur(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="EUR")


def offer(provider: str, price: str, fee: str, covered: bool = True, **changes: object) -> ev.QuoteOffered:
    line = BASE.lines[0].model_copy(update={"unit_price": eur(price), "total": eur(price), "packs": 1})
    fields: dict[str, object] = {
        "provider_id": provider,
        "subtotal": eur(price if covered else "0"),
        "lines": [line] if covered else [],
        "missing": [] if covered else ["c1"],
        "delivery_options": [ev.DeliveryOption(method=ev.DeliveryMethod.courier, fee=eur(fee), eta_hours=24)],
        "valid_until": NOW + timedelta(hours=1),
    }
    fields.update(changes)
    return BASE.model_copy(update=fields)


def test_cheapest_total_including_delivery_wins() -> None:
    choice = cheapest_covering(
        REQUEST, [offer("corner-grocer", "5.00", "4.90"), offer("market-hall", "6.00", "3.00")], NOW
    )
    assert choice is not None
    assert (choice.offer.provider_id, choice.total.amount) == ("market-hall", Decimal("9.00"))


def test_offers_that_do_not_cover_every_line_are_not_chosen() -> None:
    partial, full = offer("corner-grocer", "1.00", "0", covered=False), offer("market-hall", "6.00", "3.00")
    choice = cheapest_covering(REQUEST, [partial, full], NOW)
    assert choice is not None and choice.offer.provider_id == "market-hall"
    assert cheapest_covering(REQUEST, [partial], NOW) is None


def test_ties_break_by_provider_id() -> None:
    choice = cheapest_covering(
        REQUEST, [offer("market-hall", "5", "1"), offer("corner-grocer", "5", "1")], NOW
    )
    assert choice is not None and choice.offer.provider_id == "corner-grocer"


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (offer("intruder", "0.01", "0"), "not asked"),
        (offer("corner-grocer", "0.01", "0", valid_until=NOW - timedelta(seconds=1)), "expired"),
        (offer("corner-grocer", "5.00", "0", subtotal=eur("0.01")), "subtotal is not the sum"),
        (
            offer("corner-grocer", "0.01", "0", payment_methods=[ev.PaymentMethod.cash_on_delivery]),
            "does not take",
        ),
    ],
)
def test_offers_that_cannot_be_taken_are_never_chosen(bad: ev.QuoteOffered, problem: str) -> None:
    assert problem in (offer_problem(bad, REQUEST, NOW) or "")
    choice = cheapest_covering(REQUEST, [bad, offer("market-hall", "9.00", "4.90")], NOW)
    assert choice is not None and choice.offer.provider_id == "market-hall"


def test_a_line_total_that_is_not_packs_times_price_is_refused() -> None:
    cooked = offer("corner-grocer", "5.00", "0")
    cheap_line = cooked.lines[0].model_copy(update={"packs": 3})
    cooked = cooked.model_copy(update={"lines": [cheap_line]})
    assert "packs x unit price" in (offer_problem(cooked, REQUEST, NOW) or "")
