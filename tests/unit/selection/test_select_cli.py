"""`kitting select` through the real `kitting` app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agents.cli.main import cli

REQUEST = {
    "needs": [
        {"line": "flour", "quantity": "300", "unit": "g", "name": "flour"},
        {"line": "eggs", "quantity": 9, "unit": None},
        {"line": "salt", "quantity": None, "unit": None},
    ],
    "offers": [
        {
            "provider": "corner",
            "delivery_fee": "1.00",
            "eta_minutes": 30,
            "lines": [
                {
                    "line": "flour",
                    "sku": "f1k",
                    "pack_quantity": "1",
                    "pack_unit": "kg",
                    "pack_price": "1.80",
                },
                {"line": "salt", "sku": "s1", "pack_quantity": 500, "pack_unit": "g", "pack_price": 0.6},
            ],
        },
        {
            "provider": "market",
            "delivery_fee": "2.50",
            "eta_minutes": 120,
            "lines": [
                {
                    "line": "flour",
                    "sku": "f500",
                    "pack_quantity": "500",
                    "pack_unit": "g",
                    "pack_price": "0.89",
                },
                {
                    "line": "eggs",
                    "sku": "e12",
                    "pack_quantity": 12,
                    "pack_unit": "piece",
                    "pack_price": "3.60",
                },
                {
                    "line": "eggs",
                    "sku": "e6",
                    "pack_quantity": 6,
                    "pack_unit": "pcs",
                    "pack_price": "1.50",
                    "packs_available": 4,
                },
            ],
        },
    ],
    "priority": {"order": ["cheapest"]},
}


def run(tmp_path: Path, request: object, *options: str) -> tuple[int, str, str]:
    path = tmp_path / "request.json"
    path.write_text(request if isinstance(request, str) else json.dumps(request))
    result = CliRunner().invoke(cli, ["select", str(path), *options])
    return result.exit_code, result.stdout, result.stderr


def test_json_round_trip(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, REQUEST, "--json")
    assert code == 0, err
    answer = json.loads(out)
    assert answer["providers"] == ["corner", "market"]
    assert [
        (x["line"], x["provider"], x["sku"], x["packs"], x["cost"], x["leftover"]) for x in answer["lines"]
    ] == [
        ("eggs", "market", "e6", 2, "3.00", "3"),
        ("flour", "market", "f500", 1, "0.89", "200"),
        ("salt", "corner", "s1", 1, "0.60", None),
    ]
    assert answer["total"] == "7.99" and answer["uncovered"] == []
    assert answer["delivery_fees"] == {"corner": "1.00", "market": "2.50"} and answer["currency"] == "EUR"


def test_fastest_picks_and_table(tmp_path: Path) -> None:
    fastest = {**REQUEST, "priority": {"order": ["fastest"], "excluded": ["market"]}}
    code, out, _ = run(tmp_path, fastest, "--json")
    answer = json.loads(out)
    assert code == 0 and answer["providers"] == ["corner"] and answer["uncovered"] == ["eggs"]
    assert answer["reasons"] == {"eggs": "offered only by excluded providers"}
    assert answer["latest_eta_minutes"] == 30 and answer["total"] == "3.40"
    by_hand = {**REQUEST, "picks": {"flour": "corner", "eggs": "market"}}
    answer = json.loads(run(tmp_path, by_hand, "--json")[1])
    assert answer["uncovered"] == ["salt"] and answer["reasons"] == {"salt": "not picked"}
    code, out, _ = run(tmp_path, REQUEST)
    assert code == 0 and "f500" in out and "7.99" in out


@pytest.mark.parametrize(
    ("request_text", "message"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"needs": []}), 'no "offers"'),
        (json.dumps({**REQUEST, "priority": {"order": ["soonest"]}}), "unknown priority 'soonest'"),
        (json.dumps({**REQUEST, "needs": [{"line": "x", "quantity": "lots"}]}), "needs[0].quantity"),
    ],
)
def test_malformed_input_is_one_line_and_exit_2(tmp_path: Path, request_text: str, message: str) -> None:
    code, out, err = run(tmp_path, request_text)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
