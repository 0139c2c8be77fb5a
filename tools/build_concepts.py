"""Build the concept taxonomy Kitting ships (schemas/data/concepts.json.gz): run by hand, never at run time.

    .venv/bin/python tools/build_concepts.py [--data ../shared/data]

What a component is, and what a shop sells, are both named by a concept id of one taxonomy:
- foods: the Open Food Facts categories taxonomy (2023-01; ODbL 1.0, "Open Food Facts contributors"),
  every category (ids like `en:cheddar-cheese`, `fr:jalapeno`), with Kitting's own families where
  kitchens group things the taxonomy does not (neutral cooking oils: any oil but olive or a nut's);
- supplies and tools: the Google Product Taxonomy's Hardware subtree (2019-07-10; published by Google,
  used as reference) as `gpt:<id>`, with Kitting's own finer leaves below it (`kitting:<slug>`), since
  a category like "Lubricants" cannot tell silicone grease from a penetrating oil.

Each concept keeps its English name, English synonyms, parents, and what animal products it is or
contains (`meat`, `fish`, `dairy`, `egg`, `honey`) as far as its place in the taxonomy and its name
say, so a vegetarian kit never gets chicken stock.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data"
OUT = REPO / "schemas" / "data" / "concepts.json.gz"

# what a food is made of, by its place in the taxonomy (any ancestor) ...
ANIMAL_ROOTS: dict[str, tuple[str, ...]] = {
    "meat": (
        "en:meats-and-their-products", "en:meats", "en:poultries", "en:meat-based-products",
        "en:prepared-meats", "en:sausages", "en:hams", "en:beef-broth", "en:poultry-broth",
        "en:mutton-broth", "en:liquid-chicken-broths", "en:meals-with-meat", "en:gelatins",
    ),
    "fish": (
        "en:seafood", "en:fishes", "en:fish-and-seafood", "en:meals-with-fish", "en:fish-sauces",
        "en:worcestershire-sauces",
    ),
    "dairy": ("en:dairies", "en:milks", "en:cheeses", "en:butters", "en:creams", "en:yogurts"),
    "egg": ("en:eggs",),
    "honey": ("en:honeys",),
}  # fmt: skip
# ... and by the words of its name (a broth of poultry is meat whatever its parents say)
ANIMAL_WORDS: dict[str, tuple[str, ...]] = {
    "meat": (
        "meat", "meats", "beef", "pork", "veal", "lamb", "mutton", "poultry", "chicken", "turkey", "duck",
        "goose", "ham", "hams", "bacon", "lard", "lards", "suet", "tallow", "dripping", "schmaltz",
        "gelatin", "gelatine", "chorizo", "salami", "sausage", "sausages", "pepperoni", "prosciutto",
        "pancetta", "venison", "rabbit", "boeuf",
    ),
    "fish": (
        "fish", "fishes", "anchovy", "anchovies", "tuna", "tunas", "salmon", "cod", "sardine", "sardines",
        "mackerel", "shrimp", "shrimps", "prawn", "prawns", "crab", "lobster", "oyster", "oysters",
        "mussel", "mussels", "clam", "clams", "squid", "octopus", "seafood", "nuoc", "bonito", "dashi",
    ),
}  # fmt: skip
NOT_ANIMAL = re.compile(
    r"\b(meat[- ]?free|vegetarian|vegan|plant[- ]based|meat alternatives?|veggie)\b", re.I
)

# Kitting's own leaves below Google's hardware categories: (slug, name, synonyms, parent gpt id)
HARDWARE_LEAVES: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    (
        "silicone-grease", "Silicone grease",
        ("silicone lubricant grease", "plumber's grease", "tap grease"),
        "1753",
    ),
    (
        "penetrating-oil", "Penetrating oil",
        ("maintenance spray", "lubricating oil", "lubricant spray"),
        "1753",
    ),
    ("ptfe-tape", "PTFE tape", ("thread seal tape", "ptfe thread seal tape", "plumber's tape"), "2212"),
    (
        "masking-tape", "Masking tape",
        ("painter's tape", "decorator's tape", "decorator masking tape"),
        "2212",
    ),
    ("duct-tape", "Duct tape", ("gaffer tape",), "2212"),
    ("silicone-sealant", "Silicone sealant", ("bathroom sealant", "sanitary silicone"), "503744"),
    ("decorators-caulk", "Decorator's caulk", ("acrylic caulk", "caulk"), "503744"),
    (
        "wood-filler", "Ready-mixed filler",
        ("filler", "wall filler", "wood filler", "polyfilla", "spackle"),
        "503744",
    ),
    ("wood-glue", "Wood glue", ("pva glue", "carpenter's glue"), "503742"),
    ("epoxy-adhesive", "Epoxy adhesive", ("two-part epoxy", "epoxy glue"), "503742"),
    ("tap-washers", "Tap washers", ("tap washer", "faucet washers", "rubber washers"), "2195"),
    ("o-rings", "O-rings", ("o ring", "o-ring assortment", "rubber o-rings"), "6732"),
    ("wood-screws", "Wood screws", ("screws", "wood screw"), "2251"),
    ("wall-plugs", "Wall plugs", ("wall plug", "rawlplugs", "masonry wall plug", "wall anchors"), "1508"),
    ("panel-pins", "Panel pins", ("nails", "pins"), "2408"),
    (
        "emulsion-paint", "Emulsion paint",
        ("wall paint", "matt emulsion paint", "matt emulsion", "vinyl emulsion"),
        "1361",
    ),
    ("gloss-paint", "Gloss paint", ("gloss",), "1361"),
    ("primer-paint", "Primer", ("undercoat", "primer undercoat"), "1361"),
    ("sandpaper", "Sandpaper", ("abrasive paper", "glasspaper", "sanding sheets"), "3240"),
    ("adjustable-spanner", "Adjustable spanner", ("adjustable wrench", "spanner", "wrench"), "1632"),
    ("flat-head-screwdriver", "Flat-head screwdriver", ("slotted screwdriver", "flat screwdriver"), "1203"),
    ("phillips-screwdriver", "Phillips screwdriver", ("cross-head screwdriver",), "1203"),
    ("screwdriver-set", "Screwdriver set", ("screwdrivers",), "1203"),
    (
        "work-towels", "Cotton work towels",
        ("towel", "rag", "rags", "cotton towel", "work towel", "cloth"),
        "8071",
    ),
    ("floating-shelf", "Floating shelf kit", ("floating shelf", "shelf", "shelf kit"), "6372"),
    ("cordless-drill", "Cordless drill", ("drill", "combi drill", "power drill", "drill driver"), "2629"),
    ("masonry-drill-bit", "Masonry drill bit", ("masonry bit", "masonry drill bit set"), "1540"),
    ("wood-drill-bit", "Wood drill bit", ("wood drill bit set", "wood bit"), "1540"),
    ("spirit-level", "Spirit level", ("level", "bubble level"), "4081"),
    ("carpenters-pencil", "Carpenter's pencil", ("pencil", "pencils"), "1305"),
    ("stud-detector", "Stud and cable detector", ("stud finder", "stud detector", "cable detector"), "1207"),
    ("dust-sheet", "Dust sheet", ("drop cloth", "cotton dust sheet", "plastic dust sheet"), "1979"),
    ("paint-roller", "Paint roller", ("roller", "roller and tray set", "paint roller and tray"), "1774"),
    ("paint-brush", "Paint brush", ("brush", "angled brush", "cutting in brush", "paint brush set"), "1300"),
    ("step-ladder", "Step ladder", ("ladder", "stepladder", "aluminium step ladder"), "6928"),
    ("claw-hammer", "Claw hammer", ("hammer",), "2208"),
    ("tape-measure", "Tape measure", ("measuring tape",), "2481"),
    ("utility-knife", "Utility knife", ("stanley knife", "craft knife", "retractable knife"), "2411"),
    ("filling-knife", "Filling knife", ("putty knife", "scraper"), "1202"),
    ("sugar-soap", "Sugar soap", ("sugar soap cleaner",), "7330"),
    ("work-gloves", "Work gloves", ("gloves", "work glove"), "5591"),
)  # fmt: skip
# categories outside Google's Hardware subtree that hardware shops' supplies and tools belong to
EXTRA_GOOGLE_IDS = ("6372", "8071", "5591", "7330")


# Kitting's own food families, with the categories they gather as extra parents of those categories:
# (slug, name, synonyms, parent, children)
FOOD_FAMILIES: tuple[tuple[str, str, tuple[str, ...], str, tuple[str, ...]], ...] = (
    (
        "neutral-cooking-oils", "Neutral cooking oils", ("neutral cooking oil", "cooking oils"),
        "en:vegetable-oils",
        (
            "en:sunflower-oils", "en:rapeseed-oils", "en:canola-oils", "en:soybean-oils", "en:corn-oils",
            "en:mixed-vegetable-oils", "en:combined-oil-blended-vegetable-oils", "en:frying-oil",
            "en:safflower-oils", "en:grape-seed-oils",
        ),
    ),
)  # fmt: skip


def off_concepts(data: Path) -> dict[str, dict[str, Any]]:
    """Every category: English names and synonyms where the taxonomy has them (only those are matched
    against what people write), else a name made from its id."""
    path = data / "taxonomy" / "off" / "categories.full.2023-01.json.gz"
    raw: dict[str, Any] = json.loads(gzip.decompress(path.read_bytes()))
    concepts = {}
    for cid in sorted(raw):
        entry = raw[cid]
        english = entry.get("name", {}).get("en")
        synonyms = (
            [s for s in entry.get("synonyms", {}).get("en", []) if s and s != english] if english else []
        )
        parents = [p for p in entry.get("parents", []) if p in raw]
        concepts[cid] = {"name": english or _fallback_name(cid), "synonyms": synonyms, "parents": parents}
    for slug, name, synonyms, parent, children in FOOD_FAMILIES:
        family = f"kitting:{slug}"
        assert parent in concepts, parent  # families come after their parents
        concepts[family] = {"name": name, "synonyms": list(synonyms), "parents": [parent]}
        for child in children:
            assert child in concepts, child
            concepts[child]["parents"].append(family)
    return concepts


def _fallback_name(cid: str) -> str:
    return cid.split(":", 1)[-1].replace("-", " ").capitalize()


def hardware_concepts(data: Path) -> dict[str, dict[str, Any]]:
    """Google's Hardware subtree, the few other categories hardware shops sell from (with their
    ancestors), and Kitting's leaves below them."""
    path = data / "taxonomy" / "google-product" / "google_product_taxonomy_2019-07-10.tsv"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    id_of = {row["path"]: row["id"] for row in rows}
    wanted_paths = {row["path"] for row in rows if row["path"].split(" > ")[0] == "Hardware"}
    for row in rows:
        if row["id"] in EXTRA_GOOGLE_IDS:
            parts = row["path"].split(" > ")
            wanted_paths |= {" > ".join(parts[: i + 1]) for i in range(len(parts))}
    concepts: dict[str, dict[str, Any]] = {}
    for full in sorted(wanted_paths):
        parts = full.split(" > ")
        parent = id_of.get(" > ".join(parts[:-1]))
        concepts[f"gpt:{id_of[full]}"] = {
            "name": parts[-1],
            "synonyms": [],
            "parents": [f"gpt:{parent}"] if parent else [],
        }
    for slug, name, synonyms, parent in HARDWARE_LEAVES:
        assert f"gpt:{parent}" in concepts, parent
        concepts[f"kitting:{slug}"] = {"name": name, "synonyms": list(synonyms), "parents": [f"gpt:{parent}"]}
    return concepts


def animal_markers(concepts: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """What animal products each food concept is or contains, by its ancestors and its name."""
    roots = {root: kind for kind, ids in ANIMAL_ROOTS.items() for root in ids}
    words = {word: kind for kind, ws in ANIMAL_WORDS.items() for word in ws}
    memo: dict[str, set[str]] = {}

    def markers(cid: str, seen: frozenset[str] = frozenset()) -> set[str]:
        if cid in memo:
            return memo[cid]
        entry = concepts[cid]
        found: set[str] = set()
        if not NOT_ANIMAL.search(entry["name"]):
            if cid in roots:
                found.add(roots[cid])
            found |= {words[w] for w in re.findall(r"[a-z]+", entry["name"].lower()) if w in words}
            for parent in entry["parents"]:
                if parent not in seen:
                    found |= markers(parent, seen | {cid})
        memo[cid] = found
        return found

    return {cid: sorted(markers(cid)) for cid in concepts if is_food(cid, concepts) and markers(cid)}


def is_food(cid: str, concepts: dict[str, dict[str, Any]]) -> bool:
    """Everything but the hardware (Google's categories and Kitting's leaves below them)."""
    return not cid.startswith("gpt:") and not any(p.startswith("gpt:") for p in concepts[cid]["parents"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    args = parser.parse_args()
    if not (args.data / "taxonomy").is_dir():
        print(f"no taxonomies under {args.data}: give --data <the shared data folder>", file=sys.stderr)
        return 2
    concepts = off_concepts(args.data) | hardware_concepts(args.data)
    animal = animal_markers(concepts)
    rows = [
        [cid, entry["name"], entry["synonyms"], entry["parents"], animal.get(cid, [])]
        for cid, entry in sorted(concepts.items())
    ]
    document = {
        "about": "Kitting's concept taxonomy: [id, English name, English synonyms, parents, animal "
        "products it is or contains]. Built by tools/build_concepts.py.",
        "attribution": [
            "Food categories: Open Food Facts categories taxonomy (2023-01), Open Food Facts contributors, "
            "ODbL 1.0 (https://opendatacommons.org/licenses/odbl/1-0/), https://world.openfoodfacts.org",
            "Supplies and tools: Google Product Taxonomy 2019-07-10 (Hardware), used as reference; "
            "kitting:* leaves are Kitting's own",
        ],
        "concepts": rows,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    OUT.write_bytes(gzip.compress(payload, mtime=0))
    foods = sum(1 for r in rows if is_food(r[0], concepts))
    print(f"{OUT.relative_to(REPO)}: {len(rows)} concepts ({foods} foods, {len(animal)} of animal origin), "
          f"{len(payload) // 1024} KiB raw, {OUT.stat().st_size // 1024} KiB compressed")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
