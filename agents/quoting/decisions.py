"""Coordinator: records every offer as it arrives (late ones too), and decides each quote round once,
when every addressed provider has answered or its deadline passed: it reads the round from SQL
(round_inputs), selects providers by the person's priority profile outside any transaction (choose, in
the sandbox), then closes the round and announces the choice (record_decision: providers-selected);
ordering takes it from there."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import CursorResult, and_, or_, update
from sqlalchemy import select as sql_select
from sqlalchemy.orm import Session

from agents.baskets.store import Basket, remember_preferences, set_status
from agents.quoting.checking import Consent, accepted_substitutes, checked
from agents.quoting.rounds import ClosedBy
from agents.quoting.tables import QuoteRound, ReceivedOffer
from agents.registry.providers import note_round
from agents.selection.optimise import (
    Need,
    PackOption,
    ProviderOffer,
    Ranking,
    Selection,
    ranking_problem,
    select,
)
from schemas.envelope import Envelope
from schemas.events import (
    BasketStatus,
    ConfirmSelection,
    DeliveryOption,
    OfferLine,
    PriorityProfile,
    ProvidersSelected,
    QuoteLine,
    QuoteOffered,
    QuotePreferences,
    QuoteRequested,
    SelectedLine,
)
from schemas.values import Money, Quantity
from schemas.vocabulary import payment_problem
from streams.handling import HandlerRejected
from streams.persistence import UnitOfWork, utcnow


def offers_in_sql(session: Session, request_id: str) -> dict[str, ReceivedOffer]:
    """The offers of a round that came before it was decided, by provider."""
    rows = session.scalars(
        sql_select(ReceivedOffer).where(ReceivedOffer.request_id == request_id, ReceivedOffer.late.is_(False))
    )
    return {row.provider_id: row for row in rows}


def profile_of(prefs: QuotePreferences | None) -> PriorityProfile:
    if prefs is None:
        return PriorityProfile()
    if prefs.profile is not None:
        return prefs.profile
    return PriorityProfile(order=[prefs.priority])


def offer_problem(
    offer: QuoteOffered, addressed: list[str], prefs: QuotePreferences, now: datetime
) -> str | None:
    """Why an offer cannot be taken as it stands, or None. Totals are recomputed, never trusted."""
    if offer.provider_id not in addressed:
        return "from a provider that was not asked"
    if offer.valid_until <= now:
        return "expired"
    for line in offer.lines:
        if line.total != line.unit_price.times(line.packs):
            return f"line {line.line_id} total is not packs x unit price"
    if prefs.payment not in offer.payment_methods:
        return f"does not take {prefs.payment.value}"
    if not any(option.method == prefs.delivery for option in offer.delivery_options):
        return f"has no {prefs.delivery.value} delivery"
    return None


def pack_options(line: OfferLine) -> list[PackOption]:
    """Every pack size the offer has for a line (the suggestion alone when it lists no options)."""
    if not line.options:
        return [
            PackOption(
                line=line.line_id, sku=line.sku, pack_quantity=line.pack.amount, pack_unit=line.pack.unit,
                pack_price=line.unit_price.amount, packs_available=line.packs_available, product=line.product,
                substitute=line.substitute, concept=line.concept,
            )
        ]  # fmt: skip
    return [
        PackOption(
            line=line.line_id, sku=o.sku, pack_quantity=o.pack.amount, pack_unit=o.pack.unit,
            pack_price=o.unit_price.amount, packs_available=o.packs_available, product=o.product,
            substitute=o.substitute, concept=o.concept,
        )
        for o in line.options
    ]  # fmt: skip


def in_currency(offer: QuoteOffered, currency: str) -> bool:
    prices = [line.unit_price for line in offer.lines]
    prices += [option.unit_price for line in offer.lines for option in line.options]
    fees = [option.fee for option in offer.delivery_options]
    return all(money.currency == currency for money in [*prices, *fees])


def usable_offers(
    offers: list[QuoteOffered],
    addressed: list[str],
    prefs: QuotePreferences,
    needs: list[QuoteLine],
    now: datetime,
) -> tuple[str, list[tuple[QuoteOffered, DeliveryOption]], dict[str, str]]:
    """(currency, the offers the selection may use with the delivery they would give, why others not)."""
    refused: dict[str, str] = {}
    fit: list[QuoteOffered] = []
    for offer in offers:
        problem = offer_problem(offer, addressed, prefs, now)
        if problem:
            refused[offer.provider_id] = problem
        else:
            fit.append(offer)
    currency = fit[0].subtotal.currency if fit else "EUR"
    wanted = {line.line_id for line in needs}
    usable: list[tuple[QuoteOffered, DeliveryOption]] = []
    for offer in fit:
        if not in_currency(offer, currency):
            refused[offer.provider_id] = f"not in {currency}"
            continue
        delivery = next(o for o in offer.delivery_options if o.method == prefs.delivery)
        lines = [line for line in offer.lines if line.line_id in wanted]
        usable.append((offer.model_copy(update={"lines": lines}), delivery))
    return currency, usable, refused


def eta_minutes(option: DeliveryOption) -> int:
    return option.eta_minutes if option.eta_minutes is not None else option.eta_hours * 60


def run_selection(
    needs: list[QuoteLine],
    usable: list[tuple[QuoteOffered, DeliveryOption]],
    profile: PriorityProfile,
    consent: Consent,
) -> Selection:
    """Select among the offers after Kitting's own check of each product (checking.py); a line left
    uncovered by that check says why."""
    offers = [
        ProviderOffer(
            offer.provider_id, delivery.fee.amount, eta_minutes(delivery),
            tuple(option for line in offer.lines for option in pack_options(line)),
        )
        for offer, delivery in usable
    ]  # fmt: skip
    excluded = set(profile.excluded)  # an excluded shop's exact product must not hide others' substitutes
    check = checked([offer for offer in offers if offer.provider not in excluded], needs, consent)
    selection = select([need_of(line) for line in needs], check.offers, Ranking.of(profile))
    reasons = {line: check.reasons.get(line, why) for line, why in selection.reasons.items()}
    return dataclasses.replace(selection, reasons=reasons)


def need_of(line: QuoteLine) -> Need:
    quantity = line.quantity
    return Need(
        line.line_id, quantity.amount if quantity else None, quantity.unit if quantity else None, line.name,
        line.grams, line.piece_grams, line.density, line.unit_grams,
    )  # fmt: skip


def consent_of(profile: PriorityProfile, decision: dict[str, Any] | None, proposal: bool) -> Consent:
    """The person's consent for a selection of a round: the substitutes they accepted are the products
    the round's proposal showed them."""
    decision = decision or {}
    accepted = accepted_substitutes(decision.get("selected"), decision.get("accepted_substitutes", []))
    return Consent(profile.substitutes, accepted, proposal)


def selected_event(
    round_: QuoteRound,
    answered: list[str],
    selection: Selection,
    usable: list[tuple[QuoteOffered, DeliveryOption]],
    profile: PriorityProfile,
    currency: str,
    closed_by: ClosedBy,
) -> ProvidersSelected:
    def money(amount: Decimal) -> Money:
        return Money(amount=amount, currency=currency)

    deliveries = {offer.provider_id: delivery for offer, delivery in usable}
    return ProvidersSelected(
        basket_id=round_.basket_id,
        request_id=round_.request_id,
        profile=profile,
        providers=list(selection.providers),
        lines=[
            SelectedLine(
                line_id=s.line, provider_id=s.provider, sku=s.sku, product=s.product, packs=s.packs,
                pack=Quantity(amount=s.pack_quantity, unit=s.pack_unit), unit_price=money(s.cost / s.packs),
                cost=money(s.cost), substitute=s.substitute, reason=s.reason or None, concept=s.concept,
                leftover=Quantity(amount=s.leftover, unit=s.pack_unit) if s.leftover else None,  # 0: none
            )
            for s in selection.lines
        ],
        deliveries={p: deliveries[p] for p in selection.providers},
        total=money(selection.total) if selection.providers else None,
        latest_eta_minutes=selection.latest_eta_minutes,
        uncovered=list(selection.uncovered),
        reasons=dict(selection.reasons),
        answered=sorted(answered),
        addressed=json.loads(round_.addressed),
        closed_by=closed_by,
    )  # fmt: skip


@dataclass(frozen=True)
class RoundInputs:
    """What a round's decision is made from, read from SQL in a short transaction of its own."""

    round_: QuoteRound  # detached: its columns as they were read
    needs: list[QuoteLine]
    prefs: QuotePreferences | None
    offers: list[QuoteOffered]  # every offer in before the decision, by provider
    answer_ms: dict[str, int]

    @property
    def addressed(self) -> list[str]:
        addressed: list[str] = json.loads(self.round_.addressed)
        return addressed


@dataclass(frozen=True)
class Chosen:
    """The selection made from a round's inputs (in the sandbox: heavy, and outside every transaction)."""

    currency: str
    usable: list[tuple[QuoteOffered, DeliveryOption]]
    refused: dict[str, str]
    selection: Selection


def round_inputs(session: Session, request_id: str) -> RoundInputs | None:
    """The round's inputs, or None when it is not open (decided already, or unknown)."""
    round_ = session.get(QuoteRound, request_id)
    if round_ is None or round_.status != "open":
        return None
    basket = session.get(Basket, round_.basket_id)
    prefs = (
        QuotePreferences.model_validate_json(basket.preferences) if basket and basket.preferences else None
    )
    received = offers_in_sql(session, request_id)
    return RoundInputs(
        round_=round_,
        needs=[QuoteLine.model_validate(line) for line in json.loads(round_.needs)],
        prefs=prefs,
        offers=[QuoteOffered.model_validate_json(received[p].offer_json) for p in sorted(received)],
        answer_ms={provider: row.answer_ms or 0 for provider, row in received.items()},
    )


def profile_problem(prefs: QuotePreferences | None) -> str | None:
    """Why a round of these preferences cannot be decided at all, or None."""
    if prefs is None:  # the router stores them with the round; without them nothing can be ordered
        return "the basket's quote preferences are missing"
    problem = ranking_problem(Ranking.of(profile_of(prefs)))
    # the contract cannot say it all (e.g. `weighted` without weights): fail with the reason
    return f"the priority profile cannot be used: {problem}" if problem else None


def choose(inputs: RoundInputs, now: datetime) -> Chosen:
    """The selection among a round's offers by the person's priority (plain: runs in the sandbox)."""
    assert inputs.prefs is not None
    profile = profile_of(inputs.prefs)
    currency, usable, refused = usable_offers(
        inputs.offers, inputs.addressed, inputs.prefs, inputs.needs, now
    )
    consent = consent_of(profile, None, proposal=inputs.prefs.confirm)
    return Chosen(currency, usable, refused, run_selection(inputs.needs, usable, profile, consent))


def record_decision(
    uow: UnitOfWork,
    inputs: RoundInputs,
    outcome: Chosen | str,
    closed_by: ClosedBy,
    proposal_ttl: timedelta,
) -> bool:
    """Close the round once (a conditional update wins exactly once across workers) with the selection
    made from `inputs` (or, as a str, why none could be made), and announce it. An offer that came in
    while the selection was being made is late. Returns False when the round was decided already."""
    now = utcnow()
    request_id = inputs.round_.request_id
    result: CursorResult[Any] = uow.session.execute(  # type: ignore[assignment]
        update(QuoteRound)
        .where(QuoteRound.request_id == request_id, QuoteRound.status == "open")
        .values(status="closed", closed_at=now, closed_by=closed_by)
    )
    if result.rowcount != 1:
        return False
    used = [offer.provider_id for offer in inputs.offers]
    uow.session.execute(
        update(ReceivedOffer)
        .where(ReceivedOffer.request_id == request_id, ReceivedOffer.provider_id.not_in(used))
        .values(late=True)
    )
    round_ = uow.session.get(QuoteRound, request_id)
    assert round_ is not None
    if isinstance(outcome, str) or inputs.prefs is None:
        set_status(uow, round_.basket_id, BasketStatus.failed, outcome if isinstance(outcome, str) else "")
        return True
    prefs, selection = inputs.prefs, outcome.selection
    profile = profile_of(prefs)
    event = selected_event(round_, used, selection, outcome.usable, profile, outcome.currency, closed_by)
    event.proposed = prefs.confirm and bool(selection.lines)
    if event.proposed:
        round_.proposal_expires_at = now + proposal_ttl
    round_.decision = json.dumps(
        {
            "needs": [line.model_dump(mode="json") for line in inputs.needs],
            "offers": [offer.model_dump(mode="json") for offer in inputs.offers],
            "refused": outcome.refused,
            "preferences": prefs.model_dump(mode="json"),
            "selected": event.model_dump(mode="json"),
        }
    )
    note_round(uow.session, inputs.addressed, inputs.answer_ms, now)
    uow.emit(event)
    if not selection.lines:
        why = named_reasons(selection.reasons, inputs.needs)
        count = f"{len(inputs.offers)} of {len(inputs.addressed)} providers answered"
        set_status(
            uow, round_.basket_id, BasketStatus.failed, f"no provider can supply the kit ({count}; {why})"
        )
    return True


def named_reasons(reasons: Mapping[str, str], needs: list[QuoteLine]) -> str:
    """Why lines are uncovered, each by the name the person knows it by ("red lentils: not offered"),
    never by its line id."""
    names = {need.line_id: need.name for need in needs}
    return "; ".join(f"{names.get(line, 'a component')}: {why}" for line, why in sorted(reasons.items()))


def reselect(
    session: Session,
    request_id: str,
    line_ids: list[str] | None,
    excluded: set[str],
    prefs: QuotePreferences | None = None,
) -> ProvidersSelected | None:
    """Compensation: select again, by the same priority, for some lines (None: all) of a decided round
    among the offers of the providers not excluded (those that rejected or did not answer their
    orders). `prefs` replaces the round's preferences (a confirmation's fulfilment and payment). None
    when the round was never decided here."""
    round_ = session.get(QuoteRound, request_id)
    if round_ is None or round_.decision is None:
        return None
    decision = json.loads(round_.decision)
    needs = [
        QuoteLine.model_validate(line)
        for line in decision["needs"]
        if line_ids is None or line["line_id"] in line_ids
    ]
    prefs = prefs or QuotePreferences.model_validate(decision["preferences"])
    excluded = excluded | set(decision.get("excluded", []))  # providers the person left out by hand
    profile = profile_of(prefs)
    offers = [
        offer
        for offer in (QuoteOffered.model_validate(raw) for raw in decision["offers"])
        if offer.provider_id not in excluded
    ]
    currency, usable, _ = usable_offers(offers, json.loads(round_.addressed), prefs, needs, utcnow())
    selection = run_selection(needs, usable, profile, consent_of(profile, decision, proposal=False))
    closed_by: ClosedBy = "deadline" if round_.closed_by == "deadline" else "all-answered"
    answered = [offer.provider_id for offer in offers]
    return selected_event(round_, answered, selection, usable, profile, currency, closed_by)


def by_hand_preferences(prefs: QuotePreferences, chosen: list[str]) -> QuotePreferences:
    """The person's own choice of providers: only those, favoured in that order, with no cap."""
    profile = profile_of(prefs).model_copy(
        update={"preferred": chosen, "excluded": [], "max_providers": None}
    )
    return prefs.model_copy(update={"profile": profile})


def on_confirm_selection(envelope: Envelope[Any], uow: UnitOfWork) -> None:
    """The person confirms a round's proposal, or chooses its providers by hand, with the fulfilment and
    payment chosen now: the selection is made again among the round's offers and announced, not as a
    proposal, so ordering places it. Once per round; a repeat is a no-op."""
    command: ConfirmSelection = envelope.data
    round_ = uow.session.get(QuoteRound, command.request_id, with_for_update=True)
    if round_ is None or round_.basket_id != command.basket_id:
        raise HandlerRejected(f"no quote round {command.request_id} for basket {command.basket_id}")
    if round_.decision is None:
        raise HandlerRejected(f"quote round {command.request_id} is not decided yet: wait for its proposal")
    decision = json.loads(round_.decision)
    if decision.get("confirmed"):
        return
    if decision.get("expired"):
        raise HandlerRejected(
            f"the proposal of quote round {command.request_id} expired: ask for quotes again"
        )
    if not decision["selected"].get("proposed"):
        raise HandlerRejected(f"quote round {command.request_id} was not a proposal: it is ordered already")
    prefs = QuotePreferences.model_validate(decision["preferences"])
    prefs = prefs.model_copy(
        update={"delivery": command.delivery or prefs.delivery, "payment": command.payment or prefs.payment}
    )
    problem = payment_problem(prefs.delivery, prefs.payment)
    if problem:
        raise HandlerRejected(problem)
    answered = {offer["provider_id"] for offer in decision["offers"]}
    excluded: set[str] = set()
    if command.providers is not None:
        unknown = sorted(set(command.providers) - answered)
        if unknown:
            raise HandlerRejected(f"no offer from {', '.join(unknown)} in round {command.request_id}")
        excluded = answered - set(command.providers)
        prefs = by_hand_preferences(prefs, command.providers)
    remember_preferences(uow, command.basket_id, prefs)
    decision["accepted_substitutes"] = sorted(set(command.accept_substitutes))
    round_.decision = json.dumps(decision)  # what this and every later selection of the round may take
    event = reselect(uow.session, command.request_id, None, excluded, prefs)
    assert event is not None  # the round is decided
    event.by_hand = command.providers is not None
    decision["confirmed"] = True
    round_.proposal_expires_at = None
    decision["confirmed_selection"] = event.model_dump(mode="json")
    decision["proposed_preferences"] = decision["preferences"]
    decision["preferences"] = prefs.model_dump(mode="json")  # what a compensation selects by
    decision["excluded"] = sorted(excluded)
    round_.decision = json.dumps(decision)
    uow.emit(event)
    if not event.lines:
        needs = [QuoteLine.model_validate(line) for line in decision["needs"]]
        why = named_reasons(event.reasons, needs)
        set_status(
            uow, command.basket_id, BasketStatus.failed, f"the chosen providers cannot supply the kit ({why})"
        )


BACKLOG_GRACE = timedelta(seconds=30)
DUE_BATCH = 50


@dataclass(frozen=True)
class Coordinator:
    """The coordinator's SQL side: keeps every offer, knows which rounds are due (completed by their
    offers, or past their deadline) and lets proposals expire. A round's deadline counts from when its
    requests were on the bus (the coordinator sees them there), not from when the router opened it: a
    backlog of Kitting's own is not counted against the shops. (RoundKeeper makes the decisions.)"""

    quote_deadline: timedelta
    proposal_ttl: timedelta

    def on_quote_requested(self, envelope: Envelope[Any], uow: UnitOfWork) -> None:
        request: QuoteRequested = envelope.data
        round_ = uow.session.get(QuoteRound, request.request_id, with_for_update=True)
        if round_ is None or round_.sent_at is not None or round_.status != "open":
            return  # another request of the round came first, or the round was decided already
        now = utcnow()
        round_.sent_at = now
        round_.deadline = max(round_.deadline, now + self.quote_deadline)

    def on_quote_offered(self, envelope: Envelope[Any], uow: UnitOfWork) -> None:
        """Keep the offer (one that comes after its round was decided is late). The offer that completes
        its round has it decided right after this transaction (RoundKeeper.on_offer)."""
        offer: QuoteOffered = envelope.data
        if uow.session.get(ReceivedOffer, (offer.request_id, offer.provider_id)) is not None:
            return
        round_ = uow.session.get(QuoteRound, offer.request_id)
        if round_ is not None and offer.provider_id not in json.loads(round_.addressed):
            raise HandlerRejected(f"{offer.provider_id} was not asked to quote in round {offer.request_id}")
        now = utcnow()
        asked_at = (round_.sent_at or round_.opened_at) if round_ is not None else None
        uow.session.add(
            ReceivedOffer(
                request_id=offer.request_id,
                provider_id=offer.provider_id,
                basket_id=offer.basket_id,
                offer_json=offer.model_dump_json(),
                received_at=now,
                late=round_ is not None and round_.status != "open",
                answer_ms=max(0, int((now - asked_at).total_seconds() * 1000)) if asked_at else None,
            )
        )

    def all_answered(self, session: Session, request_id: str) -> bool:
        round_ = session.get(QuoteRound, request_id)
        return (
            round_ is not None
            and round_.status == "open"
            and set(json.loads(round_.addressed)) <= set(offers_in_sql(session, request_id))
        )

    def due(self, session: Session, reached: datetime) -> list[tuple[str, ClosedBy]]:
        """Every open round whose deadline the offers consumer has `reached` (the offers sent before it
        are all in; see RoundKeeper.reached), and every round overdue by BACKLOG_GRACE whatever the
        backlog (e.g. one whose requests this worker never saw): (round, why it closes)."""
        now = utcnow()
        due_rounds = session.scalars(
            sql_select(QuoteRound)
            .where(
                QuoteRound.status == "open",
                or_(
                    and_(QuoteRound.deadline <= min(reached, now), QuoteRound.sent_at.is_not(None)),
                    QuoteRound.deadline < now - BACKLOG_GRACE,
                ),
            )
            .order_by(QuoteRound.deadline)
            .limit(DUE_BATCH)
        ).all()
        return [
            (r.request_id, "all-answered" if self.all_answered(session, r.request_id) else "deadline")
            for r in due_rounds
        ]

    def expire_proposals(self, uow: UnitOfWork) -> None:
        """Periodic: a proposal the person did not confirm in time ends the basket, saying so."""
        expired = uow.session.scalars(
            sql_select(QuoteRound)
            .where(QuoteRound.proposal_expires_at < utcnow())
            .order_by(QuoteRound.proposal_expires_at)
            .limit(DUE_BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        for round_ in expired:
            round_.proposal_expires_at = None
            decision = json.loads(round_.decision or "{}")
            decision["expired"] = True
            round_.decision = json.dumps(decision)
            basket = uow.session.get(Basket, round_.basket_id)
            if basket is not None and basket.status == BasketStatus.quoting.value:
                set_status(
                    uow, round_.basket_id, BasketStatus.failed,
                    "the proposal was not confirmed in time and its prices may no longer hold: "
                    "ask for quotes again",
                )  # fmt: skip
