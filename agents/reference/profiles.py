"""Who the reference shops are: their delivery, payment and regions, and how each stocks and prices
(its share of the products, pack sizes, markup and stock levels)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from schemas.vocabulary import DeliveryMethod, PaymentMethod

GROCERY, HARDWARE = "grocery", "hardware"


@dataclass(frozen=True)
class DeliveryTerms:
    method: DeliveryMethod  # courier | own | pickup
    fee: Decimal
    eta_minutes: int


@dataclass(frozen=True)
class ShopProfile:
    provider_id: str
    name: str
    categories: frozenset[str]  # "grocery" and/or "hardware"
    regions: frozenset[str]
    delivery: tuple[DeliveryTerms, ...]
    payment_methods: tuple[PaymentMethod, ...]
    currency: str = "EUR"


@dataclass(frozen=True)
class ShopRange:
    """What a shop stocks and how it prices: its share of the products, pack sizes, markup, stock."""

    prefix: str  # of its SKUs
    markup: Decimal
    share: Decimal  # of the ordinary products carried
    core_share: Decimal  # of the staples and the items the demo pages need
    packs: str  # "small", "large" or "any"
    stock: tuple[int, int]  # packs on hand, lowest and highest


def _terms(method: DeliveryMethod, fee: str, eta_minutes: int) -> DeliveryTerms:
    return DeliveryTerms(method, Decimal(fee), eta_minutes)


_COURIER, _OWN, _PICKUP = DeliveryMethod.courier, DeliveryMethod.own, DeliveryMethod.pickup
_ELECTRONIC, _CASH, _AT_PICKUP = (
    PaymentMethod.electronic,
    PaymentMethod.cash_on_delivery,
    PaymentMethod.pay_at_pickup,
)
_DEFAULT, _NORTH = frozenset({"default"}), frozenset({"north"})

REFERENCE_SHOPS: tuple[ShopProfile, ...] = (
    ShopProfile(
        "discount-depot", "Discount Depot", frozenset({GROCERY}), _DEFAULT,
        (_terms(_COURIER, "2.99", 1440),), (_ELECTRONIC,),
    ),
    ShopProfile(
        "fresh-express", "Fresh Express", frozenset({GROCERY}), _DEFAULT,
        (_terms(_OWN, "4.90", 60),), (_ELECTRONIC, _CASH),
    ),
    ShopProfile(
        "market-hall", "Market Hall", frozenset({GROCERY}), _DEFAULT | _NORTH,
        (_terms(_PICKUP, "0", 30), _terms(_OWN, "3.50", 120), _terms(_COURIER, "3.90", 480)),
        (_ELECTRONIC, _CASH, _AT_PICKUP),
    ),
    ShopProfile(
        "corner-grocer", "Corner Grocer", frozenset({GROCERY}), _DEFAULT,
        (_terms(_PICKUP, "0", 15), _terms(_COURIER, "2.50", 45)), (_ELECTRONIC, _CASH, _AT_PICKUP),
    ),
    ShopProfile(
        "north-pantry", "North Pantry", frozenset({GROCERY}), _NORTH,
        (_terms(_OWN, "3.90", 90), _terms(_COURIER, "2.90", 240)), (_ELECTRONIC, _CASH),
    ),
    ShopProfile(
        "diy-warehouse", "DIY Warehouse", frozenset({HARDWARE}), _DEFAULT,
        (_terms(_COURIER, "5.95", 1440), _terms(_PICKUP, "0", 60)), (_ELECTRONIC, _AT_PICKUP),
    ),
    ShopProfile(
        "local-hardware", "Local Hardware", frozenset({HARDWARE}), _DEFAULT,
        (_terms(_PICKUP, "0", 20), _terms(_OWN, "3.00", 45)), (_ELECTRONIC, _CASH, _AT_PICKUP),
    ),
)  # fmt: skip

RANGES: dict[str, ShopRange] = {
    "discount-depot": ShopRange("DD", Decimal("0.86"), Decimal("0.75"), Decimal("1"), "large", (20, 200)),
    "fresh-express": ShopRange("FX", Decimal("1.28"), Decimal("0.75"), Decimal("1"), "small", (4, 30)),
    "market-hall": ShopRange("MH", Decimal("1.05"), Decimal("0.85"), Decimal("0.9"), "any", (5, 60)),
    "corner-grocer": ShopRange("CG", Decimal("1.15"), Decimal("0.40"), Decimal("0.8"), "small", (1, 6)),
    "north-pantry": ShopRange("NP", Decimal("1.00"), Decimal("0.70"), Decimal("1"), "any", (5, 50)),
    "diy-warehouse": ShopRange("DW", Decimal("0.90"), Decimal("0.90"), Decimal("1"), "large", (10, 120)),
    "local-hardware": ShopRange("LH", Decimal("1.18"), Decimal("0.70"), Decimal("1"), "small", (1, 12)),
}


def profile_of(provider_id: str) -> ShopProfile:
    for shop in REFERENCE_SHOPS:
        if shop.provider_id == provider_id:
            return shop
    raise KeyError(provider_id)
