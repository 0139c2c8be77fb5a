"""`kitting extract` and `kitting parse`: the extractor for people and scripts."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import track

from agents.extraction.extract import ExtractedMethod, extract_method
from agents.extraction.fetch import FetchFailed, fetch_page
from agents.extraction.method_providers import MethodProviderRegistry, ask_providers, method_from_lists
from agents.extraction.parse import ParsedLine, parse_line
from agents.quoting.needs import scale
from schemas.events import Component
from streams.settings import Settings

err = Console(stderr=True)


def component_json(component: Component) -> dict[str, Any]:
    quantity = component.quantity
    return {
        "text": component.text, "name": component.name,
        "quantity": str(quantity.amount) if quantity else None,
        "quantity_max": str(component.quantity_max.amount) if component.quantity_max else None,
        "unit": quantity.unit if quantity else None, "kind": component.kind.value,
        "group": component.group, "optional": component.optional, "preparation": component.preparation,
        "alternatives": component.alternatives, "confidence": component.confidence,
    }  # fmt: skip


def method_json(source_name: str, method: ExtractedMethod, servings: int | None) -> dict[str, Any]:
    components = scale(method.components, method.method_yield, servings)
    result: dict[str, Any] = {
        "input": source_name, "title": method.title, "yield": method.method_yield, "source": method.source,
        "components": [component_json(c) for c in components],
    }  # fmt: skip
    if servings:
        result["servings"] = servings
    if not components:
        result["reason"] = method.reason
    return result


def read_page(item: str, url: str | None) -> tuple[str, str | None]:
    """(html, url to judge it by). A local file is judged by its content alone unless --url names it."""
    path = Path(item)
    if path.exists():
        return path.read_text(errors="replace"), url
    if item.startswith(("http://", "https://")):
        page = asyncio.run(fetch_page(item))
        return page.html, url or page.url
    raise FileNotFoundError(f"{item}: no such file, and not an http(s) URL")


def parsed_json(parsed: ParsedLine) -> dict[str, Any]:
    return {
        "text": parsed.text, "name": parsed.name,
        "quantity": str(parsed.quantity) if parsed.quantity is not None else None,
        "quantity_max": str(parsed.quantity_max) if parsed.quantity_max is not None else None,
        "unit": parsed.unit, "preparation": parsed.preparation, "comment": parsed.comment,
        "optional": parsed.optional, "alternatives": parsed.alternatives, "confidence": parsed.confidence,
    }  # fmt: skip


def register(cli: typer.Typer) -> None:
    @cli.command()
    def extract(
        inputs: Annotated[list[str], typer.Argument(help="Method pages: local files or http(s) URLs")],
        url: Annotated[str | None, typer.Option(help="The address a local file was saved from")] = None,
        servings: Annotated[int | None, typer.Option(min=1, help="Scale quantities to this yield")] = None,
        jsonl: Annotated[bool, typer.Option("--jsonl", help="One compact JSON object per line")] = False,
    ) -> None:
        """Extract the components of job-method pages: one JSON object per input."""
        failed = 0
        registry = MethodProviderRegistry.from_settings(Settings())
        for item in track(inputs, description="extracting", console=err, disable=len(inputs) < 5):
            try:
                providers = registry.for_url(url or item)
                lists, method_yield, _ = (
                    asyncio.run(ask_providers(providers, url or item)) if providers else ([], None, [])
                )
                if lists:  # the method provider's own lists, side by side; the page is not scraped
                    result = method_json(item, method_from_lists(lists, method_yield), servings)
                    result["provided_lists"] = [
                        {"provider": p.provider_name, "components": [component_json(c) for c in p.components]}
                        for p in lists
                    ]
                else:
                    page, page_url = read_page(item, url)
                    result = method_json(item, extract_method(page, page_url), servings)
            except (OSError, FetchFailed) as exc:
                result = {"input": item, "components": [], "reason": str(exc)}
                failed += 1
            print(
                json.dumps(result, ensure_ascii=False)
                if jsonl
                else json.dumps(result, ensure_ascii=False, indent=2)
            )
        if failed:
            raise typer.Exit(1)

    @cli.command()
    def parse(
        jsonl: Annotated[
            bool, typer.Option("--jsonl", help="One compact JSON object per line (the default)")
        ] = True,
    ) -> None:
        """Parse ingredient or supply sentences, one per line on stdin, into JSON objects."""
        started, count = time.perf_counter(), 0
        for line in sys.stdin:
            sentence = line.rstrip("\n")
            if not sentence.strip():
                continue
            print(json.dumps(parsed_json(parse_line(sentence)), ensure_ascii=False))
            count += 1
        seconds = time.perf_counter() - started
        if count:
            err.print(f"{count} sentences in {seconds:.1f}s ({count / seconds:.0f}/s)")
