"""The HTML report as a browser draws it: Debian's chromium, headless, through Playwright's sync API
(the browser is the system's, never one Playwright downloads)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.unit.analytics.test_analytics import CHARTS, _app, build_archive

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: `make install` installs Debian's chromium"
)


def test_every_chart_of_the_report_renders(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    root = tmp_path / "archive"
    build_archive(root)
    report = tmp_path / "report.html"
    result = CliRunner().invoke(_app(), ["report", "--archive", str(root), "--out", str(report)])
    assert result.exit_code == 0, result.output

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "report.png"
    screenshot.unlink(missing_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            page.goto(report.as_uri())
            page.wait_for_load_state("load")
            charts = page.locator("svg.chart")
            assert charts.count() == CHARTS
            for index in range(CHARTS):
                chart = charts.nth(index)
                name = chart.locator("title").first.text_content()
                box = chart.bounding_box()
                assert box is not None and box["width"] > 0 and box["height"] > 0, name
                widths = [
                    (rect.bounding_box() or {"width": 0.0})["width"] for rect in chart.locator("rect").all()
                ]
                assert any(width > 0 for width in widths), f"no drawn bar in {name!r}"
            assert requests == [report.as_uri()]  # self-contained: nothing else is fetched
            page.screenshot(path=str(screenshot), full_page=True)
            phone = browser.new_page(viewport={"width": 375, "height": 740})  # an analyst on a phone
            phone.goto(report.as_uri())
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"the report scrolls sideways on a phone ({width}px)"
            phone.screenshot(path=str(ARTIFACTS / "report-phone.png"), full_page=True)
        finally:
            browser.close()
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 5 * 1024
