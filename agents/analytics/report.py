"""The analysts' report: one self-contained HTML document (inline CSS and SVG, no scripts, no external
assets) with a horizontal bar chart and a table of the numbers for each metric."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from html import escape

from agents.analytics.metrics import Metrics

WIDTH = 720
LABEL_WIDTH = 230
VALUE_WIDTH = 90
BAR_HEIGHT = 18
ROW_HEIGHT = 26
PAD = 8
LABEL_CHARS = 30
NONE = "\u2013"  # an en dash: no value

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2933; margin: 2rem auto;
       max-width: 980px; padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid #d9e2ec; padding-bottom: 0.2rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 0.4rem; }
p.summary { color: #52606d; margin-top: 0; }
figure { margin: 0.6rem 0 1rem; }
svg.chart { display: block; max-width: 100%; height: auto; }
svg.chart text { font-family: system-ui, sans-serif; font-size: 12px; fill: #1f2933; }
svg.chart text.empty { fill: #7b8794; font-style: italic; }
svg.chart rect.bar { fill: #3e7cb1; }
svg.chart rect.bar.rate { fill: #2f9e77; }
svg.chart rect.bar.warn { fill: #c8553d; }
table { border-collapse: collapse; margin: 0.4rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #d9e2ec; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f0f4f8; }
p.def { color: #52606d; font-size: 0.9rem; margin: 0.2rem 0 0.6rem; }
p.note { background: #fff8e6; border-left: 4px solid #d69e2e; padding: 0.4rem 0.6rem; }
.table-wrap { max-width: 100%; overflow-x: auto; }
@media (max-width: 640px) {  /* a phone: each row a card, each cell labelled */
  body { margin: 1rem auto; }
  table, thead, tbody, tr, td { display: block; width: 100%; box-sizing: border-box; }
  thead { position: absolute; left: -9999px; }
  tr { border: 1px solid #d9e2ec; margin-bottom: 0.5rem; }
  td { border: none; border-bottom: 1px solid #f0f4f8; display: flex; justify-content: space-between;
       gap: 1rem; text-align: right; overflow-wrap: anywhere; }
  td::before { content: attr(data-label); font-weight: 600; text-align: left; }
}
"""


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as shown beside the bar


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


class _Charts:
    """Numbers each chart so its title can be referenced."""

    def __init__(self) -> None:
        self.count = 0

    def bar_chart(
        self,
        title: str,
        bars: Sequence[Bar],
        maximum: float | None = None,
        kind: str = "",
        empty: str = "nothing in this period",
    ) -> str:
        """A horizontal bar chart; `maximum` fixes the scale (1.0 for rates), else the largest value;
        `empty` says what no bars mean."""
        self.count += 1
        title_id = f"chart-{self.count}-title"
        css = "bar" + (f" {kind}" if kind else "")
        if not bars:
            height = 2 * PAD + ROW_HEIGHT
            body = (
                f'<text class="empty" x="{WIDTH / 2:.0f}" y="{PAD + ROW_HEIGHT / 2:.0f}" '
                'text-anchor="middle" dominant-baseline="middle">' + escape(empty) + "</text>"
            )
        else:
            height = 2 * PAD + ROW_HEIGHT * len(bars)
            scale_max = maximum if maximum is not None else max(bar.value for bar in bars)
            span = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 2 * PAD
            rows = []
            for index, bar in enumerate(bars):
                y = PAD + index * ROW_HEIGHT
                length = span * bar.value / scale_max if scale_max > 0 else 0.0
                length = max(0.0, min(float(span), length))
                middle = y + ROW_HEIGHT / 2
                rows.append(
                    f"<g><title>{escape(bar.label)}: {escape(bar.text)}</title>"
                    f'<text x="{LABEL_WIDTH - PAD}" y="{middle:.1f}" text-anchor="end" '
                    f'dominant-baseline="middle">{escape(_short(bar.label))}</text>'
                    f'<rect class="{css}" x="{LABEL_WIDTH}" y="{y + (ROW_HEIGHT - BAR_HEIGHT) / 2:.1f}" '
                    f'width="{length:.1f}" height="{BAR_HEIGHT}" rx="2"/>'
                    f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{middle:.1f}" '
                    f'dominant-baseline="middle">{escape(bar.text)}</text></g>'
                )
            body = "".join(rows)
        return (
            f'<figure><svg class="chart" role="img" aria-labelledby="{title_id}" '
            f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
            f'xmlns="http://www.w3.org/2000/svg"><title id="{title_id}">{escape(title)}</title>'
            f"{body}</svg></figure>"
        )


def _rate(value: float | None) -> str:
    return NONE if value is None else f"{value:.0%}"


def _ms(value: float | None) -> str:
    return NONE if value is None else f"{value:,.0f} ms"


def _money(amounts: dict[str, Decimal]) -> str:
    return ", ".join(f"{currency} {amount:,.2f}" for currency, amount in amounts.items()) or NONE


def _time(value: datetime | None) -> str:
    return NONE if value is None else value.isoformat(timespec="seconds")


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    numeric: set[int],
    empty: str = "none in this period",
) -> str:
    def cell(tag: str, index: int, value: object) -> str:
        css = ' class="num"' if index in numeric else ""
        label = f' data-label="{escape(headers[index])}"' if tag == "td" else ""
        return f"<{tag}{css}{label}>{escape(str(value))}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows)
    if not body:
        body = f'<tr><td colspan="{len(headers)}">{escape(empty)}</td></tr>'
    return f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _defined(text: str) -> str:
    """What a figure counts, under its heading."""
    return f'<p class="def">{escape(text)}</p>'


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _counts(mix: dict[str, int]) -> list[Bar]:
    return [Bar(name, count, str(count)) for name, count in mix.items()]


def _provider_table(metrics: Metrics) -> str:
    headers = [
        "provider", "asked", "answered", "answer rate", "mean answer", "p90 answer", "wins", "win rate",
        "orders", "average order",
    ]  # fmt: skip
    rows = [
        (
            p.provider_id, p.asked, p.answered, _rate(p.answer_rate), _ms(p.mean_answer_ms),
            _ms(p.p90_answer_ms), p.wins, _rate(p.win_rate), p.orders, _money(p.average_order_total),
        )
        for p in metrics.providers
    ]  # fmt: skip
    return _table(headers, rows, set(range(1, len(headers))))


def render_report(metrics: Metrics, title: str, source: str | None = None) -> str:
    """The report as one HTML document: each figure with what it counts, over a stated time range and
    source."""
    charts = _Charts()
    funnel = metrics.funnel.stages()
    top = metrics.funnel.browsed
    cover = metrics.coverage
    sessions = len(metrics.epochs)
    summary = (
        f"From {_time(metrics.first)} to {_time(metrics.last)} (UTC)"
        + (f", read from {source}" if source else "")
        + f": {metrics.baskets} baskets in {metrics.events} events ({metrics.records} records"
        + (f", {metrics.undecodable} not readable as events" if metrics.undecodable else "")
        + ")."
    )
    parts: list[str] = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="summary">{escape(summary)}</p>',
    ]
    if sessions > 1:
        parts.append(
            '<p class="note">'
            + escape(
                f"These records come from {sessions} sessions of Kitting (log epochs): give --since and "
            )
            + "--until to report on one of them.</p>"
        )
    parts += [
        "<h2>Funnel</h2>",
        _defined(
            "Distinct baskets that reached each stage: the page was opened (browsed), components were found "
            "(extracted), shops were asked (quoted), something was ordered (ordered), the kit was delivered "
            "and paid, whole or in part (completed)."
        ),
        charts.bar_chart(
            "Funnel: baskets per stage",
            [Bar(stage, count, str(count)) for stage, count in funnel] if any(c for _, c in funnel) else [],
            empty="no basket in this period",
        ),
        _table(
            ["stage", "baskets", "of browsed"],
            [(stage, count, _rate(count / top if top else None)) for stage, count in funnel],
            {1, 2},
        ),
        "<h2>Failed baskets</h2>",
        _defined(
            f"{metrics.failed} {'basket' if metrics.failed == 1 else 'baskets'} ended failed; each counted "
            "once, under the reason of its last failure."
        ),
        _table(
            ["reason", "baskets"],
            [(f.reason, f.count) for f in metrics.failures],
            {1},
            empty="no basket failed in this period",
        ),
        "<h2>Coverage and substitutes</h2>",
        _defined(
            "What the shops' selections bought of the lines asked: each quote round once, by its last "
            "decision (a proposal and its confirmation are one selection); re-selections after a shop "
            "refused are not counted again."
        ),
        _table(
            ["selections", "complete kits", "lines asked", "bought as asked", "as a substitute", "uncovered"],
            [
                (
                    metrics.selections,
                    f"{cover.complete_kits} ({_rate(_share(cover.complete_kits, metrics.selections))})",
                    cover.lines,
                    cover.exact,
                    f"{cover.substitutes} ({_rate(_share(cover.substitutes, cover.lines))})",
                    f"{cover.uncovered} ({_rate(_share(cover.uncovered, cover.lines))})",
                )
            ]
            if metrics.selections
            else [],
            {0, 1, 2, 3, 4, 5},
            empty="no selection in this period",
        ),
        "<h2>Conversion per site</h2>",
        _defined(
            "Per place a basket came from (an upstream site's id when a registered site sent it, else the "
            "page's host): baskets browsed, and the share completed."
        ),
        charts.bar_chart(
            "Conversion per upstream site: completed / browsed baskets",
            [
                Bar(s.site, s.rate or 0.0, f"{_rate(s.rate)} ({s.completed}/{s.browsed})")
                for s in metrics.sites
            ],
            maximum=1.0,
            kind="rate",
            empty="no basket in this period",
        ),
        _table(
            ["site or host", "browsed", "completed", "rate"],
            [(s.site, s.browsed, s.completed, _rate(s.rate)) for s in metrics.sites],
            {1, 2, 3},
        ),
        "<h2>Providers</h2>",
        _defined(
            "Asked: quote requests sent to the shop; answered: those it quoted for; answer time: from the "
            "request to its offer; wins: quote rounds whose selection chose it; win rate: wins / rounds "
            "answered; orders: orders placed with it."
        ),
        "<h3>Answer rate</h3>",
        charts.bar_chart(
            "Answer rate per provider: quote requests answered",
            [
                Bar(p.provider_id, p.answer_rate or 0.0, f"{_rate(p.answer_rate)} of {p.asked}")
                for p in metrics.providers
                if p.asked
            ],
            maximum=1.0,
            kind="rate",
            empty="no shop was asked in this period",
        ),
        "<h3>Mean answer time</h3>",
        charts.bar_chart(
            "Mean answer time per provider (ms)",
            [
                Bar(p.provider_id, p.mean_answer_ms, _ms(p.mean_answer_ms))
                for p in metrics.providers
                if p.mean_answer_ms is not None
            ],
            empty="no shop answered in this period",
        ),
        "<h3>Win rate</h3>",
        charts.bar_chart(
            "Win rate per provider: rounds won / rounds answered",
            [
                Bar(p.provider_id, p.win_rate or 0.0, f"{_rate(p.win_rate)} ({p.wins}/{p.answered})")
                for p in metrics.providers
                if p.answered
            ],
            maximum=1.0,
            kind="rate",
            empty="no shop answered in this period",
        ),
        _provider_table(metrics),
        "<h2>Split baskets</h2>",
        _defined("Selections that chose several shops, of all selections (each quote round once)."),
        _table(
            ["selections", "with several shops", "split share"],
            [(metrics.selections, metrics.split_selections, _rate(metrics.split_share))],
            {0, 1, 2},
        ),
        "<h2>Delivery mix</h2>",
        _defined("Orders placed, per way the kit reached the person."),
        charts.bar_chart(
            "Orders per delivery method", _counts(metrics.delivery_mix), empty="no order in this period"
        ),
        _table(
            ["delivery", "orders"], list(metrics.delivery_mix.items()), {1}, empty="no order in this period"
        ),
        "<h2>Payment mix</h2>",
        _defined("Orders placed, per way the person paid."),
        charts.bar_chart(
            "Orders per payment method", _counts(metrics.payment_mix), empty="no order in this period"
        ),
        _table(
            ["payment", "orders"], list(metrics.payment_mix.items()), {1}, empty="no order in this period"
        ),
        "<h2>Dead letters</h2>",
        _defined(
            "Events a role refused and set aside on the dead-letter topic, per topic they came from and "
            "the reason given (`kitting dlq` shows and resends them)."
        ),
        charts.bar_chart(
            "Dead letters per original topic and reason",
            [Bar(f"{d.topic}: {d.reason}", d.count, str(d.count)) for d in metrics.dead_letters],
            kind="warn",
            empty="no dead letters: every event was accepted",
        ),
        _table(
            ["topic", "reason", "records"],
            [(d.topic, d.reason, d.count) for d in metrics.dead_letters],
            {2},
            empty="no dead letters: every event was accepted",
        ),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        "<body>" + "\n".join(parts) + "</body></html>\n"
    )
