"""`kitting select`: choose shops for a basket from a JSON file of needs, offers and a priority."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from agents.selection.optimise import (
    Need,
    PackOption,
    ProviderOffer,
    Ranking,
    Selection,
    select,
    select_by_hand,
)
from schemas.vocabulary import Criterion

EXAMPLE = (
    '{"needs": [{"line": "flour", "quantity": "300", "unit": "g"}], "offers": [{"provider": "shop", '
    '"delivery_fee": "2.50", "eta_minutes": 60, "lines": [{"line": "flour", "sku": "f500", '
    '"pack_quantity": "500", "pack_unit": "g", "pack_price": "0.89"}]}]}'
)


SELECT_FORMAT = """The file is one JSON object:

\b
  needs     [{"line", "quantity", "unit"}]             what is to be bought
  offers    [{"provider", "delivery_fee", "eta_minutes",
              "lines": [{"line", "sku", "pack_quantity", "pack_unit", "pack_price"}]}]
  priority  {"order": ["cheapest"|"fastest"|"fewest-providers"|"preferred"], "preferred": [...],
             "max_providers": N}                       optional; cheapest first by default
  picks     {"line": "provider"}                       optional: the shops chosen by hand
  currency  "EUR"                                      optional

\b
Example:
  echo '{"needs": [{"line": "flour", "quantity": "300", "unit": "g"}],
         "offers": [{"provider": "shop", "delivery_fee": "2.50", "eta_minutes": 60,
                     "lines": [{"line": "flour", "sku": "f500", "pack_quantity": "500",
                                "pack_unit": "g", "pack_price": "0.89"}]}]}' | kitting select -"""


class BadInput(ValueError):
    """The file cannot be read as a selection request; the message names the problem and the fix."""


# -------------------------------------------------------------------------------------------- reading


def _field(item: Mapping[str, Any], name: str, where: str) -> Any:
    if not isinstance(item, Mapping):
        raise BadInput(f"{where} must be a JSON object")
    if name not in item:
        raise BadInput(f'{where} has no "{name}": add it')
    return item[name]


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise BadInput(f"{where} must be a number or a decimal string, not {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise BadInput(f"{where} must be a number or a decimal string, not {value!r}") from None
    if not number.is_finite():
        raise BadInput(f"{where} must be a finite number, not {value!r}")
    return number


def _integer(value: Any, where: str) -> int:
    number = _decimal(value, where)
    if number != number.to_integral_value():
        raise BadInput(f"{where} must be a whole number, not {value!r}")
    return int(number)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise BadInput(f"{where} must be a non-empty string, not {value!r}")
    return value


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise BadInput(f"{where} must be a list of strings")
    return tuple(_text(v, f"{where}[{i}]") for i, v in enumerate(value))


def _criteria(value: Any, where: str) -> tuple[Criterion, ...]:
    criteria = []
    for word in _strings(value, where):
        try:
            criteria.append(Criterion(word))
        except ValueError:
            raise BadInput(f"unknown priority {word!r}: use one of {', '.join(Criterion)}") from None
    return tuple(criteria)


def _list(document: Mapping[str, Any], name: str) -> list[Any]:
    value = _field(document, name, "the file")
    if not isinstance(value, list):
        raise BadInput(f'"{name}" must be a list')
    return value


def parse_need(item: Any, index: int) -> Need:
    where = f"needs[{index}]"
    quantity = _field(item, "quantity", where)
    unit = item.get("unit")
    return Need(
        line=_text(_field(item, "line", where), f"{where}.line"),
        quantity=None if quantity is None else _decimal(quantity, f"{where}.quantity"),
        unit=None if unit is None else _text(unit, f"{where}.unit"),
        name=str(item.get("name") or ""),
    )


def parse_option(item: Any, where: str) -> PackOption:
    available = item.get("packs_available") if isinstance(item, Mapping) else None
    return PackOption(
        line=_text(_field(item, "line", where), f"{where}.line"),
        sku=_text(_field(item, "sku", where), f"{where}.sku"),
        pack_quantity=_decimal(_field(item, "pack_quantity", where), f"{where}.pack_quantity"),
        pack_unit=_text(_field(item, "pack_unit", where), f"{where}.pack_unit"),
        pack_price=_decimal(_field(item, "pack_price", where), f"{where}.pack_price"),
        packs_available=None if available is None else _integer(available, f"{where}.packs_available"),
        product=str(item.get("product") or ""),
        substitute=bool(item.get("substitute", False)),
    )


def parse_offer(item: Any, index: int) -> ProviderOffer:
    where = f"offers[{index}]"
    lines = _field(item, "lines", where)
    if not isinstance(lines, list):
        raise BadInput(f"{where}.lines must be a list")
    return ProviderOffer(
        provider=_text(_field(item, "provider", where), f"{where}.provider"),
        delivery_fee=_decimal(_field(item, "delivery_fee", where), f"{where}.delivery_fee"),
        eta_minutes=_integer(_field(item, "eta_minutes", where), f"{where}.eta_minutes"),
        lines=tuple(parse_option(line, f"{where}.lines[{i}]") for i, line in enumerate(lines)),
    )


def parse_priority(item: Any) -> Ranking:
    if item is None:
        return Ranking()
    if not isinstance(item, Mapping):
        raise BadInput('"priority" must be a JSON object')
    cap = item.get("max_providers")
    weights = item.get("weights")
    if weights is not None and not isinstance(weights, Mapping):
        raise BadInput('"priority.weights" must be an object like {"cheapest": 1, "fastest": 0.1}')
    return Ranking(
        order=_criteria(item.get("order", ["cheapest"]), "priority.order"),
        preferred=_strings(item.get("preferred", []), "priority.preferred"),
        excluded=_strings(item.get("excluded", []), "priority.excluded"),
        max_providers=None if cap is None else _integer(cap, "priority.max_providers"),
        weights=None
        if weights is None
        else {k: _decimal(v, f"priority.weights.{k}") for k, v in weights.items()},
    )


def read_request(text: str) -> tuple[list[Need], list[ProviderOffer], Ranking, dict[str, str] | None, str]:
    """(needs, offers, priority, picks or None, currency) from the JSON text; raises BadInput."""
    try:
        document = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise BadInput(f"not valid JSON ({exc}); expected an object like {EXAMPLE}") from None
    if not isinstance(document, dict):
        raise BadInput(f"expected a JSON object like {EXAMPLE}")
    needs = [parse_need(item, i) for i, item in enumerate(_list(document, "needs"))]
    offers = [parse_offer(item, i) for i, item in enumerate(_list(document, "offers"))]
    priority = parse_priority(document.get("priority"))
    picks = document.get("picks")
    if picks is not None and not (
        isinstance(picks, dict) and all(isinstance(v, str) for v in picks.values())
    ):
        raise BadInput('"picks" must be an object of line -> provider, e.g. {"flour": "shop"}')
    currency = document.get("currency", "EUR")
    return needs, offers, priority, picks, _text(currency, "currency")


# -------------------------------------------------------------------------------------------- writing


def money(amount: Decimal) -> str:
    """At least two decimals ("3.00"), more only when the input had them."""
    exponent = amount.as_tuple().exponent
    return str(amount.quantize(Decimal("0.01")) if isinstance(exponent, int) and exponent > -2 else amount)


def selection_json(selection: Selection, currency: str, solve_ms: float) -> dict[str, Any]:
    return {
        "providers": list(selection.providers),
        "lines": [
            {
                "line": s.line,
                "provider": s.provider,
                "sku": s.sku,
                "packs": s.packs,
                "pack_quantity": str(s.pack_quantity),
                "pack_unit": s.pack_unit,
                "cost": money(s.cost),
                "leftover": None if s.leftover is None else str(s.leftover),
                "product": s.product,
                "substitute": s.substitute,
            }
            for s in selection.lines
        ],
        "total": money(selection.total),
        "uncovered": list(selection.uncovered),
        "reasons": dict(selection.reasons),
        "delivery_fees": {p: money(fee) for p, fee in selection.delivery_fees.items()},
        "latest_eta_minutes": selection.latest_eta_minutes,
        "currency": currency,
        "solve_ms": round(solve_ms, 2),
    }


def print_table(selection: Selection, currency: str) -> None:
    table = Table(
        title=f"{currency} {money(selection.total)} from {', '.join(selection.providers) or 'nobody'}"
    )
    for column in ("line", "provider", "sku", "packs", "pack", "cost", "leftover"):
        table.add_column(column, justify="right" if column in {"packs", "cost", "leftover"} else "left")
    for s in selection.lines:
        leftover = "" if s.leftover is None else f"{s.leftover} {s.pack_unit}"
        pack = f"{s.pack_quantity} {s.pack_unit}"
        table.add_row(s.line, s.provider, s.sku, str(s.packs), pack, money(s.cost), leftover)
    for provider, fee in selection.delivery_fees.items():
        table.add_row("delivery", provider, "", "", "", money(fee), "")
    for line in selection.uncovered:
        table.add_row(line, "-", "", "", "", "", selection.reasons.get(line, ""), style="red")
    console = Console()
    console.print(table)
    if selection.latest_eta_minutes is not None:
        console.print(f"latest delivery in {selection.latest_eta_minutes} minutes")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"kitting select: {message}", err=True)
    return typer.Exit(2)


def register(cli: typer.Typer) -> None:
    @cli.command(name="select", epilog=SELECT_FORMAT)
    def select_command(
        file: Annotated[
            str, typer.Argument(metavar="FILE", help="JSON file of needs, offers and priority; - for stdin")
        ],
        as_json: Annotated[
            bool, typer.Option("--json", help="Print the selection as one JSON document")
        ] = False,
    ) -> None:
        """Choose shops for a basket: cover the most lines, then follow the priority (cheapest, fastest,
        fewest-providers, preferred, weighted), with packs rounded to whole packs."""
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text()
        except OSError as exc:
            raise _fail(
                f"cannot read {file}: {exc.strerror or exc}; give a JSON file or - for stdin"
            ) from None
        try:
            needs, offers, priority, picks, currency = read_request(text)
            started = time.perf_counter()
            selection = (
                select_by_hand(needs, offers, picks) if picks is not None else select(needs, offers, priority)
            )
            solve_ms = (time.perf_counter() - started) * 1000
        except ValueError as exc:  # BadInput, or the engine's own validation
            raise _fail(f"{exc}") from None
        if as_json:
            print(json.dumps(selection_json(selection, currency, solve_ms), ensure_ascii=False, indent=2))
        else:
            print_table(selection, currency)
