from datetime import UTC, datetime
from decimal import Decimal

from agents.coordinator.selection import cheapest_covering
from schemas import events as ev
from schemas.examples import EXAMPLES
from schemas.values import Money

REQUEST = EXAMPLES[ev.QuoteRequested]
assert isinstance(REQUEST, ev.QuoteRequested)
BASE = EXAMPLES[ev.QuoteOffered]
assert isinstance(BASE, ev.QuoteOffered)


def offer(provider: str, subtotal: str, fee: str, covered: bool = True, **changes: object) -> ev.QuoteOffered:
    eur = Money(amount=Decimal(subtotal), currency="EUR")
    fee_eur = Money(amount=Decimal(fee), currency="EUR")
    fields: dict[str, object] = {
        "provider_id": provider,
        "subtotal": eur,
        "lines": BASE.lines if covered else [],
        "missing": [] if covered else ["c1"],
        "delivery_options": [ev.DeliveryOption(method=ev.DeliveryMethod.courier, fee=fee_eur, eta_hours=24)],
        "valid_until": datetime(2030, 1, 1, tzinfo=UTC),
    }
    fields.update(changes)
    return BASE.model_copy(update=fields)


def test_cheapest_total_including_delivery_wins() -> None:
    choice = cheapest_covering(REQUEST, [offer("a", "5.00", "4.90"), offer("b", "6.00", "3.00")])
    assert choice is not None
    assert (choice.offer.provider_id, choice.total.amount) == ("b", Decimal("9.00"))


def test_offers_that_do_not_cover_every_line_are_not_chosen() -> None:
    choice = cheapest_covering(REQUEST, [offer("a", "1.00", "0", covered=False), offer("b", "6.00", "3.00")])
    assert choice is not None and choice.offer.provider_id == "b"
    assert cheapest_covering(REQUEST, [offer("a", "1.00", "0", covered=False)]) is None


def test_offers_without_the_asked_payment_are_not_chosen() -> None:
    cash_only = offer("a", "1.00", "0", payment_methods=[ev.PaymentMethod.cash_on_delivery])
    assert cheapest_covering(REQUEST, [cash_only]) is None


def test_ties_break_by_provider_id() -> None:
    choice = cheapest_covering(REQUEST, [offer("z", "5", "1"), offer("m", "5", "1")])
    assert choice is not None and choice.offer.provider_id == "m"
