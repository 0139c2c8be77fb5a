"""The reference shops: profiles, catalogs built the same every run, the demo pages' components, and the
shop as a provider adapter (quotes, orders, cancellations)."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from agents.providers.sdk import ProviderAdapter
from agents.quoting.needs import described, merge_needs
from agents.reference.assortment import catalog_of
from agents.reference.catalog import Catalog, Product, ProductMatch
from agents.reference.faults import Faults
from agents.reference.pack_sizes import parse_pack
from agents.reference.profiles import REFERENCE_SHOPS, DeliveryTerms, ShopProfile
from agents.reference.shop import ReferenceShop
from schemas import events as ev
from schemas.concepts import Diet, taxonomy
from schemas.envelope import new_envelope
from schemas.events import ComponentKind
from schemas.examples import example
from schemas.units import COUNTED, PINT_OF
from schemas.values import Money, Quantity
from schemas.vocabulary import DeliveryMethod, PaymentMethod
from streams.topics import Topic

ROOT = Path(__file__).resolve().parents[3]
GROCERS = [shop for shop in REFERENCE_SHOPS if "grocery" in shop.categories]
HARDWARE_SHOPS = [shop for shop in REFERENCE_SHOPS if "hardware" in shop.categories]
INGREDIENT, SUPPLY, TOOL = ComponentKind.ingredient, ComponentKind.supply, ComponentKind.tool
# the components `kitting extract` finds on the demo pages (agents/http/demo_pages/, agents/cli/)
DEMO_COMPONENTS = [
    *[
        (name, INGREDIENT)
        for name in (
            "red lentils", "coconut milk", "onion", "garlic", "curry powder", "sunflower oil", "basmati rice",
            "coriander", "ripe tomatoes", "red onion", "olive oil", "vegetable stock", "sugar",
            "salt and pepper", "single cream", "plain flour", "eggs", "whole milk", "butter", "caster sugar",
            "salt",
        )
    ],
    *[
        (name, SUPPLY)
        for name in (
            "Tap washer, 1/2 inch", "O-ring assortment", "PTFE thread seal tape", "Silicone grease",
            "floating shelf kit", "wall plugs", "wood screws", "filler", "Matt emulsion paint, white",
            "Masking tape, 25 mm", "Decorator's caulk", "Dust sheet", "Sandpaper, 120 grit",
            "wall plug, 8 mm", "wood screw, 5 x 60 mm",
        )
    ],
    *[
        (name, TOOL)
        for name in (
            "Adjustable spanner", "Flat-head screwdriver", "Old towel", "Drill with an 8 mm masonry bit",
            "Spirit level", "Pencil", "Stud and cable detector", "Paint roller, 9 inch, with tray",
            "Angled brush, 50 mm", "Step ladder",
        )
    ],
]  # fmt: skip


def test_there_are_grocers_and_hardware_shops_with_distinct_ids() -> None:
    ids = [shop.provider_id for shop in REFERENCE_SHOPS]
    assert len(ids) == len(set(ids))
    assert len(GROCERS) >= 4 and len(HARDWARE_SHOPS) >= 2
    assert {"corner-grocer", "market-hall"} <= {shop.provider_id for shop in GROCERS}


def test_shops_differ_in_delivery_fees_and_times() -> None:
    for shops in (GROCERS, HARDWARE_SHOPS):
        terms = [shop.delivery for shop in shops]
        assert len(set(terms)) == len(terms)
        etas = [term.eta_minutes for shop in shops for term in shop.delivery]
        assert min(etas) <= 60 < max(etas)
    fees = {term.fee for shop in REFERENCE_SHOPS for term in shop.delivery}
    assert len(fees) >= 4


def test_delivery_and_payment_terms_make_sense() -> None:
    for shop in REFERENCE_SHOPS:
        assert shop.delivery and shop.payment_methods and shop.currency == "EUR"
        methods = {term.method for term in shop.delivery}
        assert len(methods) == len(shop.delivery)
        for term in shop.delivery:
            assert isinstance(term, DeliveryTerms) and term.fee >= 0 and term.eta_minutes > 0
            assert (term.fee == 0) == (term.method == DeliveryMethod.pickup)
        has_pickup = DeliveryMethod.pickup in methods
        assert (PaymentMethod.pay_at_pickup in shop.payment_methods) <= has_pickup


def test_regions_allow_routing_to_be_tested() -> None:
    assert all("default" in shop.regions for shop in HARDWARE_SHOPS)
    assert sum("default" in shop.regions for shop in GROCERS) >= 4
    assert any(shop.regions >= {"default", "north"} for shop in GROCERS)
    assert any(shop.regions == {"north"} for shop in GROCERS)


def needed(
    name: str, kind: ComponentKind = INGREDIENT, text: str | None = None, quantity: Quantity | None = None
) -> ev.QuoteLine:
    """The quote line Kitting asks shops for, for one component (its concept, freshness, weight)."""
    component = ev.Component(
        line_id="l1", text=text or name, name=name, quantity=quantity, kind=kind, provenance="test"
    )
    [line] = described(merge_needs([component]), [component])
    return line


@pytest.mark.parametrize(("name", "kind"), DEMO_COMPONENTS)
def test_every_demo_component_is_sold_exactly_by_two_shops_of_its_kind(
    name: str, kind: ComponentKind
) -> None:
    shops = [
        shop for shop in (GROCERS if kind == INGREDIENT else HARDWARE_SHOPS) if "default" in shop.regions
    ]
    line = needed(name, kind)
    exact = [
        shop.provider_id
        for shop in shops
        if any(not m.substitute for m in catalog_of(shop.provider_id).find(line))
    ]
    assert len(exact) >= 2, f"{name!r} is sold by {exact}"


def test_ingredients_are_not_looked_for_among_hardware_nor_tools_at_a_grocer() -> None:
    assert catalog_of(HARDWARE_SHOPS[0].provider_id).find(needed("sugar")) == []
    assert catalog_of(GROCERS[0].provider_id).find(needed("Step ladder", TOOL)) == []
    for shop in REFERENCE_SHOPS:
        assert catalog_of(shop.provider_id).find(needed("unicorn dust", SUPPLY)) == []


def test_a_shop_does_not_sell_cows_milk_for_coconut_milk() -> None:
    for shop in GROCERS:
        found = catalog_of(shop.provider_id).find(needed("coconut milk"), limit=10)
        assert found and all(taxonomy().is_within(m.product.concept or "", "en:coconut-milks") for m in found)


def grocers_offers(line: ev.QuoteLine) -> list[ProductMatch]:
    return [match for shop in GROCERS for match in catalog_of(shop.provider_id).find(line, limit=10)]


def test_olive_oil_is_olive_oil_where_there_is_olive_oil() -> None:
    offers = grocers_offers(needed("olive oil", text="2 tbsp olive oil"))
    assert offers and all(not m.substitute for m in offers)
    assert all(taxonomy().is_within(m.product.concept or "", "en:olive-oils") for m in offers)


def test_cheddar_is_cheddar_and_another_cheese_only_a_substitute_with_its_reason() -> None:
    line = needed("mature cheddar", text="100g mature cheddar, grated")
    offers = grocers_offers(line)
    assert offers and all(not m.substitute and "cheddar" in m.product.name.lower() for m in offers)
    no_cheddar = Catalog(p for p in catalog_of("market-hall").products if "cheddar" not in p.name.lower())
    substitutes = no_cheddar.find(line, limit=10)
    assert substitutes and all(m.substitute for m in substitutes)
    assert all(re.search(r": another .*cheese", m.fit.reason) for m in substitutes), substitutes[0].fit.reason


def test_a_vegetarian_recipe_gets_no_chicken_stock_even_as_a_substitute() -> None:
    line = needed("vegetable stock", text="1 litre vegetable stock").model_copy(
        update={"diet": Diet.vegetarian}
    )
    veg_free = Catalog(p for p in catalog_of("market-hall").products if "vegetable" not in p.name.lower())
    for catalog in (catalog_of("market-hall"), veg_free):
        for match in catalog.find(line, limit=10):
            assert taxonomy().suits(match.product.concept or "", Diet.vegetarian), match.product.name


def test_fresh_tomatoes_are_fresh_and_canned_ones_only_a_substitute() -> None:
    line = needed(
        "tomatoes", text="4 ripe tomatoes, chopped", quantity=Quantity(amount=Decimal(4), unit="piece")
    )
    assert line.fresh
    offers = grocers_offers(line)
    assert offers and all(not m.substitute for m in offers)
    assert not any(word in m.product.name.lower() for m in offers for word in ("canned", "passata", "purée"))
    processed = ("en:canned-tomatoes", "en:tomato-purees", "en:dried-tomatoes")
    tx = taxonomy()
    only_processed = Catalog(
        p
        for p in catalog_of("market-hall").products
        if any(tx.is_within(p.concept or "", c) for c in processed)
    )
    substitutes = only_processed.find(line)
    assert substitutes and all(m.substitute for m in substitutes)
    assert all(
        re.match(r"(Canned tomato|Tomato pur|Dried tomato).* for fresh tomatoes: ", m.fit.reason)
        for m in substitutes
    )


def test_two_cloves_of_garlic_are_one_bulb() -> None:
    line = needed(
        "garlic", text="2 cloves garlic, crushed", quantity=Quantity(amount=Decimal(2), unit="clove")
    )
    shop = shop_named("market-hall")
    [offer] = shop.quote(quote_request_of("market-hall", line)).lines
    assert not offer.substitute and "garlic" in offer.product.lower() and offer.packs == 1
    assert offer.pack.unit == "piece" or offer.pack.amount >= 6


def test_a_10_g_tube_of_silicone_grease_is_covered_by_a_tube_or_a_tub() -> None:
    line = needed("Silicone grease, 10 g tube", SUPPLY, quantity=Quantity(amount=Decimal(1), unit="tube"))
    for shop in HARDWARE_SHOPS:
        [offer] = shop_named(shop.provider_id).quote(quote_request_of(shop.provider_id, line)).lines
        assert not offer.substitute and offer.packs == 1 and "Silicone grease" in offer.product


def test_a_size_the_line_states_must_be_the_products() -> None:
    line = needed("Tap washer, 1/2 inch", SUPPLY)
    for shop in HARDWARE_SHOPS:
        for match in catalog_of(shop.provider_id).find(line, limit=10):
            assert match.substitute == ("1/2" not in match.product.name), match.product.name


def test_catalog_products_are_valid_money_quantities_and_concepts() -> None:
    units = set(PINT_OF) | set(COUNTED)
    for shop in REFERENCE_SHOPS:
        catalog = catalog_of(shop.provider_id)
        assert catalog.products
        skus = [product.sku for product in catalog.products]
        assert len(skus) == len(set(skus))
        for product in catalog.products:
            assert isinstance(product.price, Money) and product.price.currency == shop.currency
            assert Decimal("0") < product.price.amount == product.price.amount.quantize(Decimal("0.01"))
            assert isinstance(product.pack, Quantity) and product.pack.amount > 0
            assert product.pack.unit in units
            assert product.stock >= 0
            assert product.category in shop.categories and product.concept in taxonomy()


def test_grocers_carry_thousands_of_products_each_a_different_range_at_different_prices() -> None:
    ranges = {
        shop.provider_id: {product.sku.split("-", 1)[1] for product in catalog_of(shop.provider_id).products}
        for shop in GROCERS
    }
    everything = set().union(*ranges.values())
    assert all(codes < everything for codes in ranges.values()), "no shop has everything"
    assert sum(len(codes) >= 1900 for codes in ranges.values()) >= 4
    cheap = {p.sku.split("-", 1)[1]: p.price.amount for p in catalog_of("discount-depot").products}
    dear = {p.sku.split("-", 1)[1]: p.price.amount for p in catalog_of("fresh-express").products}
    both = cheap.keys() & dear.keys()
    assert len(both) > 20 and all(cheap[code] < dear[code] for code in both)
    assert max(p.stock for p in catalog_of("corner-grocer").products) < min(
        p.stock for p in catalog_of("discount-depot").products
    )


def catalogs_digest() -> str:
    rows = [
        (
            shop.provider_id,
            p.sku,
            p.name,
            str(p.pack.amount),
            p.pack.unit,
            str(p.price.amount),
            p.stock,
            p.concept,
        )
        for shop in REFERENCE_SHOPS
        for p in catalog_of.__wrapped__(shop.provider_id).products
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_catalogs_are_the_same_every_run() -> None:
    assert catalog_of("market-hall") is catalog_of("market-hall")
    assert catalog_of.__wrapped__("market-hall").products == catalog_of("market-hall").products
    code = "from tests.unit.reference.test_reference_shops import catalogs_digest; print(catalogs_digest())"
    environment = {**os.environ, "PYTHONHASHSEED": "12345"}
    other_run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    assert other_run.stdout.strip() == catalogs_digest()


def test_unknown_shops_have_no_catalog() -> None:
    with pytest.raises(KeyError):
        catalog_of("no-such-shop")


def test_find_offers_several_pack_sizes_of_the_same_thing() -> None:
    def product(sku: str, grams: str) -> Product:
        return Product(
            sku, f"Basmati rice {grams} g", Quantity(amount=Decimal(grams), unit="g"),
            Money(amount=Decimal("1.00"), currency="EUR"), 5, "grocery", "en:basmati-rices",
        )  # fmt: skip

    catalog = Catalog([product("a", "500"), product("b", "500"), product("c", "1000"), product("d", "2000")])
    line = needed("basmati rice")
    assert sorted(match.product.pack.amount for match in catalog.find(line, limit=3)) == [500, 1000, 2000]
    assert not catalog.find(line, limit=1)[0].substitute


def test_product_data_is_attributed_small_and_its_packs_parse() -> None:
    data = resources.files("agents.reference").joinpath("data")
    assert len(data.joinpath("grocery_products.json.gz").read_bytes()) < 300_000
    grocery = json.loads(gzip.decompress(data.joinpath("grocery_products.json.gz").read_bytes()))
    assert any("Open Food Facts contributors" in line for line in grocery["attribution"])
    assert len(grocery["products"]) >= 3000
    sources = {item["source"] for item in grocery["products"]}
    assert {"datakick", "off-names", "kitting"} <= sources
    off = [item for item in grocery["products"] if item["source"].startswith("off_")]
    assert len(off) >= 500
    for item in off:
        parsed = parse_pack(item["pack"]["text"])
        assert parsed is not None and parsed.unit == item["pack"]["unit"]
        assert parsed.quantity == Decimal(item["pack"]["quantity"])
    derived = [item for item in grocery["products"] if item.get("pack_derived")]
    assert derived and all(item["source"] in ("off-names", "kitting-everyday") for item in derived)
    hardware = json.loads(data.joinpath("hardware_products.json").read_text(encoding="utf-8"))
    assert 200 <= len(hardware["products"]) <= 600


# --- the shop as a provider adapter ---------------------------------------------------------------


def profile_of(provider_id: str) -> ShopProfile:
    return next(shop for shop in REFERENCE_SHOPS if shop.provider_id == provider_id)


def shop_named(provider_id: str, faults: Faults | None = None) -> ReferenceShop:
    return ReferenceShop(profile_of(provider_id), catalog_of(provider_id), faults or Faults())


def answers(adapter: ProviderAdapter, data: ev.EventData) -> list[ev.EventData]:
    return adapter.answer(new_envelope(data, source="urn:test", subject=data.basket_id))


def quote_request(provider_id: str, *names: str) -> ev.QuoteRequested:
    lines = [ev.QuoteLine(line_id=f"l{i}", name=name) for i, name in enumerate(names, 1)]
    return quote_request_of(provider_id, *lines)


def quote_request_of(provider_id: str, *lines: ev.QuoteLine) -> ev.QuoteRequested:
    return example(ev.QuoteRequested).model_copy(
        update={"provider_id": provider_id, "addressed": [provider_id], "lines": list(lines)}
    )


def order_of(offer: ev.QuoteOffered, profile: ShopProfile, **update: object) -> ev.OrderPlaced:
    """An order of everything offered, as offered, with the shop's first delivery and payment."""
    terms = profile.delivery[0]
    order = example(ev.OrderPlaced).model_copy(
        update={
            "provider_id": offer.provider_id, "request_id": offer.request_id, "lines": offer.lines,
            "delivery": ev.DeliveryOption(
                method=terms.method, fee=Money(amount=terms.fee, currency="EUR"), eta_hours=1
            ),
            "payment": profile.payment_methods[0], "total": offer.subtotal,
        }
    )  # fmt: skip
    return order.model_copy(update=update)


def quoted_order(provider_id: str, *names: str, **update: object) -> ev.OrderPlaced:
    shop = shop_named(provider_id)
    return order_of(shop.quote(quote_request(provider_id, *names)), shop.profile, **update)


def test_the_shop_adapter_quotes_what_is_addressed_to_it() -> None:
    adapter = shop_named("market-hall").adapter()
    assert adapter.provider_id == "market-hall"
    assert adapter.topics == [Topic.QUOTE_REQUESTED, Topic.ORDER_PLACED, Topic.ORDER_CANCELLED]
    [offer] = answers(adapter, quote_request("market-hall", "plain flour", "unicorn dust"))
    assert isinstance(offer, ev.QuoteOffered) and offer.provider_id == "market-hall"
    assert [line.line_id for line in offer.lines] == ["l1"] and offer.missing == ["l2"]
    offered = {(option.method, option.eta_minutes) for option in offer.delivery_options}
    assert offered == {(terms.method, terms.eta_minutes) for terms in profile_of("market-hall").delivery}
    assert answers(adapter, quote_request("corner-grocer", "plain flour")) == []


def test_an_order_as_quoted_is_confirmed_and_a_cancellation_just_dropped() -> None:
    adapter = shop_named("market-hall").adapter()
    order = quoted_order("market-hall", "plain flour", "eggs")
    assert len(order.lines) == 2
    [answer] = answers(adapter, order)
    assert isinstance(answer, ev.OrderConfirmed)
    assert (answer.order_id, answer.provider_id) == (order.order_id, "market-hall")
    assert answer.provider_order_ref.startswith("market-hall-")
    cancelled = ev.OrderCancelled(
        basket_id=order.basket_id, order_id=order.order_id, provider_id="market-hall", reason="replaced"
    )
    assert answers(adapter, cancelled) == []
    assert answers(adapter, order.model_copy(update={"provider_id": "fresh-express"})) == []


def wrong_sku(order: ev.OrderPlaced) -> ev.OrderPlaced:
    return order.model_copy(update={"lines": [order.lines[0].model_copy(update={"sku": "NOPE-1"})]})


def wrong_price(order: ev.OrderPlaced) -> ev.OrderPlaced:
    line = order.lines[0]
    cheaper = line.unit_price.model_copy(update={"amount": line.unit_price.amount - Decimal("0.05")})
    return order.model_copy(update={"lines": [line.model_copy(update={"unit_price": cheaper})]})


def unoffered_delivery(order: ev.OrderPlaced) -> ev.OrderPlaced:
    offered = {terms.method for terms in shop_named(order.provider_id).profile.delivery}
    method = next(method for method in DeliveryMethod if method not in offered)
    return order.model_copy(update={"delivery": order.delivery.model_copy(update={"method": method})})


def unaccepted_payment(order: ev.OrderPlaced) -> ev.OrderPlaced:
    accepted = shop_named(order.provider_id).profile.payment_methods
    return order.model_copy(update={"payment": next(p for p in PaymentMethod if p not in accepted)})


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (wrong_sku, r"^unknown product NOPE-1$"),
        (wrong_price, r"^price of \S+ is \d+\.\d\d EUR, not \d+\.\d\d$"),
        (unoffered_delivery, r"^no (courier|own|pickup) delivery$"),
        (unaccepted_payment, r"^(electronic|cash-on-delivery|pay-at-pickup) not accepted$"),
    ],
)
def test_an_order_the_shop_cannot_take_is_rejected_whole(
    change: Callable[[ev.OrderPlaced], ev.OrderPlaced], reason: str
) -> None:
    shop_id = "discount-depot"  # the fewest ways to deliver and to pay
    order = change(quoted_order(shop_id, "plain flour"))
    [answer] = answers(shop_named(shop_id).adapter(), order)
    assert isinstance(answer, ev.OrderRejected)
    assert re.search(reason, answer.reason) and answer.line_ids == []


def test_lines_beyond_the_stock_are_rejected_alone() -> None:
    order = quoted_order("corner-grocer", "plain flour", "eggs", "sugar")
    assert len(order.lines) == 3
    stock = {p.sku: p.stock for p in catalog_of("corner-grocer").products}
    first, second, third = order.lines
    too_many = [
        first.model_copy(update={"packs": stock[first.sku] + 1}),
        second.model_copy(update={"packs": stock[second.sku]}),  # exactly the stock: fine
        third.model_copy(update={"packs": stock[third.sku] + 5}),
    ]
    [answer] = answers(shop_named("corner-grocer").adapter(), order.model_copy(update={"lines": too_many}))
    assert isinstance(answer, ev.OrderRejected)
    assert answer.line_ids == [first.line_id, third.line_id]
    assert f"only {stock[first.sku]} packs of {first.sku}" in answer.reason
    assert first.line_id in answer.reason and third.sku in answer.reason and second.sku not in answer.reason


def test_drill_faults_reject_every_order_or_never_answer() -> None:
    order = quoted_order("market-hall", "plain flour")
    rejecting = shop_named("market-hall", Faults(reject=frozenset({"market-hall"}))).adapter()
    [answer] = answers(rejecting, order)
    assert isinstance(answer, ev.OrderRejected) and answer.line_ids == []
    assert answer.reason == "Market Hall rejects every order (drill)"
    silent = shop_named("market-hall", Faults(silent=frozenset({"market-hall"}))).adapter()
    assert answers(silent, order) == []
    assert len(answers(silent, quote_request("market-hall", "plain flour"))) == 1  # it still quotes
    others = shop_named("market-hall", Faults(reject=frozenset({"corner-grocer"}))).adapter()
    assert isinstance(answers(others, order)[0], ev.OrderConfirmed)


def test_a_catalog_answers_a_need_it_has_met_before_from_memory_and_minds_what_the_answer_reads() -> None:
    """A repeat costs a lookup; a need that differs in anything the search reads gets its own answer."""
    catalog = Catalog(catalog_of("market-hall").products)
    stock = needed("chicken stock", text="1 litre chicken stock")
    vegetarian = stock.model_copy(update={"diet": Diet.vegetarian})
    lines = [stock, vegetarian, stock.model_copy(update={"concept": None}), needed("tomatoes")]
    first = [catalog.find(line, limit=10) for line in lines]
    assert first == [catalog._search(line, 10) for line in lines]  # the same as an uncached search
    assert first[0] != first[1]  # the diet is part of the key
    searched: list[str] = []
    real = catalog._search

    def counted(line: ev.QuoteLine, limit: int) -> list[ProductMatch]:
        searched.append(line.name)
        return real(line, limit)

    catalog._search = counted  # type: ignore[method-assign]
    again = [catalog.find(line.model_copy(update={"line_id": "other"}), limit=10) for line in lines]
    assert again == first and searched == []
    for changed in ({"fresh": True}, {"broader": True}, {"kind": TOOL}, {"name": "chicken stock cubes"}):
        catalog.find(stock.model_copy(update=changed), limit=10)
    catalog.find(stock, limit=3)  # another limit is another answer
    assert searched == ["chicken stock"] * 3 + ["chicken stock cubes", "chicken stock"]
