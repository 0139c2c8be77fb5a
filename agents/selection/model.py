"""What a selection takes and gives: the needs, the providers' offers in packs, the ranking, and the
chosen lines. Plain frozen dataclasses, shared by the optimiser (optimise.py) and pack rounding
(packs.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from schemas.events import PriorityProfile
from schemas.vocabulary import Criterion

CHEAPEST = Criterion.cheapest
FASTEST = Criterion.fastest
FEWEST = Criterion.fewest_providers
PREFERRED = Criterion.preferred
WEIGHTED = Criterion.weighted
PRIORITIES: tuple[Criterion, ...] = tuple(Criterion)
WEIGHT_KEYS: tuple[Criterion, ...] = (CHEAPEST, FASTEST, FEWEST)
ONLY_EXCLUDED = "offered only by excluded providers"
PROVIDER_CAP = "provider cap"
NOT_PICKED = "not picked"


@dataclass(frozen=True)
class Need:
    """One line of the basket."""

    line: str
    quantity: Decimal | None
    unit: str | None
    name: str = ""  # component name, for density conversions
    grams: Decimal | None = None  # what the need weighs, when known ("2 cloves garlic": 6)
    piece_grams: Decimal | None = None  # what one whole piece of its food weighs (a bulb, an onion)
    density: Decimal | None = None  # grams per millilitre of its food
    unit_grams: Mapping[str, Decimal] | None = None  # what one of its kitchen units weighs (a bunch: 60)

    def unit_weight(self, unit: str) -> Decimal | None:
        """Grams of one `unit` (a counted unit: piece, bunch, head...) of the need's food, if known."""
        if unit == "piece" and self.piece_grams:
            return self.piece_grams
        return (self.unit_grams or {}).get(unit)


@dataclass(frozen=True)
class PackOption:
    """One product a provider offers for a line."""

    line: str
    sku: str
    pack_quantity: Decimal
    pack_unit: str
    pack_price: Decimal
    packs_available: int | None = None  # None = unlimited
    product: str = ""
    substitute: bool = False
    reason: str = ""  # a substitute: why it is one, for the person
    concept: str | None = None  # what the product is
    similar: bool = False  # a substitute close to the need (what the `similar` policy takes)


@dataclass(frozen=True)
class ProviderOffer:
    provider: str
    delivery_fee: Decimal
    eta_minutes: int
    lines: tuple[PackOption, ...]


@dataclass(frozen=True)
class Ranking:
    """How selections are ranked: the person's criteria in order (the contract's `Criterion`), then
    tie-breaks; the optimiser's frozen form of a `PriorityProfile`."""

    order: tuple[Criterion, ...] = (CHEAPEST,)
    preferred: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    max_providers: int | None = None
    # for "weighted": per currency unit of the total, per minute of the latest ETA, per provider used
    weights: Mapping[str, Decimal] | None = None

    @classmethod
    def of(cls, profile: PriorityProfile) -> Ranking:
        return cls(
            order=tuple(profile.order),
            preferred=tuple(profile.preferred),
            excluded=tuple(profile.excluded),
            max_providers=profile.max_providers,
            weights={str(k): v for k, v in profile.weights.items()} if profile.weights else None,
        )


@dataclass(frozen=True)
class SelectedLine:
    line: str
    provider: str
    sku: str
    packs: int
    pack_quantity: Decimal
    pack_unit: str
    cost: Decimal  # packs * pack_price
    # what these packs hold beyond the need, in pack_unit (earlier SKUs of the line are used first);
    # None when the need had no quantity
    leftover: Decimal | None
    product: str = ""
    substitute: bool = False
    reason: str = ""
    concept: str | None = None


@dataclass(frozen=True)
class Selection:
    providers: tuple[str, ...]  # sorted
    lines: tuple[SelectedLine, ...]  # sorted by (line, provider, sku)
    total: Decimal  # packs + delivery fees of the chosen providers
    delivery_fees: Mapping[str, Decimal]
    latest_eta_minutes: int | None
    uncovered: tuple[str, ...]  # sorted
    reasons: Mapping[str, str] = field(default_factory=dict)  # per uncovered line, why
