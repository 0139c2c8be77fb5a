"""Choosing shops for a basket: exact lexicographic optimisation. Plain functions: no broker, no database.

Why assignment variables are enough (and the answer still exact): a line is supplied by one provider, and
once a line is given to a provider, what it costs there depends on nothing else (pack rounding per
(line, provider) is independent of the other lines; delivery fees depend only on which providers are
used). So every selection is: a set of (line, provider) assignments, each at the best pack cost for that
pair (packs.round_packs, exact), plus one fee per provider used. Any other pack choice for an assigned
pair costs at least as much and changes nothing else, so the optimum over the small model below is the
optimum over all pack combinations.

The model (scipy.optimize.milp, HiGHS, mip_rel_gap 0): binary z[l,p] for every pair that can be supplied,
binary y[p] per provider, continuous T for the latest ETA; sum_p z[l,p] <= 1 (== 1 when no cap binds, as
every coverable line is then covered), z[l,p] <= y[p], sum_p y[p] <= max_providers, T >= eta[p] y[p].
Stages are solved one after another: coverage, the stages of the priority, cost, preferred providers;
each optimum is then kept as a constraint (objectives are integers: money in exact scaled units, so the
bound is optimum + 1/2) before the next one. The last stage also carries a deterministic tie-break
(earlier provider ids first) weighted below one unit of its own objective. Inputs are sorted canonically
first, so a replay or a shuffled input builds the same model and gets the same answer. Totals are
recomputed in Decimal from the inputs, never read from solver floats.

Shortcuts that keep exactness: without a binding cap, coverage needs no solve (every coverable line is
covered), a first "fastest" or "preferred" stage is settled by fixing variables, and a first "cheapest"
stage drops pairs that cost more than moving the line elsewhere with a whole extra fee. When the number
of provider sets to consider is small (a binding cap, "fewest-providers" first, or few providers), the
_Subsets search replaces the MILP: a cardinality bound makes the MILP's relaxation weak and slow."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array, csr_array, vstack

from agents.selection.model import (
    CHEAPEST,
    FASTEST,
    FEWEST,
    NOT_PICKED,
    ONLY_EXCLUDED,
    PREFERRED,
    PRIORITIES,
    PROVIDER_CAP,
    WEIGHT_KEYS,
    WEIGHTED,
    Need,
    PackOption,
    ProviderOffer,
    Ranking,
    SelectedLine,
    Selection,
)
from agents.selection.packs import (
    NO_CONVERSION,
    NO_OFFER,
    NO_STOCK,
    PackCount,
    PackPlan,
    decimal_places,
    round_packs,
)
from schemas.vocabulary import Criterion


@dataclass(frozen=True)
class Candidate:
    """A line that a provider can supply, at its best pack plan."""

    line: str
    provider: str
    plan: PackPlan


# ---------------------------------------------------------------------------------------------- public


def select(needs: Sequence[Need], offers: Sequence[ProviderOffer], priority: Ranking) -> Selection:
    """The selection that covers the most needs (within the cap, never from excluded providers), then is
    best by `priority.order`, then cheapest, then most preferred, then deterministic."""
    validate(needs, offers, priority)
    offers_by_id = {o.provider: o for o in sorted(offers, key=lambda o: o.provider)}
    candidates, reasons = _candidates(_sorted_needs(needs), offers_by_id, set(priority.excluded))
    chosen = _Subsets(candidates, offers_by_id, priority).solve()
    if chosen is None:  # too many provider subsets to enumerate
        chosen = _Model(candidates, offers_by_id, priority).solve()
    for candidate in candidates:
        if candidate.line not in chosen:
            reasons.setdefault(candidate.line, PROVIDER_CAP)
    return _selection(needs, offers_by_id, chosen, reasons)


def select_by_hand(
    needs: Sequence[Need], offers: Sequence[ProviderOffer], picks: Mapping[str, str]
) -> Selection:
    """The user's choice of provider per line, packs still rounded optimally within that provider."""
    validate(needs, offers, Ranking())
    lines = {n.line for n in needs}
    if unknown := sorted(set(picks) - lines):
        raise ValueError(f"picks name lines that are not in the basket: {', '.join(unknown)}")
    offers_by_id = {o.provider: o for o in offers}
    chosen: dict[str, Candidate] = {}
    reasons: dict[str, str] = {}
    for need in _sorted_needs(needs):
        provider = picks.get(need.line)
        if provider is None:
            reasons[need.line] = NOT_PICKED
        elif provider not in offers_by_id:
            reasons[need.line] = f"no offer from {provider}"
        else:
            plan = round_packs(need, [o for o in offers_by_id[provider].lines if o.line == need.line])
            if isinstance(plan, PackPlan):
                chosen[need.line] = Candidate(need.line, provider, plan)
            else:
                reasons[need.line] = f"{plan.reason} from {provider}"
    return _selection(needs, offers_by_id, chosen, reasons)


def validate(needs: Sequence[Need], offers: Sequence[ProviderOffer], priority: Ranking) -> None:
    """Raise ValueError, naming the problem, for input no selection can be made from."""
    _validate_needs(needs)
    _validate_offers(offers)
    _validate_priority(priority)


# ------------------------------------------------------------------------------------------ validation


def _duplicates(values: Iterable[str]) -> list[str]:
    return sorted(value for value, times in Counter(values).items() if times > 1)


def _validate_needs(needs: Sequence[Need]) -> None:
    if twice := _duplicates(n.line for n in needs):
        raise ValueError(f"need lines appear more than once: {', '.join(twice)}")
    for need in needs:
        if need.quantity is not None and need.quantity <= 0:
            raise ValueError(f"need {need.line!r}: quantity must be positive (or null for 'some')")


def _validate_offers(offers: Sequence[ProviderOffer]) -> None:
    if twice := _duplicates(o.provider for o in offers):
        raise ValueError(f"providers appear in more than one offer: {', '.join(twice)}")
    for offer in offers:
        if offer.delivery_fee < 0:
            raise ValueError(f"provider {offer.provider!r}: delivery_fee must not be negative")
        if offer.eta_minutes < 0:
            raise ValueError(f"provider {offer.provider!r}: eta_minutes must not be negative")
        if twice := _duplicates(f"{o.line}/{o.sku}" for o in offer.lines):
            raise ValueError(f"provider {offer.provider!r} offers these line/sku twice: {', '.join(twice)}")
        for option in offer.lines:
            where = f"provider {offer.provider!r}, line {option.line!r}, sku {option.sku!r}"
            if option.pack_price < 0:
                raise ValueError(f"{where}: pack_price must not be negative")
            if option.pack_quantity <= 0:
                raise ValueError(f"{where}: pack_quantity must be positive")
            if option.packs_available is not None and option.packs_available < 0:
                raise ValueError(f"{where}: packs_available must not be negative")


def ranking_problem(ranking: Ranking) -> str | None:
    """Why no selection can be ranked this way (e.g. `weighted` without weights), or None."""
    try:
        _validate_priority(ranking)
    except ValueError as exc:
        return str(exc)
    return None


def _validate_priority(priority: Ranking) -> None:
    if unknown := [w for w in priority.order if w not in PRIORITIES]:
        raise ValueError(f"unknown priority {unknown[0]!r}: use one of {', '.join(PRIORITIES)}")
    if priority.max_providers is not None and priority.max_providers < 0:
        raise ValueError("max_providers must not be negative")
    weights = priority.weights or {}
    if unknown_weights := [k for k in weights if k not in WEIGHT_KEYS]:
        raise ValueError(f"unknown weight {unknown_weights[0]!r}: use {', '.join(WEIGHT_KEYS)}")
    if any(w < 0 for w in weights.values()):
        raise ValueError("weights must not be negative")
    if WEIGHTED in priority.order and not any(weights.values()):
        raise ValueError("priority 'weighted' needs weights, e.g. {'cheapest': 1, 'fastest': 0.1}")


# ------------------------------------------------------------------------------------------ candidates


def _sorted_needs(needs: Sequence[Need]) -> list[Need]:
    return sorted(needs, key=lambda n: n.line)


def _candidates(
    needs: list[Need], offers_by_id: Mapping[str, ProviderOffer], excluded: set[str]
) -> tuple[list[Candidate], dict[str, str]]:
    """Every (line, allowed provider) pair that can be supplied, at its best plan, and for each line with
    none, why."""
    options: dict[tuple[str, str], list[PackOption]] = {}
    for offer in offers_by_id.values():
        for option in offer.lines:
            options.setdefault((option.line, offer.provider), []).append(option)
    candidates: list[Candidate] = []
    reasons: dict[str, str] = {}
    for need in needs:
        failures: set[str] = set()
        found = False
        for provider in offers_by_id:
            offered = options.get((need.line, provider))
            if not offered:
                continue
            if provider in excluded:
                failures.add(ONLY_EXCLUDED)
                continue
            plan = round_packs(need, offered)
            if isinstance(plan, PackPlan):
                candidates.append(Candidate(need.line, provider, plan))
                found = True
            else:
                failures.add(plan.reason)
        if not found:
            reasons[need.line] = next(
                (r for r in (NO_STOCK, NO_CONVERSION, ONLY_EXCLUDED) if r in failures), NO_OFFER
            )
    return candidates, reasons


# ------------------------------------------------------------------------------------------------ stages


def stage_words(priority: Ranking) -> list[Criterion]:
    """The stages in force, in order: the priority's own, then cost, then preferred providers."""
    words = list(dict.fromkeys(priority.order))
    if CHEAPEST not in words:
        words.append(CHEAPEST)
    if priority.preferred and PREFERRED not in words:
        words.append(PREFERRED)
    return words


def _weights(priority: Ranking) -> tuple[dict[str, int], int]:
    """The weights as integers, and the power of ten they were multiplied by."""
    weights = priority.weights or {}
    exact = {k: weights.get(k, Decimal(0)) for k in WEIGHT_KEYS}
    scale = 10 ** max(decimal_places(v) for v in exact.values())
    return {k: int(v * scale) for k, v in exact.items()}, scale


# ------------------------------------------------------------------------------------ provider subsets

SUBSET_LIMIT = 20_000  # provider subsets beyond which the MILP takes over
SOLVE_TIME_LIMIT_S = 5.0  # per MILP solve: past it the best solution found is used
_CHUNK = 2048  # subsets evaluated at once
_NONE = np.iinfo(np.int64).max  # the score of a provider that cannot supply the line


class _Subsets:
    """Exact search over the sets of providers used, for when their number is bounded (a binding cap,
    or "fewest-providers" first) or small, where the MILP's relaxation is weak.

    For a set S, each line independently takes its best provider in S by the per-line parts of the
    stages in order (covered first, then the line's cost, preferred, provider id); the per-set parts
    (fees, latest ETA, count) are then counted over the providers actually used. Those parts only grow
    with the set, and lexicographic minima of independent per-line terms add up, so evaluating the
    optimum's own provider set gives an answer at least as good as the optimum: the best evaluated set
    is optimal."""

    def __init__(
        self, candidates: list[Candidate], offers_by_id: Mapping[str, ProviderOffer], priority: Ranking
    ) -> None:
        self.candidates, self.priority = candidates, priority
        self.words = stage_words(priority)
        self.providers = sorted({c.provider for c in candidates})
        self.lines = sorted({c.line for c in candidates})
        offers = [offers_by_id[p] for p in self.providers]
        self.money_scale = 10 ** max(
            [
                2,
                *(decimal_places(c.plan.cost) for c in candidates),
                *(decimal_places(o.delivery_fee) for o in offers),
            ]
        )
        self.fees = np.array([int(o.delivery_fee * self.money_scale) for o in offers], dtype=np.int64)
        self.etas = np.array([o.eta_minutes for o in offers], dtype=np.int64)
        preferred = set(priority.preferred)
        self.preferred = np.array([p in preferred for p in self.providers], dtype=np.int64)
        self.costs = np.zeros((len(self.lines), len(self.providers)), dtype=np.int64)
        self.can = np.zeros((len(self.lines), len(self.providers)), dtype=bool)
        line_index = {line: i for i, line in enumerate(self.lines)}
        for c in candidates:
            row, column = line_index[c.line], self.providers.index(c.provider)
            self.costs[row, column] = int(c.plan.cost * self.money_scale)
            self.can[row, column] = True
        self.weights, self.weight_scale = _weights(priority)

    def solve(self) -> dict[str, Candidate] | None:
        """line -> chosen candidate, or None when there are too many sets (or scores) to enumerate."""
        if not self.candidates or self.priority.max_providers == 0:
            return {}
        sizes = self._sizes()
        score = self._score()
        if sizes is None or score is None:
            return None
        best_key: tuple[int, ...] | None = None
        best_set: tuple[int, ...] = ()
        for size in sizes:
            subsets = list(combinations(range(len(self.providers)), size))
            for start in range(0, len(subsets), _CHUNK):
                chunk = np.array(subsets[start : start + _CHUNK], dtype=np.int64)
                keys = self._keys(chunk, score)
                winner = int(np.lexsort(keys[::-1])[0])
                key = tuple(int(k[winner]) for k in keys)
                if best_key is None or key < best_key:
                    best_key, best_set = key, tuple(int(p) for p in chunk[winner])
        return self._assignment(best_set, score)

    def _sizes(self) -> list[int] | None:
        """The set sizes to evaluate, or None when there are too many sets."""
        count = len(self.providers)
        cap = self.priority.max_providers
        if cap is not None and cap < count:
            sizes = list(range(1, cap + 1))  # every provider here supplies a line: none at all is worse
        elif self.words[0] == FEWEST:
            fewest = self._fewest_covering(count)
            sizes = [] if fewest is None else [fewest]
        else:
            sizes = list(range(1, count + 1))
        if not sizes or sum(math.comb(count, size) for size in sizes) > SUBSET_LIMIT:
            return None
        return sizes

    def _fewest_covering(self, count: int) -> int | None:
        """The fewest providers that can cover every coverable line, if found within the limit."""
        looked = 0
        for size in range(1, count + 1):
            looked += math.comb(count, size)
            if looked > SUBSET_LIMIT:
                return None
            subsets = np.array(list(combinations(range(count), size)), dtype=np.int64)
            if self.can[:, subsets].any(axis=2).all(axis=0).any():
                return size
        return None

    def _score(self) -> np.ndarray | None:
        """Per (line, provider): the per-line parts of the stages as one integer (mixed radix), smaller
        is better; _NONE where the provider cannot supply the line. None if it would not fit in 63 bits."""
        parts = []
        for word in self.words:
            if word == CHEAPEST:
                parts.append(self.costs)
            elif word == WEIGHTED:
                parts.append(self.costs * self.weights[CHEAPEST])
            elif word == PREFERRED:
                parts.append(np.broadcast_to(1 - self.preferred, self.costs.shape))
        parts.append(np.broadcast_to(np.arange(len(self.providers), dtype=np.int64), self.costs.shape))
        if math.prod(int(part.max(initial=0)) + 1 for part in parts) >= 2**62:
            return None
        score = np.zeros(self.costs.shape, dtype=np.int64)
        for part in parts:
            score = score * (int(part.max(initial=0)) + 1) + part
        return np.where(self.can, score, _NONE)

    def _keys(self, subsets: np.ndarray, score: np.ndarray) -> list[np.ndarray]:
        """Per subset (rows of provider indices): the stage values in order, then the tie-break."""
        scores = score[:, subsets]  # lines x subsets x size
        pick = scores.argmin(axis=2)
        covered = scores.min(axis=2) != _NONE
        chosen = np.take_along_axis(subsets[None, :, :], pick[:, :, None], axis=2)[:, :, 0]  # lines x subsets
        used = ((pick[:, :, None] == np.arange(subsets.shape[1])) & covered[:, :, None]).any(axis=0)
        line_cost = np.where(covered, np.take_along_axis(self.costs, chosen, axis=1), 0).sum(axis=0)
        cost = line_cost + np.where(used, self.fees[subsets], 0).sum(axis=1)
        count = used.sum(axis=1).astype(np.int64)
        latest = np.where(used, self.etas[subsets], 0).max(axis=1, initial=0)
        values = {
            CHEAPEST: cost,
            FASTEST: latest,
            FEWEST: count,
            PREFERRED: -np.where(covered, self.preferred[chosen], 0).sum(axis=0),
            WEIGHTED: self.weights[CHEAPEST] * cost
            + self.weights[FASTEST] * self.money_scale * latest
            + self.weights[FEWEST] * self.money_scale * count,
        }
        tie_break = np.where(covered, chosen, 0).sum(axis=0)
        return [-covered.sum(axis=0), *(values[w] for w in self.words), tie_break]

    def _assignment(self, subset: tuple[int, ...], score: np.ndarray) -> dict[str, Candidate]:
        by_pair = {(c.line, c.provider): c for c in self.candidates}
        chosen: dict[str, Candidate] = {}
        for row, line in enumerate(self.lines):
            options = [p for p in subset if self.can[row, p]]
            if options:
                provider = self.providers[min(options, key=lambda p: score[row, p])]
                chosen[line] = by_pair[(line, provider)]
        return chosen


# ------------------------------------------------------------------------------------------------ model


class _Model:
    """The assignment MILP: z (one per candidate), y (one per provider with a candidate), T last."""

    def __init__(
        self, candidates: list[Candidate], offers_by_id: Mapping[str, ProviderOffer], priority: Ranking
    ) -> None:
        self.candidates = candidates
        self.priority = priority
        self.providers = sorted({c.provider for c in candidates})
        self.offers = [offers_by_id[p] for p in self.providers]
        self.lines = sorted({c.line for c in candidates})
        self.n_z, self.n_y = len(candidates), len(self.providers)
        self.n = self.n_z + self.n_y + 1
        self.t = self.n - 1
        self.z_provider = np.array([self.providers.index(c.provider) for c in candidates], dtype=int)
        self.upper = np.ones(self.n)
        self.upper[self.t] = 0.0  # T stays 0 unless a stage needs it
        cap = priority.max_providers
        self.cap_binds = cap is not None and cap < self.n_y
        self.money_scale = 10 ** max(
            [
                2,
                *(decimal_places(c.plan.cost) for c in candidates),
                *(decimal_places(o.delivery_fee) for o in self.offers),
            ]
        )
        self.rows: list[csr_array] = []
        self.lower: list[float] = []
        self.upper_rows: list[float] = []
        self._structure()

    # structure -------------------------------------------------------------------------------------

    def _add_rows(self, rows: csr_array, lower: Iterable[float], upper: Iterable[float]) -> None:
        self.rows.append(rows)
        self.lower.extend(lower)
        self.upper_rows.extend(upper)

    def _structure(self) -> None:
        line_index = {line: i for i, line in enumerate(self.lines)}
        z = np.arange(self.n_z)
        # one provider per line: == 1 without a binding cap (every coverable line is then covered)
        cover = coo_array(
            (np.ones(self.n_z), ([line_index[c.line] for c in self.candidates], z)),
            shape=(len(self.lines), self.n),
        )
        self._add_rows(
            cover.tocsr(), [0.0 if self.cap_binds else 1.0] * len(self.lines), [1.0] * len(self.lines)
        )
        # z[l,p] <= y[p]
        link = coo_array(
            (
                np.concatenate([np.ones(self.n_z), -np.ones(self.n_z)]),
                (np.concatenate([z, z]), np.concatenate([z, self.n_z + self.z_provider])),
            ),
            shape=(self.n_z, self.n),
        )
        self._add_rows(link.tocsr(), [-np.inf] * self.n_z, [0.0] * self.n_z)
        if self.cap_binds:
            self._add_rows(
                csr_array(self._provider_count().reshape(1, -1)),
                [-np.inf],
                [float(self.priority.max_providers or 0)],
            )

    def _use_eta(self) -> None:
        """T >= eta[p] y[p] for every provider (added once, when a stage needs the latest ETA)."""
        if self.upper[self.t] > 0:
            return
        etas = np.array([o.eta_minutes for o in self.offers], dtype=float)
        self.upper[self.t] = float(etas.max(initial=0.0))
        y = np.arange(self.n_y)
        rows = coo_array(
            (
                np.concatenate([np.ones(self.n_y), -etas]),
                (np.concatenate([y, y]), np.concatenate([np.full(self.n_y, self.t), self.n_z + y])),
            ),
            shape=(self.n_y, self.n),
        )
        self._add_rows(rows.tocsr(), [0.0] * self.n_y, [np.inf] * self.n_y)

    # objectives (all integer-valued on integer points) --------------------------------------------------

    def _provider_count(self) -> np.ndarray:
        vector = np.zeros(self.n)
        vector[self.n_z : self.n_z + self.n_y] = 1.0
        return vector

    def _coverage(self) -> np.ndarray:
        vector = np.zeros(self.n)
        vector[: self.n_z] = -1.0
        return vector

    def _cost_units(self) -> list[int]:
        """Exact integer money per z then per y, in 1/money_scale of the currency."""
        return [int(c.plan.cost * self.money_scale) for c in self.candidates] + [
            int(o.delivery_fee * self.money_scale) for o in self.offers
        ]

    def _cost(self) -> np.ndarray:
        vector = np.zeros(self.n)
        vector[: self.n_z + self.n_y] = self._cost_units()
        return vector

    def _latest_eta(self) -> np.ndarray:
        self._use_eta()
        vector = np.zeros(self.n)
        vector[self.t] = 1.0
        return vector

    def _preferred(self) -> np.ndarray:
        preferred = set(self.priority.preferred)
        vector = np.zeros(self.n)
        vector[: self.n_z] = [-1.0 if c.provider in preferred else 0.0 for c in self.candidates]
        return vector

    def _weighted(self) -> np.ndarray:
        weights, _ = _weights(self.priority)
        vector = np.zeros(self.n)
        vector[: self.n_z + self.n_y] = [float(weights[CHEAPEST] * u) for u in self._cost_units()]
        vector += float(weights[FEWEST] * self.money_scale) * self._provider_count()
        if weights[FASTEST]:
            vector += float(weights[FASTEST] * self.money_scale) * self._latest_eta()
        return vector

    def _tie_break(self) -> np.ndarray:
        """Earlier provider ids first; its whole range is below one unit of any stage objective."""
        vector = np.zeros(self.n)
        vector[: self.n_z] = self.z_provider
        return vector

    # stages ---------------------------------------------------------------------------------------------

    def _stages(self) -> list[np.ndarray]:
        words = stage_words(self.priority)
        stages = [self._coverage()] if self.cap_binds else []
        for position, word in enumerate(words):
            if word == PREFERRED and not self._preferred().any():
                continue  # no candidate is preferred: nothing to choose
            if word == FASTEST and position == 0 and not self.cap_binds:
                self._fix_fastest()  # solved without a MILP: see _fix_fastest
                continue
            if word == PREFERRED and position == 0 and not self.cap_binds:
                self._fix_preferred()
                continue
            if word == CHEAPEST and position == 0 and not self.cap_binds:
                self._drop_dominated()
            stages.append(self._objective(word))
        return stages

    def _objective(self, word: Criterion) -> np.ndarray:
        return {
            CHEAPEST: self._cost,
            FASTEST: self._latest_eta,
            FEWEST: self._provider_count,
            PREFERRED: self._preferred,
            WEIGHTED: self._weighted,
        }[word]()

    def _fix_fastest(self) -> None:
        """First stage, no binding cap: every coverable line is covered, so the fastest latest ETA is the
        largest over lines of the line's fastest candidate; providers slower than that are ruled out."""
        eta = {o.provider: o.eta_minutes for o in self.offers}
        best = max(min(eta[c.provider] for c in self.candidates if c.line == line) for line in self.lines)
        for i, candidate in enumerate(self.candidates):
            if eta[candidate.provider] > best:
                self.upper[i] = 0.0

    def _drop_dominated(self) -> None:
        """Cost first, no binding cap: a pair dearer than the line's cheapest pack cost plus that provider's
        whole delivery fee is in no cheapest selection (moving the line there is strictly cheaper)."""
        units = self._cost_units()
        fees = units[self.n_z :]
        best: dict[str, int] = {}
        for i, candidate in enumerate(self.candidates):
            alternative = units[i] + fees[self.z_provider[i]]
            best[candidate.line] = min(best.get(candidate.line, alternative), alternative)
        for i, candidate in enumerate(self.candidates):
            if units[i] > best[candidate.line]:
                self.upper[i] = 0.0

    def _fix_preferred(self) -> None:
        """First stage, no binding cap: every line a preferred provider can supply goes to one."""
        preferred = set(self.priority.preferred)
        lines = {c.line for c in self.candidates if c.provider in preferred}
        for i, candidate in enumerate(self.candidates):
            if candidate.line in lines and candidate.provider not in preferred:
                self.upper[i] = 0.0

    def solve(self) -> dict[str, Candidate]:
        """line -> the chosen candidate."""
        if not self.candidates:
            return {}
        stages = self._stages()
        tie_break = self._tie_break()
        below_one = float(self._tie_break_range() + 1)
        solution = np.zeros(self.n)
        for number, objective in enumerate(stages):
            if number == len(stages) - 1:
                solution = self._minimise(objective * below_one + tie_break)
            else:
                solution = self._minimise(objective)
                optimum = round(float(objective @ solution))
                self._add_rows(csr_array(objective.reshape(1, -1)), [-np.inf], [optimum + 0.5])
        return {self.candidates[i].line: self.candidates[i] for i in range(self.n_z) if solution[i] > 0.5}

    def _tie_break_range(self) -> int:
        """The largest tie-break any solution can have: the latest provider of each line."""
        latest: dict[str, int] = {}
        for candidate, provider in zip(self.candidates, self.z_provider, strict=True):
            latest[candidate.line] = max(latest.get(candidate.line, 0), int(provider))
        return sum(latest.values())

    def _minimise(self, objective: np.ndarray) -> np.ndarray:
        """The optimal point, binaries rounded to exact 0/1."""
        integrality = np.ones(self.n)
        integrality[self.t] = 0
        result = milp(
            objective,
            integrality=integrality,
            bounds=Bounds(np.zeros(self.n), self.upper),
            constraints=LinearConstraint(vstack(self.rows, format="csr"), self.lower, self.upper_rows),
            options={"mip_rel_gap": 0.0, "time_limit": SOLVE_TIME_LIMIT_S},
        )
        if result.x is None:
            raise RuntimeError(f"the selection model could not be solved: {result.message}")
        solution = np.round(result.x)
        solution[self.t] = result.x[self.t]
        return solution


# -------------------------------------------------------------------------------------------- selection


def _selected_line(candidate: Candidate, count: PackCount) -> SelectedLine:
    option = count.option
    return SelectedLine(
        line=candidate.line,
        provider=candidate.provider,
        sku=option.sku,
        packs=count.packs,
        pack_quantity=option.pack_quantity,
        pack_unit=option.pack_unit,
        cost=option.pack_price * count.packs,
        leftover=count.leftover,
        product=option.product,
        substitute=option.substitute,
        reason=option.reason,
        concept=option.concept,
    )


def _selection(
    needs: Sequence[Need],
    offers_by_id: Mapping[str, ProviderOffer],
    chosen: Mapping[str, Candidate],
    reasons: Mapping[str, str],
) -> Selection:
    """The Selection, in Decimal recomputed from the inputs."""
    lines = sorted(
        (_selected_line(c, count) for c in chosen.values() for count in c.plan.counts),
        key=lambda s: (s.line, s.provider, s.sku),
    )
    providers = tuple(sorted({c.provider for c in chosen.values()}))
    fees = {p: offers_by_id[p].delivery_fee for p in providers}
    total = sum((s.cost for s in lines), Decimal(0)) + sum(fees.values(), Decimal(0))
    uncovered = tuple(sorted(n.line for n in needs if n.line not in chosen))
    return Selection(
        providers=providers,
        lines=tuple(lines),
        total=total,
        delivery_fees=fees,
        latest_eta_minutes=max((offers_by_id[p].eta_minutes for p in providers), default=None),
        uncovered=uncovered,
        reasons={line: reasons.get(line, NO_OFFER) for line in uncovered},
    )
