"""Analytics over the archive: metrics, the HTML report, and `kitting report` / `kitting export`."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from agents.analytics.metrics import Metrics, compute_metrics
from agents.analytics.report import render_report
from agents.cli.analytics import EXPORT_COLUMNS, register
from schemas.envelope import new_envelope
from schemas.events import (
    BasketStatus,
    BasketStatusChanged,
    ComponentsExtracted,
    DeliveryOption,
    EventData,
    MethodBrowsed,
    OrderPlaced,
    ProvidersSelected,
    QuoteOffered,
    QuoteRequested,
)
from schemas.examples import example
from schemas.values import Money
from schemas.vocabulary import DeliveryMethod, PaymentMethod
from streams.archive import ArchiveWriter, read_archive
from streams.codec import encode
from streams.handling import DLQ_HEADER_CONSUMER, DLQ_HEADER_ERROR, DLQ_HEADER_TOPIC
from streams.topics import Topic, topic_for

EPOCH = "testepoch"
T0 = int(datetime(2026, 11, 23, 12, 0, tzinfo=UTC).timestamp() * 1000)
HOSTILE_SITE = "<script>alert('x')</script>"
NOT_JSON = "not JSON: JSONDecodeError: Expecting value"
REJECTED = "rejected by extractor: no such page"
CHARTS = 8


@dataclass(frozen=True)
class Rec:
    """What ArchiveWriter.add reads from a consumer record."""

    topic: str
    partition: int
    offset: int
    timestamp: int  # ms
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass
class Log:
    """A fake log: one partition per topic, offsets counted per topic."""

    records: list[Rec] = field(default_factory=list)
    offsets: dict[str, int] = field(default_factory=dict)

    def raw(
        self, topic: Topic, at: int, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]]
    ) -> Rec:
        name = topic.topic_name
        offset = self.offsets.get(name, 0)
        self.offsets[name] = offset + 1
        record = Rec(name, 0, offset, at, key, value, headers)
        self.records.append(record)
        return record

    def event(self, data: EventData, at: int) -> Rec:
        envelope = new_envelope(data, source="urn:kitting:test", subject=data.basket_id)
        return self.raw(topic_for(data), at, data.basket_id.encode(), encode(envelope), [])

    def dead(self, original: Topic, reason: str, at: int) -> Rec:
        headers = [
            (DLQ_HEADER_TOPIC, original.topic_name.encode()),
            (DLQ_HEADER_CONSUMER, b"test"),
            (DLQ_HEADER_ERROR, reason.encode()),
        ]
        return self.raw(Topic.DEAD_LETTER, at, b"b-dead", b"{oops", headers)


def _eur(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="EUR")


def _browsed(basket: str, site: str | None, url: str) -> MethodBrowsed:
    return example(MethodBrowsed).model_copy(update={"basket_id": basket, "site": site, "url": url})


def _extracted(basket: str, empty: bool = False) -> ComponentsExtracted:
    data = example(ComponentsExtracted)
    return data.model_copy(
        update={"basket_id": basket, "components": [] if empty else data.components, "reason": None}
    )


def _requested(basket: str, request: str, provider: str) -> QuoteRequested:
    return example(QuoteRequested).model_copy(
        update={"basket_id": basket, "request_id": request, "provider_id": provider}
    )


def _offered(basket: str, request: str, provider: str) -> QuoteOffered:
    return example(QuoteOffered).model_copy(
        update={"basket_id": basket, "request_id": request, "provider_id": provider}
    )


def _selected(
    basket: str, request: str, providers: list[str], compensates: str | None = None
) -> ProvidersSelected:
    return example(ProvidersSelected).model_copy(
        update={
            "basket_id": basket,
            "request_id": request,
            "providers": providers,
            "compensates": compensates,
        }
    )


def _order(
    basket: str,
    order: str,
    request: str,
    provider: str,
    method: DeliveryMethod,
    pay: PaymentMethod,
    total: str,
) -> OrderPlaced:
    delivery = DeliveryOption(method=method, fee=_eur("2.00"), eta_hours=2)
    return example(OrderPlaced).model_copy(
        update={
            "basket_id": basket,
            "order_id": order,
            "request_id": request,
            "provider_id": provider,
            "delivery": delivery,
            "payment": pay,
            "total": _eur(total),
        }
    )


def _status(basket: str, status: BasketStatus) -> BasketStatusChanged:
    return BasketStatusChanged(basket_id=basket, status=status, at=datetime(2026, 11, 23, 12, tzinfo=UTC))


def scenario() -> Log:
    """Three baskets from three sites, two quote rounds, three orders, a compensation, dead letters,
    one record that does not decode, and one event produced twice (an outbox relayed again)."""
    log = Log()
    cg, mh = "corner-grocer", "market-hall"
    # b-1: browsed on recipes.example, split between two shops, completed
    log.event(_browsed("b-1", "recipes.example", "https://recipes.example/pancakes"), T0)
    log.event(_extracted("b-1"), T0 + 100)
    log.event(_requested("b-1", "r-1", cg), T0 + 1000)
    log.event(_requested("b-1", "r-1", mh), T0 + 1000)
    log.event(_offered("b-1", "r-1", cg), T0 + 1200)
    log.event(_offered("b-1", "r-1", mh), T0 + 1600)
    log.event(_selected("b-1", "r-1", [cg, mh]), T0 + 1700)
    relayed = log.event(
        _order("b-1", "o-1", "r-1", cg, DeliveryMethod.courier, PaymentMethod.electronic, "6.09"), T0 + 1800
    )
    log.event(
        _order("b-1", "o-2", "r-1", mh, DeliveryMethod.pickup, PaymentMethod.pay_at_pickup, "3.00"), T0 + 1800
    )
    log.event(_selected("b-1", "r-1", [cg], compensates="o-2"), T0 + 1900)  # not a first selection
    log.event(_status("b-1", BasketStatus.completed), T0 + 5000)
    # the same order event produced again (an outbox relayed after a crash): a new offset, one event
    log.raw(Topic.ORDER_PLACED, T0 + 6000, relayed.key, relayed.value, [])
    # b-2: from a hostile site name, market-hall never answers, not completed
    log.event(_browsed("b-2", HOSTILE_SITE, "https://evil.example/x"), T0 + 10_000)
    log.event(_extracted("b-2"), T0 + 10_100)
    log.event(_requested("b-2", "r-2", cg), T0 + 11_000)
    log.event(_requested("b-2", "r-2", mh), T0 + 11_000)
    log.event(_offered("b-2", "r-2", cg), T0 + 11_400)
    log.event(_selected("b-2", "r-2", [cg]), T0 + 11_500)
    log.event(
        _order("b-2", "o-3", "r-2", cg, DeliveryMethod.courier, PaymentMethod.cash_on_delivery, "10.00"),
        T0 + 11_600,
    )
    log.event(_status("b-2", BasketStatus.failed), T0 + 12_000)
    # b-3: no site given (the URL's host counts), nothing extracted
    log.event(_browsed("b-3", None, "https://diy.example.org/shelf"), T0 + 20_000)
    log.event(_extracted("b-3", empty=True), T0 + 20_100)
    # a record that is not an event of its topic, and dead letters (the next day)
    log.raw(Topic.ORDER_STATUS, T0 + 30_000, b"b-1", b"garbage", [])
    next_day = T0 + int(timedelta(days=1).total_seconds() * 1000)
    log.dead(Topic.QUOTE_OFFERED, NOT_JSON, next_day)
    log.dead(Topic.QUOTE_OFFERED, NOT_JSON, next_day + 1)
    log.dead(Topic.METHOD_BROWSED, REJECTED, next_day + 2)
    return log


UNIQUE_RECORDS = 26  # every record of scenario(), the relayed one included


def build_archive(root: Path) -> Log:
    """The scenario archived, with its first quote request archived a second time (a crash before the
    commit), so the archive holds one repeat."""
    log = scenario()
    writer = ArchiveWriter(root, epoch=EPOCH)
    for record in log.records:
        writer.add(record)
    writer.flush()
    again = ArchiveWriter(root, epoch=EPOCH)
    again.add(next(r for r in log.records if r.topic == Topic.QUOTE_REQUESTED.topic_name))
    again.flush()
    return log


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "archive"
    build_archive(root)
    return root


# --- metrics ----------------------------------------------------------------------------------------


def test_the_scenario_has_the_records_the_tests_count() -> None:
    assert len(scenario().records) == UNIQUE_RECORDS


def test_metrics_from_the_archive(archive: Path) -> None:
    metrics = compute_metrics(read_archive(archive))
    assert metrics.records == UNIQUE_RECORDS
    assert metrics.undecodable == 1
    assert metrics.events == UNIQUE_RECORDS - 1 - 3 - 1  # less the garbage, dead letters, the relayed
    assert metrics.baskets == 3
    assert metrics.funnel.stages() == [
        ("browsed", 3),
        ("extracted", 2),
        ("quoted", 2),
        ("ordered", 2),
        ("completed", 1),
    ]
    assert [(s.site, s.browsed, s.completed, s.rate) for s in metrics.sites] == [
        (HOSTILE_SITE, 1, 0, 0.0),
        ("diy.example.org", 1, 0, 0.0),
        ("recipes.example", 1, 1, 1.0),
    ]

    providers = {p.provider_id: p for p in metrics.providers}
    assert set(providers) == {"corner-grocer", "market-hall"}
    cg, mh = providers["corner-grocer"], providers["market-hall"]
    assert (cg.asked, cg.answered, cg.answer_rate) == (2, 2, 1.0)
    assert (cg.mean_answer_ms, cg.p90_answer_ms) == (300.0, 400.0)
    assert (cg.wins, cg.win_rate) == (2, 1.0)
    assert cg.orders == 2
    assert cg.average_order_total == {"EUR": Decimal("8.05")}  # (6.09 + 10.00) / 2, half up
    assert (mh.asked, mh.answered, mh.answer_rate) == (2, 1, 0.5)
    assert (mh.mean_answer_ms, mh.p90_answer_ms) == (600.0, 600.0)
    assert (mh.wins, mh.win_rate, mh.orders) == (1, 1.0, 1)
    assert mh.average_order_total == {"EUR": Decimal("3.00")}

    assert (metrics.selections, metrics.split_selections, metrics.split_share) == (2, 1, 0.5)
    assert metrics.delivery_mix == {"courier": 2, "pickup": 1}
    assert metrics.payment_mix == {"cash-on-delivery": 1, "electronic": 1, "pay-at-pickup": 1}
    assert [(d.topic, d.reason, d.count) for d in metrics.dead_letters] == [
        ("quote-offered", NOT_JSON, 2),
        ("method-browsed", REJECTED, 1),
    ]
    assert metrics.first is not None and metrics.first.timestamp() * 1000 == T0


def test_repeats_are_counted_once(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    build_archive(root)
    raw_rows = sum(pq.read_metadata(path).num_rows for path in root.rglob("*.parquet"))
    assert raw_rows == UNIQUE_RECORDS + 1  # the archive itself holds the repeat

    records = list(read_archive(root))
    assert len(records) == UNIQUE_RECORDS
    once = compute_metrics(records)
    assert compute_metrics(records + records) == once  # even when the reader does not drop them
    assert once.providers[0].asked == 2


def test_metrics_of_nothing() -> None:
    metrics = compute_metrics([])
    assert metrics == Metrics()
    assert metrics.split_share is None and metrics.providers == [] and metrics.dead_letters == []


# --- the report -------------------------------------------------------------------------------------


def _svgs(html: str) -> list[ET.Element]:
    charts = []
    start = html.find("<svg")
    while start != -1:
        end = html.index("</svg>", start) + len("</svg>")
        charts.append(ET.fromstring(html[start:end]))
        start = html.find("<svg", end)
    return charts


SVG = "{http://www.w3.org/2000/svg}"


def test_the_report_has_one_chart_per_metric_and_escapes_text(archive: Path) -> None:
    html = render_report(compute_metrics(read_archive(archive)), "Kitting & <friends>")
    assert html.startswith("<!DOCTYPE html>")
    assert "<title>Kitting &amp; &lt;friends&gt;</title>" in html
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no external assets
    charts = _svgs(html)
    assert len(charts) == CHARTS
    for chart in charts:
        assert chart.get("role") == "img" and chart.get("class") == "chart"
        assert chart.get("viewBox", "").startswith("0 0 ")
        assert chart[0].tag == f"{SVG}title" and chart[0].text
        bars = [r for r in chart.iter(f"{SVG}rect") if "bar" in (r.get("class") or "")]
        assert bars and any(float(r.get("width", "0")) > 0 for r in bars), chart[0].text
    titles = [chart[0].text for chart in charts]
    assert len(set(titles)) == CHARTS
    assert "corner-grocer" in html and "EUR 8.05" in html and "50%" in html


def test_an_empty_report_says_what_nothing_means() -> None:
    html = render_report(Metrics(), "empty")
    charts = _svgs(html)
    assert len(charts) == CHARTS
    for chart in charts:
        assert not list(chart.iter(f"{SVG}rect"))
        [said] = [t.text or "" for t in chart.iter(f"{SVG}text")]
        assert said.startswith("no ") and "data" not in said, said
    assert "no dead letters: every event was accepted" in html and "no basket failed" in html


def test_a_round_counts_once_and_failures_and_coverage_are_reported(tmp_path: Path) -> None:
    """A proposal and the person's choice by hand are one selection (the last decides: one shop, so no
    split, and the proposal's other shop wins nothing); a failed basket is counted under its reason; the
    coverage counts the lines bought as asked, as substitutes, and uncovered. Two sessions are named."""
    cg, mh = "corner-grocer", "market-hall"
    log = Log()
    proposal = _selected("b-9", "r-9", [cg, mh]).model_copy(update={"proposed": True})
    log.event(proposal, T0)
    log.event(_selected("b-9", "r-9", [cg]).model_copy(update={"uncovered": ["c3"]}), T0 + 10)
    failed = BasketStatusChanged(
        basket_id="b-8", status=BasketStatus.failed, reason="no shop answered in time",
        at=datetime(2026, 11, 23, 12, tzinfo=UTC),
    )  # fmt: skip
    log.event(failed, T0 + 20)
    for epoch, records in (("one", log.records[:2]), ("two", log.records[2:])):
        writer = ArchiveWriter(tmp_path, epoch=epoch)
        for record in records:
            writer.add(record)
        writer.flush()
    metrics = compute_metrics(read_archive(tmp_path))
    assert (metrics.selections, metrics.split_selections) == (1, 0)
    wins = {p.provider_id: p.wins for p in metrics.providers}
    assert wins[cg] == 1 and wins.get(mh, 0) == 0
    assert metrics.coverage.model_dump() == {
        "lines": 3, "exact": 1, "substitutes": 1, "uncovered": 1, "complete_kits": 0,
    }  # fmt: skip
    assert (metrics.failed, [(f.reason, f.count) for f in metrics.failures]) == (
        1, [("no shop answered in time", 1)],
    )  # fmt: skip
    assert metrics.epochs == ["one", "two"]
    html = render_report(metrics, "two sessions", source="var/archive")
    assert "no shop answered in time" in html and "from 2 sessions" in html and "var/archive" in html
    assert 'data-label="lines asked"' in html  # a phone shows each cell with its label


# --- the CLI ----------------------------------------------------------------------------------------


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Kitting (test app)."""

    register(app)
    return app


def test_report_writes_the_html(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "report.html"
    result = CliRunner().invoke(_app(), ["report", "--archive", str(archive), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out) in result.stdout and "3 baskets" in result.stdout and "3 dead letters" in result.stdout
    assert len(_svgs(out.read_text())) == CHARTS

    window = CliRunner().invoke(
        _app(),
        ["report", "--archive", str(archive), "--out", str(out), "--until", "2026-11-23T12:00:15+00:00"],
    )
    assert window.exit_code == 0, window.output
    assert "2 baskets" in window.stdout and "0 dead letters" in window.stdout


def test_report_refuses_a_missing_or_empty_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    missing = runner.invoke(_app(), ["report", "--archive", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "no archive at" in missing.output
    assert "Traceback" not in missing.output
    (tmp_path / "empty").mkdir()
    empty = runner.invoke(_app(), ["report", "--archive", str(tmp_path / "empty")])
    assert empty.exit_code == 2 and "empty" in empty.output
    monkeypatch.setenv("KITTING_VAR_DIR", str(tmp_path / "var"))
    default = runner.invoke(_app(), ["report", "--out", str(tmp_path / "r.html")])
    assert default.exit_code == 2 and str(tmp_path / "var" / "archive") in default.output
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_export_round_trips(archive: Path, tmp_path: Path, fmt: str) -> None:
    runner = CliRunner()
    out = tmp_path / f"all.{fmt}"
    result = runner.invoke(_app(), ["export", "--format", fmt, "--archive", str(archive), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {UNIQUE_RECORDS} records" in result.stdout
    rows = _read_export(out, fmt)
    assert len(rows) == UNIQUE_RECORDS
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    first = rows[0]
    assert first["topic"] == Topic.METHOD_BROWSED.topic_name and first["basket_id"] == "b-1"
    assert str(first["timestamp"]).startswith("2026-11-23") and "12:00:00" in str(first["timestamp"])
    assert json.loads(str(first["value"]))["data"]["site"] == "recipes.example"
    dead = [r for r in rows if r["topic"] == Topic.DEAD_LETTER.topic_name]
    assert len(dead) == 3
    assert [DLQ_HEADER_ERROR, REJECTED] in json.loads(str(dead[-1]["headers"]))

    some = tmp_path / f"some.{fmt}"
    selected = runner.invoke(
        _app(),
        [
            "export", "--format", fmt, "--archive", str(archive), "--out", str(some),
            "--topic", Topic.QUOTE_REQUESTED.topic_name, "--topic", Topic.QUOTE_OFFERED.topic_name,
            "--basket", "b-1", "--since", "2026-11-23T12:00:01+00:00",
        ],
    )  # fmt: skip
    assert selected.exit_code == 0, selected.output
    assert "wrote 4 records" in selected.stdout
    assert len(_read_export(some, fmt)) == 4

    none = tmp_path / f"none.{fmt}"
    nothing = runner.invoke(
        _app(),
        ["export", "--format", fmt, "--archive", str(archive), "--out", str(none), "--basket", "b-404"],
    )
    assert nothing.exit_code == 0, nothing.output
    assert "wrote 0 records" in nothing.stdout and _read_export(none, fmt) == []


def _read_export(path: Path, fmt: str) -> list[dict[str, object]]:
    if fmt == "parquet":
        rows: list[dict[str, object]] = pq.read_table(path).to_pylist()
        return rows
    if fmt == "jsonl":
        lines = path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_export_refuses_an_unknown_topic_or_format(archive: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "x.csv"
    unknown = runner.invoke(
        _app(),
        ["export", "--format", "csv", "--archive", str(archive), "--out", str(out), "--topic", "orders"],
    )
    assert unknown.exit_code == 2 and "'orders'" in unknown.output
    assert (
        Topic.METHOD_BROWSED.topic_name in unknown.output and Topic.DEAD_LETTER.topic_name in unknown.output
    )
    assert not out.exists()
    bad_format = runner.invoke(
        _app(), ["export", "--format", "xlsx", "--archive", str(archive), "--out", str(out)]
    )
    assert bad_format.exit_code == 2
    missing = runner.invoke(
        _app(), ["export", "--format", "csv", "--archive", str(tmp_path / "nowhere"), "--out", str(out)]
    )
    assert missing.exit_code == 2 and "no archive at" in missing.output


def _duckdb(sql: str) -> list[tuple[Any, ...]]:
    relation = duckdb.sql(sql)
    assert relation is not None
    return relation.fetchall()


def test_duckdb_queries_the_archive(archive: Path) -> None:
    """What the README tells analysts: the archive is a hive-partitioned Parquet dataset."""
    files = f"read_parquet('{archive}/**/*.parquet', hive_partitioning=true)"
    counts = dict(_duckdb(f"SELECT topic, count(*) FROM {files} GROUP BY topic"))
    assert counts[Topic.QUOTE_REQUESTED.topic_name] == 4 + 1  # the repeat is still in the files
    assert counts[Topic.DEAD_LETTER.topic_name] == 3
    assert sum(counts.values()) == UNIQUE_RECORDS + 1
    distinct = _duckdb(f'SELECT count(DISTINCT (epoch, topic, "partition", "offset")) FROM {files}')
    assert distinct == [(UNIQUE_RECORDS,)]
    days = _duckdb(f"SELECT DISTINCT day FROM {files} ORDER BY day")
    assert [str(day) for (day,) in days] == ["2026-11-23", "2026-11-24"]
