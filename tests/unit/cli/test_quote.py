"""`kitting quote`: a dry run of the pipeline's own code on a page, one JSON object with a line per
extracted component, ordering nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agents.cli.demo import demo_page
from agents.cli.main import cli

KEYS = {
    "text", "concept", "status", "provider", "product", "sku", "packs", "pack_quantity", "pack_unit", "cost",
    "reason",
}  # fmt: skip


def quote(tmp_path: Path, html: str, *options: str) -> dict:
    page = tmp_path / "page.html"
    page.write_text(html, encoding="utf-8")
    result = CliRunner().invoke(cli, ["quote", str(page), "--json", *options])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_every_component_gets_a_line_with_its_status_and_the_totals_agree(tmp_path: Path) -> None:
    html = demo_page().replace('"1 pinch of salt"', '"1 pinch of salt",\n    "500 ml cold water"')
    kit = quote(tmp_path, html)
    assert kit["title"] == "Weekend pancakes"
    assert [line["text"] for line in kit["lines"]][-1] == "500 ml cold water"
    assert all(KEYS <= set(line) for line in kit["lines"])
    statuses = {line["text"]: line["status"] for line in kit["lines"]}
    assert statuses["500 ml cold water"] == "not-needed"
    assert statuses["2 eggs"] == "exact" and statuses["250 g plain flour"] == "exact"
    assert kit["coverage"] == {"lines": 6, "exact": 6, "substitute": 0, "uncovered": 0}
    goods = sum(float(line["cost"]) for line in kit["lines"] if line["cost"])
    fees = sum(float(p["delivery_fee"]) for p in kit["providers"])
    assert float(kit["total"]) == pytest.approx(goods + fees)
    assert {line["provider"] for line in kit["lines"] if line["provider"]} == {
        p["provider"] for p in kit["providers"]
    }


def test_a_line_nobody_sells_is_uncovered_with_the_reason(tmp_path: Path) -> None:
    html = demo_page().replace('"1 pinch of salt"', '"1 pinch of salt",\n    "2 tbsp unicorn dust"')
    kit = quote(tmp_path, html, "--substitutes", "never")
    [dust] = [line for line in kit["lines"] if line["text"] == "2 tbsp unicorn dust"]
    assert dust["status"] == "uncovered" and dust["reason"] == "no offer" and dust["product"] is None
    assert kit["coverage"]["uncovered"] == 1


def test_wrong_options_are_refused_with_the_choices(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(demo_page(), encoding="utf-8")
    result = CliRunner().invoke(cli, ["quote", str(page), "--substitutes", "sometimes"])
    assert result.exit_code == 2 and "never, ask, similar" in result.output
    missing = CliRunner().invoke(cli, ["quote", str(tmp_path / "nothing.html")])
    assert missing.exit_code == 2 and "cannot read" in missing.output
