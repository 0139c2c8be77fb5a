"""`kitting quote`: a quote without ordering, the very steps the event pipeline runs for a page, in one
process. The extraction, the needs (routing.needs_of), each reference shop's own quote (the provider
adapters), Kitting's check of every offer and the selection (decisions.run_selection), as a proposal:
nothing is ordered, nothing is stored. What `bench/kit.py` measures too."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.table import Table

from agents.cli.common import fail
from agents.cli.extract import read_page
from agents.composition import reference_shops
from agents.concepts.normalise import concept_of
from agents.extraction.extract import ExtractedMethod, extract_method
from agents.extraction.fetch import FetchFailed
from agents.quoting.checking import Consent
from agents.quoting.decisions import run_selection, usable_offers
from agents.quoting.routing import needs_of
from agents.selection.model import SelectedLine, Selection
from schemas.events import (
    Component,
    ComponentsExtracted,
    PriorityProfile,
    QuoteLine,
    QuoteOffered,
    QuotePreferences,
    QuoteRequested,
)
from schemas.vocabulary import Criterion, DeliveryMethod, PaymentMethod, SubstitutePolicy
from streams.persistence import utcnow

Status = Literal["exact", "substitute", "uncovered", "not-needed"]
DRY_RUN = "dry-run"


@dataclass(frozen=True)
class Wanted:
    """How the person wants the kit: as `kitting quote`'s options say."""

    servings: int | None = None
    priority: Criterion = Criterion.cheapest
    region: str = "default"
    substitutes: SubstitutePolicy = SubstitutePolicy.ask
    delivery: DeliveryMethod = DeliveryMethod.courier
    payment: PaymentMethod = PaymentMethod.electronic

    def preferences(self) -> QuotePreferences:
        profile = PriorityProfile(order=[self.priority], substitutes=self.substitutes)
        return QuotePreferences(
            customer_ref=DRY_RUN, region=self.region, servings=self.servings, profile=profile,
            delivery=self.delivery, payment=self.payment, confirm=True,
        )  # fmt: skip


def quote_method(method: ExtractedMethod, url: str, wanted: Wanted) -> dict[str, Any]:
    """The kit for an extracted method, as one JSON-ready object (see `kitting quote --json`)."""
    prefs = wanted.preferences()
    extracted = ComponentsExtracted(
        basket_id=DRY_RUN, url=url, title=method.title, method_kind=method.kind, components=method.components,
        method_yield=method.method_yield, source=method.source, quote=prefs,
    )  # fmt: skip
    needs = needs_of(extracted, prefs)
    offers, addressed = reference_quotes(needs, wanted.region)
    _, usable, _ = usable_offers(offers, addressed, prefs, needs, utcnow())
    profile = prefs.profile or PriorityProfile()
    consent = Consent(wanted.substitutes, proposal=wanted.substitutes is SubstitutePolicy.ask)
    selection = run_selection(needs, usable, profile, consent)
    return kit_json(method, needs, selection)


def reference_quotes(needs: list[QuoteLine], region: str) -> tuple[list[QuoteOffered], list[str]]:
    """Each reference shop of the region quotes the lines of its categories, as its adapter would."""
    shops = [s for s in reference_shops() if region in s.regions]
    asked = {s.provider_id: [n for n in needs if n.category in s.categories] for s in shops}
    addressed = sorted(provider for provider, lines in asked.items() if lines)
    offers = []
    for shop in shops:
        lines = asked[shop.provider_id]
        if not lines:
            continue
        request = QuoteRequested(
            basket_id=DRY_RUN, request_id=DRY_RUN, provider_id=shop.provider_id, addressed=addressed,
            region=region, lines=lines, deadline=utcnow() + timedelta(minutes=1),
        )  # fmt: skip
        offers.append(shop.quote(request))
    return offers, addressed


def kit_json(method: ExtractedMethod, needs: list[QuoteLine], selection: Selection) -> dict[str, Any]:
    need_of = {part: need for need in needs for part in need.line_id.split("+")}
    chosen: dict[str, list[SelectedLine]] = defaultdict(list)
    for line in selection.lines:
        chosen[line.line].append(line)
    entries = []
    for component in method.components:
        need = need_of.get(component.line_id)
        first = need is not None and need.line_id.split("+")[0] == component.line_id
        entries.append(
            _entry(component, need, chosen.get(need.line_id, []) if need else [], selection, first)
        )
    counted = [e for e in entries if e["status"] != "not-needed"]
    fees = sum(selection.delivery_fees.values(), Decimal(0))
    return {
        "title": method.title,
        "lines": entries,
        "providers": [
            {"provider": p, "delivery_fee": str(selection.delivery_fees[p])} for p in selection.providers
        ],
        "total": str(selection.total) if selection.providers else None,
        "delivery_fees": str(fees),
        "coverage": {
            "lines": len(counted),
            "exact": sum(e["status"] == "exact" for e in counted),
            "substitute": sum(e["status"] == "substitute" for e in counted),
            "uncovered": sum(e["status"] == "uncovered" for e in counted),
        },
    }


def _entry(
    component: Component,
    need: QuoteLine | None,
    bought: list[SelectedLine],
    selection: Selection,
    first: bool,
) -> dict[str, Any]:
    concept = need.concept if need else concept_of(component.name, component.text, component.kind).concept
    entry: dict[str, Any] = {
        "text": component.text, "concept": concept, "status": "not-needed", "provider": None, "product": None,
        "sku": None, "packs": None, "pack_quantity": None, "pack_unit": None, "cost": None, "reason": None,
        "product_concept": None,
    }  # fmt: skip
    if need is None:
        entry["reason"] = "nobody buys it" if concept is None else "already at hand"
        return entry
    if not bought:
        entry["status"] = "uncovered"
        entry["reason"] = selection.reasons.get(need.line_id, "no offer")
        return entry
    status: Status = "substitute" if any(line.substitute for line in bought) else "exact"
    entry.update(
        status=status,
        provider=bought[0].provider,
        product_concept=bought[0].concept,
        product=" + ".join(line.product for line in bought),
        sku=" + ".join(line.sku for line in bought),
        packs=sum(line.packs for line in bought),
        pack_quantity=str(bought[0].pack_quantity),
        pack_unit=bought[0].pack_unit,
        cost=str(sum((line.cost for line in bought), Decimal(0))) if first else "0",
        reason=next((line.reason for line in bought if line.reason), None)
        if first
        else f"bought with {need.name}",
    )
    return entry


def _choice(enum: type[Any], value: str, option: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        raise fail(f"{option} {value!r} is not one of: {', '.join(m.value for m in enum)}") from None


def print_kit(kit: dict[str, Any]) -> None:
    coverage = kit["coverage"]
    got = coverage["exact"] + coverage["substitute"]
    console = Console()
    console.print(
        f"[bold]{kit['title'] or 'Untitled method'}[/bold]: {got} of {coverage['lines']} items", end=""
    )
    console.print(f" ({coverage['substitute']} as substitutes)" if coverage["substitute"] else "")
    table = Table(show_lines=False)
    for column in ("line", "status", "product", "shop", "packs", "cost", "why"):
        table.add_column(column)
    for line in kit["lines"]:
        packs = f"{line['packs']} x {line['pack_quantity']} {line['pack_unit']}" if line["packs"] else ""
        table.add_row(
            line["text"], line["status"], line["product"] or "", line["provider"] or "", packs,
            line["cost"] or "", line["reason"] or "",
        )  # fmt: skip
    console.print(table)
    fees = ", ".join(f"{p['provider']} {p['delivery_fee']}" for p in kit["providers"])
    if kit["total"] is not None:
        console.print(f"total {kit['total']} EUR, delivery included ({fees})")
    uncovered = [line for line in kit["lines"] if line["status"] == "uncovered"]
    if uncovered:
        console.print(
            f"{len(uncovered)} missing: buy them elsewhere, or allow substitutes (--substitutes similar)"
        )


def register(cli: typer.Typer) -> None:
    @cli.command()
    def quote(
        page: Annotated[str, typer.Argument(help="A method page: a local file or an http(s) URL")],
        url: Annotated[str | None, typer.Option(help="The address a local file was saved from")] = None,
        servings: Annotated[int | None, typer.Option(min=1, help="Scale quantities to this yield")] = None,
        priority: Annotated[str, typer.Option(help="cheapest, fastest or fewest-providers")] = "cheapest",
        region: Annotated[str, typer.Option(help="The delivery region")] = "default",
        substitutes: Annotated[str, typer.Option(help="never, ask or similar")] = "ask",
        delivery: Annotated[str, typer.Option(help="courier, own or pickup")] = "courier",
        as_json: Annotated[bool, typer.Option("--json", help="Print the kit as one JSON object")] = False,
    ) -> None:
        """Quote the kit of a method page from the reference shops, ordering nothing (a dry run)."""
        wanted = Wanted(
            servings=servings,
            priority=_choice(Criterion, priority, "--priority"),
            region=region,
            substitutes=_choice(SubstitutePolicy, substitutes, "--substitutes"),
            delivery=_choice(DeliveryMethod, delivery, "--delivery"),
        )
        try:
            html, page_url = read_page(page, url)
        except (OSError, FetchFailed) as exc:
            raise fail(f"cannot read {page}: {exc}") from None
        method = extract_method(html, page_url)
        if not method.components:
            raise fail(f"no components found on {page}: {method.reason or 'no method on the page'}")
        kit = quote_method(method, page_url or page, wanted)
        if as_json:
            print(json.dumps(kit, ensure_ascii=False, indent=2))
        else:
            print_kit(kit)
