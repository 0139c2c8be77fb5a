"""Without its POS-tagger model the parser would return every line as a bare name with no quantity:
Kitting refuses to parse at all, and says how to fix it, rather than read every line wrong."""

from __future__ import annotations

import importlib.util
import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.extraction import offline_tagger, parse
from agents.extraction.offline_tagger import TaggerMissing


@pytest.fixture
def no_tagger(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """As after `pip install` without the model's package: no model written yet, none to write."""
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: object) -> object:
        return None if name == "textblob_aptagger" else real_find_spec(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(offline_tagger, "_candidate_roots", lambda: [tmp_path / "nltk_data"])
    monkeypatch.setattr(offline_tagger.importlib.util, "find_spec", find_spec)
    parse._parser.cache_clear()
    parse.forget_parsed()
    yield
    parse._parser.cache_clear()
    parse.forget_parsed()


def test_the_parser_refuses_with_the_fix_when_its_model_is_missing(no_tagger: None) -> None:
    with pytest.raises(TaggerMissing, match=r"tagger model is missing: reinstall Kitting"):
        parse.parse_line("250 g butter")


def test_kitting_parse_stops_with_the_fix_and_prints_nothing(
    no_tagger: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from agents.cli.main import main

    monkeypatch.setattr(sys, "argv", ["kitting", "parse"])
    monkeypatch.setattr(sys, "stdin", io.StringIO("250 g butter\n2 eggs\n"))
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""  # no line was given out as a bare name
    assert "tagger model is missing" in err and "pip install" in err
    assert "Traceback" not in err


def test_a_damaged_model_is_refused_with_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    package = tmp_path / "textblob_aptagger"
    package.mkdir()
    (package / offline_tagger.PICKLE).write_bytes(b"not a pickle")
    spec = importlib.util.spec_from_file_location(
        "textblob_aptagger", package / "__init__.py", submodule_search_locations=[str(package)]
    )
    monkeypatch.setattr(offline_tagger.importlib.util, "find_spec", lambda name, *args: spec)
    with pytest.raises(TaggerMissing, match="damaged"):
        offline_tagger._write_model(tmp_path / "nltk_data")
