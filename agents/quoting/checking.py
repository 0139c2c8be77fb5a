"""Kitting's own check of every offer, before any selection: each product a provider offers for a line
is judged against the need (schemas/fitting.py): a provider's own "exact" is not trusted, a product
that does not fit (another thing, or one the method's diet forbids) is dropped, and a substitute is
flagged with its reason. Then the person's substitute policy decides which substitutes the selection
may use: none (`never`), only close ones (`similar`), or (`ask`) those shown in a proposal and those
the person accepted. A line some provider offers exactly never gets a substitute, and one with a close
substitute gets no farther one."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from agents.selection.model import PackOption, ProviderOffer
from schemas.events import QuoteLine
from schemas.fitting import fit
from schemas.vocabulary import SubstitutePolicy


@dataclass(frozen=True)
class Consent:
    """What the person allows: their policy, the substitutes they accepted (line: the products the
    proposal showed them for it), and whether this selection is only a proposal they will see before
    anything is ordered."""

    policy: SubstitutePolicy = SubstitutePolicy.ask
    accepted: Mapping[str, frozenset[str]] = field(default_factory=dict)
    proposal: bool = False


def accepted_substitutes(proposal: Mapping[str, Any] | None, lines: list[str]) -> dict[str, frozenset[str]]:
    """line: the SKUs a proposal (a providers-selected event's data) showed as that line's substitute,
    for the lines the person accepted: consent is for the product shown, not for any other."""
    shown: dict[str, set[str]] = {}
    for line in (proposal or {}).get("lines") or []:
        if line.get("substitute") and line["line_id"] in lines:
            shown.setdefault(line["line_id"], set()).add(line["sku"])
    return {line: frozenset(skus) for line, skus in shown.items()}


@dataclass(frozen=True)
class Checked:
    offers: list[ProviderOffer]  # with only the options the selection may use, flagged by Kitting
    reasons: dict[str, str] = field(default_factory=dict)  # per line that lost options: why


def judged(offer: ProviderOffer, needs: Mapping[str, QuoteLine]) -> tuple[ProviderOffer, dict[str, str]]:
    """The offer with each option judged against its need; the unfit ones dropped (line: why)."""
    kept: list[PackOption] = []
    unfit: dict[str, str] = {}
    for option in offer.lines:
        need = needs.get(option.line)
        if need is None:
            continue
        verdict = fit(need, option.concept, option.product or option.sku)
        if verdict.kind == "unfit":
            unfit.setdefault(option.line, f"{offer.provider}: {verdict.reason}")
            continue
        kept.append(
            replace(option, substitute=not verdict.exact, reason=verdict.reason, similar=verdict.similar)
        )
    return replace(offer, lines=tuple(kept)), unfit


def checked(offers: Sequence[ProviderOffer], needs: Sequence[QuoteLine], consent: Consent) -> Checked:
    """Every offer judged, then the substitutes the person's consent does not cover dropped."""
    by_id = {need.line_id: need for need in needs}
    judged_offers: list[ProviderOffer] = []
    reasons: dict[str, str] = {}
    for offer in offers:
        kept, unfit = judged(offer, by_id)
        judged_offers.append(kept)
        for line, reason in unfit.items():
            reasons.setdefault(line, f"nothing offered fits: {reason}")
    exact_lines = {o.line for offer in judged_offers for o in offer.lines if not o.substitute}
    close_lines = {o.line for offer in judged_offers for o in offer.lines if o.substitute and o.similar}
    refused: dict[str, list[str]] = defaultdict(list)
    consented_offers = []
    for offer in judged_offers:
        kept_options = []
        for option in offer.lines:
            why = None if not option.substitute else _refusal(option, consent, option.line in exact_lines)
            if why is None and option.substitute and not option.similar and option.line in close_lines:
                why = ""  # a close substitute is offered: a farther one is not proposed
            if why is None:
                kept_options.append(option)
            elif why:
                refused[option.line].append(why)
        consented_offers.append(replace(offer, lines=tuple(kept_options)))
    for line, whys in refused.items():
        reasons[line] = whys[0]
    return Checked(consented_offers, reasons)


def _refusal(option: PackOption, consent: Consent, exact_elsewhere: bool) -> str | None:
    """Why a substitute may not be used ("" when silently: an exact product is offered), or None."""
    if exact_elsewhere:
        return ""
    if consent.policy is SubstitutePolicy.never:
        return f"only a substitute is offered ({option.reason}) and you take none"
    if consent.policy is SubstitutePolicy.similar:
        return None if option.similar else f"only a substitute that is not close is offered ({option.reason})"
    if consent.proposal:
        return None
    if option.line in consent.accepted:
        if option.sku in consent.accepted[option.line]:
            return None
        return f"only the substitute you accepted may be ordered, and it is not offered now ({option.reason})"
    return f"a substitute needs your consent: {option.reason}"
