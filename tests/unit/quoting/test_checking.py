"""Kitting's own check of offers: a provider's "exact" is not trusted, unfit products are dropped, and
substitutes are used only as the person's policy and consent allow."""

from __future__ import annotations

from decimal import Decimal

from agents.quoting.checking import Consent, accepted_substitutes, checked
from agents.quoting.decisions import run_selection
from agents.selection.model import PackOption, ProviderOffer
from schemas.concepts import Diet
from schemas.events import PriorityProfile, QuoteLine, QuoteOffered
from schemas.examples import example
from schemas.vocabulary import SubstitutePolicy

OLIVE_OIL = QuoteLine(line_id="oil", name="olive oil", concept="en:olive-oils")
STOCK = QuoteLine(
    line_id="stock", name="vegetable stock", concept="en:vegetable-broths", diet=Diet.vegetarian
)
CHEDDAR = QuoteLine(line_id="cheese", name="mature cheddar", concept="en:mature-cheddar")


def option(line: str, sku: str, product: str, concept: str | None, substitute: bool = False) -> PackOption:
    return PackOption(
        line, sku, Decimal(500), "ml", Decimal("3.50"), None, product, substitute, concept=concept
    )


def shop(provider: str, *options: PackOption) -> ProviderOffer:
    return ProviderOffer(provider, Decimal("2.00"), 60, options)


def used(result_offers: list[ProviderOffer]) -> dict[str, list[tuple[str, bool]]]:
    return {o.provider: [(p.sku, p.substitute) for p in o.lines] for o in result_offers}


def test_a_providers_own_exact_is_checked_against_the_need() -> None:
    claims = shop("a", option("oil", "sun", "Sunflower oil", "en:sunflower-oils", substitute=False))
    result = checked([claims], [OLIVE_OIL], Consent(SubstitutePolicy.similar))
    [kept] = result.offers[0].lines
    assert kept.substitute and "Sunflower oils for olive oils: another" in kept.reason


def test_a_product_that_is_another_thing_or_breaks_the_diet_is_dropped_with_the_reason() -> None:
    offers = [
        shop("a", option("stock", "chicken", "Chicken stock", "en:liquid-chicken-broths")),
        shop("b", option("oil", "jam", "Strawberry jam", "en:strawberry-jams")),
    ]
    result = checked(offers, [STOCK, OLIVE_OIL], Consent(SubstitutePolicy.similar, proposal=True))
    assert used(result.offers) == {"a": [], "b": []}
    assert "not vegetarian" in result.reasons["stock"] and "is not olive oil" in result.reasons["oil"]


def test_an_exact_product_anywhere_beats_a_substitute() -> None:
    offers = [
        shop("cheap", option("oil", "sun", "Sunflower oil", "en:sunflower-oils")),
        shop("dear", option("oil", "olive", "Olive oil", "en:olive-oils")),
    ]
    result = checked(offers, [OLIVE_OIL], Consent(SubstitutePolicy.similar, proposal=True))
    assert used(result.offers) == {"cheap": [], "dear": [("olive", False)]}
    assert result.reasons == {}


def only_a_substitute(consent: Consent) -> tuple[dict[str, list[tuple[str, bool]]], dict[str, str]]:
    offers = [shop("a", option("cheese", "red", "Red Leicester", "en:red-leicester"))]
    result = checked(offers, [CHEDDAR], consent)
    return used(result.offers), result.reasons


def test_never_takes_no_substitute() -> None:
    assert only_a_substitute(Consent(SubstitutePolicy.never, proposal=True)) == (
        {"a": []},
        {"cheese": "only a substitute is offered (Red Leicester for mature cheddar: another cheese from "
         "England) and you take none"},
    )  # fmt: skip


def test_ask_proposes_a_substitute_but_orders_it_only_once_accepted() -> None:
    assert only_a_substitute(Consent(SubstitutePolicy.ask, proposal=True)) == ({"a": [("red", True)]}, {})
    offers, reasons = only_a_substitute(Consent(SubstitutePolicy.ask))
    assert offers == {"a": []} and reasons["cheese"].startswith(
        "a substitute needs your consent: Red Leicester"
    )
    accepted = Consent(SubstitutePolicy.ask, accepted={"cheese": frozenset({"red"})})
    assert only_a_substitute(accepted) == ({"a": [("red", True)]}, {})


def test_consent_is_for_the_product_shown_not_for_another_substitute() -> None:
    """The person accepted Red Leicester for the cheddar; a cheaper Double Gloucester found when the
    selection is made again (or by compensation) is not what they agreed to."""
    offers = [
        shop("a", option("cheese", "red", "Red Leicester", "en:red-leicester")),
        shop("b", option("cheese", "dg", "Double Gloucester", "en:double-gloucester")),
    ]
    proposal = {"lines": [{"line_id": "cheese", "sku": "red", "substitute": True}]}
    consent = Consent(SubstitutePolicy.ask, accepted_substitutes(proposal, ["cheese"]))
    result = checked(offers, [CHEDDAR], consent)
    assert used(result.offers) == {"a": [("red", True)], "b": []}
    without_it = checked(offers[1:], [CHEDDAR], consent)
    assert used(without_it.offers) == {"b": []}
    assert without_it.reasons["cheese"].startswith("only the substitute you accepted may be ordered")
    assert accepted_substitutes(proposal, []) == {}


def test_similar_takes_only_close_substitutes() -> None:
    close = shop("a", option("cheese", "mild", "Mild cheddar", "en:mild-cheddar"))
    far = shop("b", option("cheese", "red", "Red Leicester", "en:red-leicester"))
    result = checked([close, far], [CHEDDAR], Consent(SubstitutePolicy.similar))
    assert used(result.offers) == {"a": [("mild", True)], "b": []}
    assert result.offers[0].lines[0].reason == "Mild cheddar for mature cheddar: another cheddar cheese"


def test_an_excluded_shops_exact_product_does_not_hide_another_shops_substitute() -> None:
    """run_selection leaves the excluded shops out before judging, so the substitute is proposed."""
    flour = QuoteLine(line_id="c1", name="spelt flour", concept="en:spelt-flours")
    exact = example(QuoteOffered).model_copy(update={"provider_id": "exact-shop"})
    wheat = exact.lines[0].model_copy(update={"options": [], "product": "Plain wheat flour 1 kg"})
    other = exact.model_copy(update={"provider_id": "other-shop", "lines": [wheat]})
    spelt = exact.lines[0].model_copy(
        update={"options": [], "product": "Spelt flour 1 kg", "concept": "en:spelt-flours"}
    )
    exact = exact.model_copy(update={"lines": [spelt]})
    usable = [(offer, offer.delivery_options[0]) for offer in (exact, other)]
    profile = PriorityProfile(excluded=["exact-shop"])
    selection = run_selection([flour], usable, profile, Consent(SubstitutePolicy.ask, proposal=True))
    assert [(line.provider, line.substitute) for line in selection.lines] == [("other-shop", True)]
    assert "another" in selection.lines[0].reason
