"""Business metrics over archived records, framework free: feed it `read_archive(...)` (or any iterable
of `ArchivedRecord`) and get one `Metrics` value.

Every record is decoded with the topic's codec; records that do not decode are counted and skipped.
Repeats are counted once: the same record archived twice (same epoch, topic, partition and offset) and
the same event produced twice (same CloudEvent source and id, e.g. an outbox relayed again).

- funnel: distinct baskets per stage: browsed (method-browsed), extracted (components-extracted with at
  least one component), quoted (quote-requested), ordered (order-placed), completed (basket-status
  `completed`); each stage is counted on its own, so a window may cut a basket's earlier stages off;
- per upstream site (MethodBrowsed.site, else the URL's host): baskets browsed there, how many of them
  completed, and the rate;
- per provider: quote requests asked and answered (distinct request and provider pairs), the answer
  rate (share of the asked pairs with an offer), mean and p90 answer time (offer record timestamp minus
  request record timestamp, the earliest of each), wins (quote rounds in which a providers-selected
  decision chose it), win rate (wins / rounds answered), orders and the average order total per currency;
- split-basket share: share of first selections (without `compensates`) that chose several providers;
  a quote round counts once, by its last decision (a proposal and its confirmation are one selection);
- coverage of those selections: lines asked, bought exactly, bought as a substitute, left uncovered,
  and the share of kits complete;
- failed baskets per reason (the basket's last failure reason);
- the log epochs (sessions of `kitting up`) the records come from;
- delivery and payment mix of the orders placed;
- dead letters per original topic and reason (the dead-letter headers).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from schemas.events import (
    BasketStatus,
    BasketStatusChanged,
    ComponentsExtracted,
    MethodBrowsed,
    OrderPlaced,
    ProvidersSelected,
    QuoteOffered,
    QuoteRequested,
)
from streams.archive import ArchivedRecord
from streams.codec import UndecodableEvent, decode
from streams.handling import DLQ_HEADER_ERROR, DLQ_HEADER_TOPIC
from streams.topics import Topic

UNKNOWN = "unknown"
CENT = Decimal("0.01")
REASON_MAX = 200


class Funnel(BaseModel):
    """Distinct baskets that reached each stage."""

    browsed: int = 0
    extracted: int = 0
    quoted: int = 0
    ordered: int = 0
    completed: int = 0

    def stages(self) -> list[tuple[str, int]]:
        return [
            ("browsed", self.browsed),
            ("extracted", self.extracted),
            ("quoted", self.quoted),
            ("ordered", self.ordered),
            ("completed", self.completed),
        ]


class SiteConversion(BaseModel):
    site: str
    browsed: int
    completed: int
    rate: float | None = Field(description="completed / browsed; None when nothing was browsed")


class ProviderMetrics(BaseModel):
    provider_id: str
    asked: int = 0
    answered: int = 0
    answer_rate: float | None = None
    mean_answer_ms: float | None = None
    p90_answer_ms: float | None = None
    wins: int = 0
    win_rate: float | None = None
    orders: int = 0
    average_order_total: dict[str, Decimal] = Field(
        default_factory=dict, description="Per currency, the mean order total, to the cent"
    )


class DeadLetters(BaseModel):
    topic: str = Field(description="The topic the record was read from, before it was dead-lettered")
    reason: str
    count: int


class Reasoned(BaseModel):
    reason: str
    count: int


class Coverage(BaseModel):
    """What the selections bought of what was asked (each quote round once, by its last decision)."""

    lines: int = Field(default=0, description="Lines asked of the shops")
    exact: int = Field(default=0, description="Lines bought as asked")
    substitutes: int = Field(default=0, description="Lines bought as a substitute")
    uncovered: int = Field(default=0, description="Lines no shop could supply")
    complete_kits: int = Field(default=0, description="Selections that left nothing uncovered")


class Metrics(BaseModel):
    records: int = Field(default=0, description="Distinct records read")
    events: int = Field(default=0, description="Distinct events decoded")
    undecodable: int = Field(default=0, description="Records skipped: not an event of their topic")
    baskets: int = 0
    first: datetime | None = None
    last: datetime | None = None
    funnel: Funnel = Field(default_factory=Funnel)
    sites: list[SiteConversion] = Field(default_factory=list)
    providers: list[ProviderMetrics] = Field(default_factory=list)
    selections: int = Field(default=0, description="First selections (not compensations)")
    split_selections: int = Field(default=0, description="First selections with more than one provider")
    split_share: float | None = None
    delivery_mix: dict[str, int] = Field(default_factory=dict)
    payment_mix: dict[str, int] = Field(default_factory=dict)
    dead_letters: list[DeadLetters] = Field(default_factory=list)
    failed: int = Field(default=0, description="Baskets whose last status is failed")
    failures: list[Reasoned] = Field(default_factory=list, description="Failed baskets per reason")
    coverage: Coverage = Field(default_factory=Coverage)
    epochs: list[str] = Field(default_factory=list, description="The log epochs (sessions) read")


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _p90(values: list[int]) -> float | None:
    """The nearest-rank 90th percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)])


def site_of(browsed: MethodBrowsed) -> str:
    """The upstream site: the event's own `site`, else the URL's host."""
    if browsed.site:
        return browsed.site
    try:
        host = urlsplit(browsed.url).hostname
    except ValueError:
        host = None
    return host or UNKNOWN


def _header(record: ArchivedRecord, name: str) -> str | None:
    for key, value in record.headers:
        if key == name:
            return value.decode("utf-8", "replace")
    return None


def compute_metrics(records: Iterable[ArchivedRecord]) -> Metrics:
    """The metrics of these records (in any order)."""
    topics = {topic.topic_name: topic for topic in Topic if topic.spec.events}
    dead_letter = Topic.DEAD_LETTER.topic_name

    seen_records: set[tuple[str, str, int, int]] = set()
    seen_events: set[tuple[str, str]] = set()
    records_count = events_count = undecodable = 0
    first_ms: int | None = None
    last_ms: int | None = None
    baskets: set[str] = set()

    browsed: set[str] = set()
    extracted: set[str] = set()
    quoted: set[str] = set()
    ordered: set[str] = set()
    completed: set[str] = set()
    site_of_basket: dict[str, str] = {}

    asked_at: dict[tuple[str, str], int] = {}  # (request, provider) -> earliest request timestamp
    offered_at: dict[tuple[str, str], int] = {}
    decided: dict[str, tuple[int, ProvidersSelected]] = {}  # request id -> its last decision
    last_status: dict[str, tuple[int, BasketStatusChanged]] = {}  # basket -> its last status
    epochs: set[str] = set()
    rewon: list[tuple[str, str]] = []
    orders: dict[str, OrderPlaced] = {}
    dead: Counter[tuple[str, str]] = Counter()

    for record in records:
        mark = (record.epoch, record.topic, record.partition, record.offset)
        if mark in seen_records:
            continue
        seen_records.add(mark)
        records_count += 1
        epochs.add(record.epoch)
        first_ms = record.timestamp_ms if first_ms is None else min(first_ms, record.timestamp_ms)
        last_ms = record.timestamp_ms if last_ms is None else max(last_ms, record.timestamp_ms)

        if record.topic == dead_letter:
            original = _header(record, DLQ_HEADER_TOPIC) or UNKNOWN
            reason = (_header(record, DLQ_HEADER_ERROR) or UNKNOWN)[:REASON_MAX]
            dead[(original, reason)] += 1
            continue
        topic = topics.get(record.topic)
        if topic is None:  # a changelog, or a topic this version does not know
            undecodable += 1
            continue
        try:
            envelope = decode(record.value, topic)
        except UndecodableEvent:
            undecodable += 1
            continue
        identity = (envelope.source, envelope.id)
        if identity in seen_events:
            continue
        seen_events.add(identity)
        events_count += 1
        data = envelope.data
        basket = data.basket_id
        baskets.add(basket)
        at = record.timestamp_ms

        if isinstance(data, MethodBrowsed):
            browsed.add(basket)
            site_of_basket.setdefault(basket, site_of(data))
        elif isinstance(data, ComponentsExtracted):
            if data.components:
                extracted.add(basket)
        elif isinstance(data, QuoteRequested):
            quoted.add(basket)
            key = (data.request_id, data.provider_id)
            asked_at[key] = min(at, asked_at.get(key, at))
        elif isinstance(data, QuoteOffered):
            key = (data.request_id, data.provider_id)
            offered_at[key] = min(at, offered_at.get(key, at))
        elif isinstance(data, ProvidersSelected):
            if data.compensates is not None:  # a re-selection wins its providers the round too
                rewon.extend((provider, data.request_id) for provider in data.providers)
            elif at >= decided.get(data.request_id, (at, data))[0]:
                decided[data.request_id] = (at, data)  # a confirmation supersedes its proposal
        elif isinstance(data, OrderPlaced):
            ordered.add(basket)
            orders.setdefault(data.order_id, data)
        elif isinstance(data, BasketStatusChanged):
            if data.status in (BasketStatus.completed, BasketStatus.completed_partially):
                completed.add(basket)
            if at >= last_status.get(basket, (at, data))[0]:
                last_status[basket] = (at, data)

    won: dict[str, set[str]] = defaultdict(set)  # provider -> request ids it was chosen in
    for provider, request_id in rewon:
        won[provider].add(request_id)
    coverage = Coverage()
    for request_id, (_, selected) in decided.items():
        for provider in selected.providers:
            won[provider].add(request_id)
        bought = {line.line_id: line.substitute for line in selected.lines}
        coverage.substitutes += sum(bought.values())
        coverage.exact += len(bought) - sum(bought.values())
        coverage.uncovered += len(selected.uncovered)
        coverage.complete_kits += not selected.uncovered
    coverage.lines = coverage.exact + coverage.substitutes + coverage.uncovered
    selections = len(decided)
    split = sum(len(set(selected.providers)) > 1 for _, selected in decided.values())
    failed = [
        s.reason or "no reason recorded" for _, s in last_status.values() if s.status is BasketStatus.failed
    ]
    by_site: dict[str, set[str]] = defaultdict(set)
    for basket, site in site_of_basket.items():
        by_site[site].add(basket)
    sites = [
        SiteConversion(
            site=site,
            browsed=len(members),
            completed=len(members & completed),
            rate=_ratio(len(members & completed), len(members)),
        )
        for site, members in by_site.items()
    ]
    sites.sort(key=lambda s: (-s.browsed, s.site))

    return Metrics(
        records=records_count,
        events=events_count,
        undecodable=undecodable,
        baskets=len(baskets),
        first=datetime.fromtimestamp(first_ms / 1000, UTC) if first_ms is not None else None,
        last=datetime.fromtimestamp(last_ms / 1000, UTC) if last_ms is not None else None,
        funnel=Funnel(
            browsed=len(browsed),
            extracted=len(extracted),
            quoted=len(quoted),
            ordered=len(ordered),
            completed=len(completed),
        ),
        sites=sites,
        providers=_providers(asked_at, offered_at, won, orders),
        selections=selections,
        split_selections=split,
        split_share=_ratio(split, selections),
        delivery_mix=_mix(order.delivery.method.value for order in orders.values()),
        payment_mix=_mix(order.payment.value for order in orders.values()),
        dead_letters=[
            DeadLetters(topic=topic, reason=reason, count=count)
            for (topic, reason), count in sorted(dead.items(), key=lambda item: (-item[1], item[0]))
        ],
        failed=len(failed),
        failures=[Reasoned(reason=r[:REASON_MAX], count=n) for r, n in _mix(failed).items()],
        coverage=coverage,
        epochs=sorted(epochs),
    )


def _mix(values: Iterable[str]) -> dict[str, int]:
    counts = Counter(values)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _providers(
    asked_at: dict[tuple[str, str], int],
    offered_at: dict[tuple[str, str], int],
    won: dict[str, set[str]],
    orders: dict[str, OrderPlaced],
) -> list[ProviderMetrics]:
    asked: dict[str, int] = Counter(provider for _, provider in asked_at)
    answered_rounds: dict[str, set[str]] = defaultdict(set)
    for request, provider in offered_at:
        answered_rounds[provider].add(request)
    answered_asked: Counter[str] = Counter()
    times: dict[str, list[int]] = defaultdict(list)
    for key, offered in offered_at.items():
        if key in asked_at:
            answered_asked[key[1]] += 1
            times[key[1]].append(offered - asked_at[key])
    totals: dict[str, dict[str, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    order_count: Counter[str] = Counter()
    for order in orders.values():
        order_count[order.provider_id] += 1
        totals[order.provider_id][order.total.currency].append(order.total.amount)

    everyone = set(asked) | set(answered_rounds) | set(won) | set(order_count)
    result = []
    for provider in sorted(everyone):
        answered = len(answered_rounds[provider])
        wins = len(won.get(provider, set()))
        spent = times.get(provider, [])
        result.append(
            ProviderMetrics(
                provider_id=provider,
                asked=asked.get(provider, 0),
                answered=answered,
                answer_rate=_ratio(answered_asked[provider], asked.get(provider, 0)),
                mean_answer_ms=sum(spent) / len(spent) if spent else None,
                p90_answer_ms=_p90(spent),
                wins=wins,
                win_rate=_ratio(wins, answered),
                orders=order_count[provider],
                average_order_total={
                    currency: (sum(amounts, Decimal(0)) / len(amounts)).quantize(CENT, ROUND_HALF_UP)
                    for currency, amounts in sorted(totals[provider].items())
                },
            )
        )
    return result
