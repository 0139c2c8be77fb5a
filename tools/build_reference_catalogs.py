"""Build the reference shops' product data: run by hand, never at run time.

    .venv/bin/python tools/build_reference_catalogs.py [--products ../shared/data/products]

Reads the Open Food Facts exports (TSV, ODbL 1.0) and writes
`agents/reference/data/grocery_products.json`: a curated subset of products useful for cooking whose
pack size parses, each with an English generic name and keywords, plus a few hand-written staples the
exports lack (coconut milk, curry powder, fresh coriander...). Also writes
`agents/reference/data/hardware_products.json` from the hand-written DIY items below.
Reference prices are per pack, in EUR, before a shop's markup: a price per kg, litre or piece by kind of
product, a little cheaper per unit for bigger packs, and a fixed per-product variation.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from agents.reference.pack_sizes import ParsedPack, parse_pack, plain
from schemas.units import COUNTED, convert, dimension, unit_symbol

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "agents" / "reference" / "data"
DEFAULT_PRODUCTS = REPO.parent / "shared" / "data" / "products"
ATTRIBUTION = "Open Food Facts contributors, ODbL 1.0"
MAX_BYTES = 300_000


@dataclass(frozen=True)
class Rule:
    """Which Open Food Facts products are one kind of cooking product, and what it costs by the unit."""

    generic: str  # English name, head noun last ("red lentils")
    tags: frozenset[str]  # any of these categories
    price: str  # EUR per kg (mass), per l (volume) or per piece
    keywords: tuple[str, ...] = ()
    name: str = ""  # and a product name matching this pattern, when given
    requires: frozenset[str] = frozenset()  # and at least one of these categories, when given
    limit: int = 6


def rule(generic: str, tags: str, price: str, *keywords: str, name: str = "", requires: str = "") -> Rule:
    return Rule(
        generic,
        frozenset(f"en:{tag}" if ":" not in tag else tag for tag in tags.split()),
        price,
        keywords,
        name,
        frozenset(f"en:{tag}" for tag in requires.split()),
    )


# first rule that fits wins: the specific ones come first
# fmt: off
RULES: tuple[Rule, ...] = (
    rule("red lentils", "lentils legume-seeds", "4.2", "lentils", name=r"ross|rouge|corail|red"),
    rule("green lentils", "green-lentils", "3.6", "lentils"),
    rule("lentils", "lentils", "3.4", "lentils", "pulses"),
    rule("cooked lentils, canned", "canned-legumes", "3.0", "lentils, canned", name=r"lenticch|lentil"),
    rule("chickpeas, canned", "canned-chickpeas", "2.4", "cooked chickpeas, canned"),
    rule("chickpeas", "chickpeas", "3.2"),
    rule("rice milk", "rice-milks", "2.2", "rice drink"),
    rule("soy milk", "soy-milks", "2.0", "soya milk", "soy drink"),
    rule("plant milk", "plant-milks milk-substitute", "2.4", "plant drink"),
    rule("brown basmati rice", "basmati-rices", "4.6", "basmati rice", "brown rice", name=r"integr"),
    rule("basmati rice", "basmati-rices", "3.8", "long grain rice", "rice"),
    rule("risotto rice", "rices-for-risotto carnaroli-rices roma-rices ribe-rices japonica-rices", "3.6",
         "arborio rice", "carnaroli rice", "rice"),
    rule("brown rice", "brown-rices", "3.2", "wholegrain rice", "rice"),
    rule("black rice", "black-rices", "6.5", "rice"),
    rule("parboiled rice", "parboiled-rices", "2.6", "long grain rice", "rice"),
    rule("long grain rice", "long-grain-rices", "2.6", "rice"),
    rule("rice", "rices", "2.8", "white rice"),
    rule("durum wheat semolina", "durum-wheat-flours", "1.9", "semolina", "durum wheat flour"),
    rule("wheat flour", "common-wheat-flours wheat-flours", "1.3", "plain flour", "all purpose flour"),
    rule("cornmeal", "cornmeal", "2.1", "polenta", "corn flour"),
    rule("flour", "flours", "1.6"),
    rule("cane sugar", "sugars", "2.4", "raw cane sugar", "brown sugar", name=r"grezz|canna|cane|roux|brun"),
    rule("sugar", "sugars", "1.2", "white sugar", "granulated sugar"),
    rule("eggs", "eggs chicken-eggs", "0.38", "chicken eggs", "free range eggs"),
    rule("goat milk", "goat-milks", "2.9"),
    rule("whole milk", "whole-milks", "1.25", "full fat milk", "milk"),
    rule("semi-skimmed milk", "semi-skimmed-milks semi-skimmed-milk-uht", "1.15", "milk"),
    rule("skimmed milk", "skimmed-milks", "1.05", "milk"),
    rule("milk", "milks cow-milks", "1.2", "cow milk"),
    rule("salted butter", "half-salted-butter salted-butters", "10.5", "butter"),
    rule("unsalted butter", "unsalted-butters sweet-cream-butters", "10.5", "butter"),
    rule("butter", "butters", "9.8", "unsalted butter", requires="milkfat animal-fats dairy-spread"),
    rule("extra virgin olive oil", "extra-virgin-olive-oils", "9.5", "olive oil"),
    rule("olive oil", "olive-oils", "7.5"),
    rule("sunflower oil", "sunflower-oils", "2.6", "vegetable oil"),
    rule("grapeseed oil", "grape-seed-oils", "6.0", "vegetable oil"),
    rule("spaghetti", "spaghetti durum-wheat-spaghetti", "2.2", "pasta"),
    rule("penne", "penne penne-rigate durum-wheat-penne", "2.2", "pasta"),
    rule("fusilli", "fusilli", "2.2", "pasta"),
    rule("linguine", "linguine", "2.4", "pasta"),
    rule("egg pasta", "egg-pastas", "4.5", "fresh egg pasta", "pasta"),
    rule("wholewheat pasta", "whole-durum-wheat-pasta", "2.6", "wholemeal pasta", "pasta"),
    rule("pasta", "dry-pastas durum-wheat-pasta", "2.0", "dried pasta"),
    rule("chopped tomatoes, canned", "tomato-pulps", "2.1", "tomato pulp", "tomatoes, canned"),
    rule("peeled plum tomatoes, canned", "peeled-tomatoes", "1.9", "tomatoes, canned"),
    rule("cherry tomatoes, canned", "cherry-tomatoes", "3.2", "tomatoes, canned",
         requires="canned-tomatoes"),
    rule("tomato passata", "strained-tomatoes", "1.9", "passata", "sieved tomatoes"),
    rule("tomato paste", "tomato-pastes", "6.5", "tomato concentrate"),
    rule("tomato puree", "tomato-purees", "2.4"),
    rule("sun-dried tomatoes", "dried-tomatoes", "16.0", "dried tomatoes"),
    rule("tomatoes", "fresh-tomatoes", "3.2", "fresh tomatoes"),
    rule("tomatoes, canned", "canned-tomatoes", "2.0"),
    rule("tomato sauce", "tomato-sauces", "4.0", "pasta sauce"),
    rule("red onions", "red-onions", "2.6", "onions"),
    rule("red onions", "onions", "2.6", "onions", name=r"ross|rouge|red"),
    rule("onions", "onions", "2.0"),
    rule("garlic", "garlic", "9.0", "garlic bulbs"),
    rule("black pepper", "black-peppers", "45.0", "peppercorns", "pepper"),
    rule("dried chillies", "chili-peppers", "35.0", "dried chili peppers", requires="spices"),
    rule("dried oregano", "oregano", "60.0", "oregano"),
    rule("dried sage", "spices", "60.0", "sage", name=r"salvia|sauge|sage"),
    rule("sea salt", "sea-salts salts", "1.1", "salt", "coarse salt"),
    rule("vegetable stock, cubes", "it:dadi-per-brodo-vegetale", "28.0", "vegetable stock cubes"),
    rule("stock, cubes", "it:dadi-per-brodo", "24.0", "stock cubes", "bouillon cubes"),
    rule("creme fraiche", "sour-creams", "7.0", "sour cream", name=r"fra[iî]che"),
    rule("whipping cream", "fr:cremes-entieres fr:cremes-fraiches-liquides it:panna-fresca", "6.5", "cream"),
    rule("cooking cream", "uht-creams liquid-cream", "5.2", "cream"),
    rule("cream", "creams", "5.5"),
    rule("parmesan", "parmigiano-reggiano grana-padano", "22.0", "parmesan cheese", "hard cheese"),
    rule("grated cheese", "grated-cheese", "16.0"),
    rule("mozzarella", "mozzarella buffalo-mozzarella cow-mozzarella", "10.0", "mozzarella cheese"),
    rule("ricotta", "ricotta", "7.5", "ricotta cheese"),
    rule("emmental", "emmentaler emmental-cheese", "12.0", "emmental cheese"),
    rule("cream cheese", "cream-cheeses", "9.0", "soft cheese"),
    rule("plain yogurt", "plain-yogurts it:yogurt-naturale", "3.2", "natural yogurt", "yogurt"),
    rule("honey", "honeys", "13.0"),
    rule("balsamic vinegar", "balsamic-vinegars", "9.0", "vinegar"),
    rule("wine vinegar", "wine-vinegars white-wine-vinegars", "3.0", "vinegar"),
    rule("dark chocolate", "dark-chocolates", "11.0", "cooking chocolate", "chocolate"),
)
# fmt: on
# categories that make a product something else than a cooking product of its kind
EXCLUDED_TAGS = frozenset(
    f"en:{tag}" if ":" not in tag else tag
    for tag in (
        "snacks salty-snacks sweet-snacks biscuits breads meals pasta-dishes desserts dairy-desserts "
        "pickles vegetable-pickles plant-based-pickles pickled-onions chocolate-spreads "
        "fr:laits-fermentes yogurts-with-fruits fruit-yogurts ice-creams waters beverages-to-prepare "
        "puffed-rice-cakes rice-dishes pizzas soups sandwiches crackers cakes it:schiuma-da-barba "
        "frozen-foods salads meat-based-products easter-eggs flavoured-milks chocolate-milks coffee-milks"
    ).split()
)
BROAD_TAG = re.compile(r"plant-based|foods-and|and-their|based-foods|beverages$|groceries|^en:food$|labeled")
MASS_OR_VOLUME = ("mass", "volume")
SOLD_BY_WEIGHT = frozenset({"onions", "red onions", "garlic", "tomatoes", "lentils", "red lentils", "rice"})
# names of ready meals and mixes that their categories file with the plain product
EXCLUDED_NAMES = re.compile(r"\brisotto\b.*\b(funghi|porcini|tartufo|zafferano|asparagi)|\bpronto\b")


@dataclass(frozen=True)
class Staple:
    """A hand-written cooking product the exports lack, in one or more pack sizes."""

    key: str
    name: str
    generic: str
    keywords: tuple[str, ...]
    packs: tuple[str, ...]  # quantity strings, as on a label
    price: str  # EUR per kg or l, or per piece (clove, bunch) when all packs are counted
    each: str = ""  # EUR per piece for the packs counted in pieces, when others are by weight


def staple(
    key: str, name: str, generic: str, packs: str, price: str, *keywords: str, each: str = ""
) -> Staple:
    return Staple(key, name, generic, keywords, tuple(pack.strip() for pack in packs.split("|")), price, each)


# fmt: off
STAPLES: tuple[Staple, ...] = (
    staple("coconut-milk", "Coconut milk", "coconut milk", "400 ml | 200 ml | 4 x 400 ml", "4.2",
           "coconut milk, canned"),
    staple("coconut-cream", "Coconut cream", "coconut cream", "200 ml", "6.0"),
    staple("curry-powder", "Mild curry powder", "curry powder", "40 g | 100 g", "38.0", "mild curry powder"),
    staple("garam-masala", "Garam masala", "garam masala", "40 g", "45.0"),
    staple("ground-cumin", "Ground cumin", "ground cumin", "40 g", "36.0", "cumin"),
    staple("ground-turmeric", "Ground turmeric", "ground turmeric", "40 g", "32.0", "turmeric"),
    staple("fresh-coriander", "Fresh coriander", "fresh coriander", "1 bunch", "0.99", "coriander",
           "cilantro"),
    staple("ground-coriander", "Ground coriander", "ground coriander", "35 g", "34.0"),
    staple("fresh-parsley", "Flat-leaf parsley", "fresh parsley", "1 bunch", "0.99", "parsley"),
    staple("sunflower-oil", "Sunflower oil", "sunflower oil", "500 ml | 1 l | 2 l", "2.7", "vegetable oil"),
    staple("olive-oil", "Olive oil", "olive oil", "500 ml | 1 l", "7.8", "pure olive oil"),
    staple("caster-sugar", "Caster sugar", "caster sugar", "500 g | 1 kg", "1.9", "superfine sugar", "sugar"),
    staple("granulated-sugar", "Granulated white sugar", "sugar", "1 kg | 2 kg", "1.15", "white sugar"),
    staple("icing-sugar", "Icing sugar", "icing sugar", "500 g", "2.2", "powdered sugar"),
    staple("plain-flour", "Plain wheat flour", "plain flour", "1 kg | 1.5 kg | 500 g", "1.1",
           "all purpose flour", "wheat flour"),
    staple("self-raising-flour", "Self-raising flour", "self raising flour", "1 kg", "1.3"),
    staple("table-salt", "Fine table salt", "table salt", "750 g | 1 kg", "0.9", "fine salt", "salt"),
    staple("ground-pepper", "Ground black pepper", "ground black pepper", "50 g | 100 g", "42.0",
           "black pepper", "pepper"),
    staple("brown-onions", "Brown onions", "onions", "1 piece | 3 pieces | 1 kg", "1.9", "brown onions",
           each="0.35"),
    staple("red-onions", "Red onions", "red onions", "1 piece | 3 pieces | 500 g", "2.6",
           "onions", each="0.45"),
    staple("garlic-bulb", "Garlic bulb", "garlic", "10 cloves", "0.07", "garlic bulb"),
    staple("garlic-net", "Garlic, net of 3 bulbs", "garlic", "30 cloves", "0.06"),
    staple("vine-tomatoes", "Vine tomatoes", "tomatoes", "500 g | 1 kg", "3.4", "vine tomatoes"),
    staple("salad-tomatoes", "Salad tomatoes, loose", "tomatoes", "6 pieces", "0.45", "salad tomatoes"),
    staple("vegetable-stock", "Vegetable stock, ready to use", "vegetable stock", "500 ml | 1 l", "3.0",
           "vegetable broth", "stock"),
    staple("veg-stock-cubes", "Vegetable stock cubes", "vegetable stock, cubes", "8 x 10 g", "27.0",
           "vegetable stock cubes"),
    staple("chicken-stock", "Chicken stock, ready to use", "chicken stock", "500 ml", "3.6", "chicken broth"),
    staple("single-cream", "Single cream", "single cream", "150 ml | 300 ml", "5.0", "pouring cream",
           "cream"),
    staple("double-cream", "Double cream", "double cream", "300 ml", "6.6", "heavy cream", "cream"),
    staple("whole-milk", "Fresh whole milk", "whole milk", "1 l | 2 l", "1.2", "milk"),
    staple("semi-milk", "Semi-skimmed milk", "semi-skimmed milk", "1 l", "1.1", "milk"),
    staple("unsalted-butter", "Unsalted butter", "unsalted butter", "250 g | 500 g", "10.0", "butter"),
    staple("salted-butter", "Salted butter", "salted butter", "250 g", "10.0", "butter"),
    staple("free-range-eggs", "Free-range eggs", "eggs", "6 eggs | 12 eggs | 10 eggs", "0.36",
           "free range eggs", "chicken eggs"),
    staple("basmati-rice", "Basmati rice", "basmati rice", "500 g | 1 kg | 2 kg", "3.6", "rice"),
    staple("long-grain-rice", "Long-grain white rice", "long grain rice", "1 kg", "2.2", "rice"),
    staple("red-lentils", "Split red lentils", "red lentils", "500 g | 1 kg", "3.2", "lentils"),
    staple("chopped-tomatoes", "Chopped tomatoes, canned", "chopped tomatoes, canned", "400 g | 4 x 400 g",
           "2.0", "tomatoes, canned"),
    staple("baking-powder", "Baking powder", "baking powder", "4 x 16 g | 100 g", "12.0"),
    staple("lemons", "Lemons", "lemons", "1 piece | 4 pieces", "0.40", "lemon"),
    staple("fresh-ginger", "Fresh ginger root", "fresh ginger", "150 g", "8.0", "ginger"),
)
# fmt: on

# hand-written DIY items: (code, name, pack, EUR per pack, keywords...); every phrase has its head noun last
# fmt: off
HARDWARE: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("TAPW-12-10", "Tap washers, 1/2 inch, pack of 10", "10 pieces", "2.49",
     ("tap washer, 1/2 inch", "rubber tap washer, 1/2 inch")),
    ("TAPW-34-10", "Tap washers, 3/4 inch, pack of 10", "10 pieces", "2.79", ("tap washer, 3/4 inch",)),
    ("TAPW-ASST", "Tap washer assortment, 1/2 and 3/4 inch, 30 pieces", "30 pieces", "4.99",
     ("tap washer, 1/2 inch", "tap washer, 3/4 inch", "tap washer assortment")),
    ("ORING-225", "O-ring assortment, 225 pieces", "1 piece", "6.99",
     ("o-ring assortment", "rubber o ring assortment")),
    ("ORING-SMALL", "O-ring assortment, small, 50 pieces", "1 piece", "3.49", ("o-ring assortment",)),
    ("PTFE-12M", "PTFE thread seal tape, 12 mm x 12 m", "12 m", "1.29",
     ("ptfe thread seal tape", "ptfe tape")),
    ("PTFE-5x12M", "PTFE thread seal tape, 12 mm x 12 m, 5 rolls", "60 m", "4.99",
     ("ptfe thread seal tape", "ptfe tape")),
    ("SIL-GREASE-10", "Silicone grease, 10 g tube", "10 g", "3.99", ("silicone grease", "tap grease")),
    ("SIL-GREASE-50", "Silicone grease, 50 g tub", "50 g", "8.49", ("silicone grease",)),
    ("SPANNER-200", "Adjustable spanner, 200 mm", "1 piece", "9.99",
     ("adjustable spanner", "adjustable wrench")),
    ("SPANNER-250", "Adjustable spanner, 250 mm", "1 piece", "13.49", ("adjustable spanner",)),
    ("SD-FLAT-6", "Flat-head screwdriver, 6 mm", "1 piece", "4.49",
     ("flat-head screwdriver", "slotted screwdriver")),
    ("SD-SET-6", "Screwdriver set, flat-head and Phillips, 6 pieces", "1 piece", "12.99",
     ("screwdriver set", "flat-head screwdriver", "phillips screwdriver")),
    ("TOWEL-3", "Cotton work towels, pack of 3", "3 pieces", "5.99", ("cotton towel", "work towel", "rag")),
    ("SHELF-80", "Floating shelf kit, 80 cm, oak effect", "1 piece", "24.99",
     ("floating shelf kit, 80 cm", "floating shelf")),
    ("SHELF-60", "Floating shelf kit, 60 cm, white", "1 piece", "19.99",
     ("floating shelf kit, 60 cm", "floating shelf")),
    ("PLUG-8-10", "Wall plugs, 8 mm, pack of 10", "10 pieces", "1.99",
     ("wall plug, 8 mm", "masonry wall plug")),
    ("PLUG-8-50", "Wall plugs, 8 mm, pack of 50", "50 pieces", "5.99",
     ("wall plug, 8 mm", "masonry wall plug")),
    ("PLUG-6-50", "Wall plugs, 6 mm, pack of 50", "50 pieces", "4.99", ("wall plug, 6 mm",)),
    ("SCREW-5x60-20", "Wood screws, 5 x 60 mm, pack of 20", "20 pieces", "3.49", ("wood screw, 5 x 60 mm",)),
    ("SCREW-5x60-100", "Wood screws, 5 x 60 mm, pack of 100", "100 pieces", "11.99",
     ("wood screw, 5 x 60 mm",)),
    ("SCREW-4x40-100", "Wood screws, 4 x 40 mm, pack of 100", "100 pieces", "7.99",
     ("wood screw, 4 x 40 mm",)),
    ("FILLER-TUBE", "Ready-mixed filler, 330 g tube", "1 tube", "5.49",
     ("ready mixed filler", "wall filler")),
    ("FILLER-TUB", "Ready-mixed filler, 600 g tub", "600 g", "7.99", ("ready mixed filler", "wall filler")),
    ("DRILL-18V", "Cordless combi drill, 18 V, with masonry bit set", "1 piece", "79.99",
     ("cordless drill with masonry bit, 8 mm", "combi drill")),
    ("BIT-MAS-8", "Masonry drill bit, 8 mm", "1 piece", "3.99",
     ("masonry drill bit, 8 mm", "masonry bit, 8 mm")),
    ("BIT-MAS-SET", "Masonry drill bit set, 4 to 10 mm, 5 pieces", "5 pieces", "9.99",
     ("masonry drill bit set", "masonry drill bit, 8 mm", "masonry bit, 8 mm")),
    ("BIT-WOOD-SET", "Wood drill bit set, 3 to 10 mm, 8 pieces", "8 pieces", "11.99",
     ("wood drill bit set",)),
    ("LEVEL-600", "Spirit level, 600 mm", "1 piece", "12.99", ("spirit level",)),
    ("LEVEL-1200", "Spirit level, 1200 mm", "1 piece", "21.99", ("spirit level",)),
    ("PENCIL-3", "Carpenter's pencils, pack of 3", "3 pieces", "2.49", ("carpenter pencil", "pencil")),
    ("DETECT", "Stud and cable detector", "1 piece", "24.99", ("stud and cable detector", "stud detector")),
    ("PAINT-MW-25", "Matt emulsion paint, brilliant white, 2.5 l", "2.5 l", "17.99",
     ("matt emulsion paint, white", "emulsion paint, white", "wall paint, white")),
    ("PAINT-MW-5", "Matt emulsion paint, brilliant white, 5 l", "5 l", "29.99",
     ("matt emulsion paint, white", "emulsion paint, white", "wall paint, white")),
    ("PAINT-MW-10", "Matt emulsion paint, brilliant white, 10 l", "10 l", "49.99",
     ("matt emulsion paint, white", "emulsion paint, white", "wall paint, white")),
    ("PAINT-MM-25", "Matt emulsion paint, magnolia, 2.5 l", "2.5 l", "17.99",
     ("matt emulsion paint, magnolia",)),
    ("PAINT-GLOSS", "Gloss paint, white, 750 ml", "750 ml", "14.99", ("gloss paint, white",)),
    ("MASK-25", "Masking tape, 25 mm x 50 m", "1 roll", "2.99",
     ("masking tape, 25 mm", "decorator masking tape")),
    ("MASK-25-3", "Masking tape, 25 mm x 50 m, 3 rolls", "3 rolls", "7.49", ("masking tape, 25 mm",)),
    ("MASK-50", "Masking tape, 50 mm x 50 m", "1 roll", "4.49", ("masking tape, 50 mm",)),
    ("CAULK-380", "Decorator's caulk, white, 380 ml tube", "1 tube", "3.49",
     ("decorator's caulk", "acrylic caulk")),
    ("SEALANT", "Bathroom silicone sealant, white, 300 ml", "1 tube", "6.99", ("silicone sealant",)),
    ("DUST-COTTON", "Dust sheet, cotton twill, 3.6 x 2.7 m", "1 piece", "9.99", ("cotton dust sheet",)),
    ("DUST-POLY-3", "Dust sheets, polythene, 3.6 x 2.7 m, pack of 3", "3 pieces", "4.99",
     ("plastic dust sheet", "polythene dust sheet")),
    ("SAND-120-5", "Sandpaper, 120 grit, 5 sheets", "5 sheets", "2.99",
     ("sandpaper, 120 grit", "abrasive paper")),
    ("SAND-120-10", "Sandpaper, 120 grit, 10 sheets", "10 sheets", "4.99", ("sandpaper, 120 grit",)),
    ("SAND-80-5", "Sandpaper, 80 grit, 5 sheets", "5 sheets", "2.99", ("sandpaper, 80 grit",)),
    ("ROLLER-9-TRAY", "Paint roller and tray set, 9 inch", "1 piece", "8.99",
     ("paint roller, 9 inch, with tray", "roller and tray set")),
    ("ROLLER-9", "Paint roller, 9 inch, medium pile", "1 piece", "5.49", ("paint roller, 9 inch",)),
    ("BRUSH-ANG-50", "Angled paint brush, 50 mm", "1 piece", "4.99",
     ("angled paint brush, 50 mm", "cutting in brush")),
    ("BRUSH-SET-5", "Paint brush set, 5 pieces", "5 pieces", "9.99", ("paint brush set", "paint brush")),
    ("LADDER-3", "Step ladder, 3 treads, aluminium", "1 piece", "39.99",
     ("step ladder", "aluminium step ladder")),
    ("LADDER-5", "Step ladder, 5 treads, aluminium", "1 piece", "59.99", ("step ladder",)),
    ("HAMMER", "Claw hammer, 16 oz", "1 piece", "11.99", ("claw hammer", "hammer")),
    ("TAPE-MEASURE", "Tape measure, 5 m", "1 piece", "6.99", ("tape measure", "measuring tape")),
    ("KNIFE", "Retractable utility knife", "1 piece", "5.99", ("utility knife", "stanley knife")),
    ("FILL-KNIFE", "Filling knife, 50 mm", "1 piece", "4.49", ("filling knife", "putty knife")),
    ("SUGAR-SOAP", "Sugar soap, 500 ml", "500 ml", "4.99", ("sugar soap",)),
    ("GLOVES", "Work gloves, one pair", "1 piece", "3.99", ("work glove",)),
    ("SPRAY-LUBE", "Multi-purpose lubricant spray, 400 ml", "400 ml", "7.49",
     ("lubricant spray", "penetrating oil")),
)
# fmt: on
# items the demo pages need: both hardware shops carry them
# fmt: off
HARDWARE_CORE = frozenset(
    {
        "TAPW-12-10", "ORING-225", "PTFE-12M", "SIL-GREASE-10", "SPANNER-200", "SD-FLAT-6", "TOWEL-3",
        "SHELF-80", "PLUG-8-10", "PLUG-8-50", "SCREW-5x60-20", "SCREW-5x60-100", "FILLER-TUBE",
        "DRILL-18V", "BIT-MAS-8", "LEVEL-600", "PENCIL-3", "DETECT", "PAINT-MW-25", "PAINT-MW-5",
        "PAINT-MW-10", "MASK-25", "CAULK-380", "DUST-COTTON", "DUST-POLY-3", "SAND-120-5", "SAND-120-10",
        "ROLLER-9-TRAY", "BRUSH-ANG-50", "LADDER-3",
    }
)
# fmt: on


def fraction(*parts: str) -> Decimal:
    """A fixed number in [0, 1) from the parts: the same every run."""
    digest = hashlib.sha256(":".join(parts).encode()).hexdigest()
    return Decimal(int(digest[:8], 16)) / Decimal(2**32)


def cents(amount: Decimal) -> Decimal:
    return max(Decimal("0.19"), amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def read_pack(text: str) -> ParsedPack:
    """A hand-written pack: a label parse_pack reads, or "N unit" in a counted unit or a length."""
    pack = parse_pack(text)
    if pack is not None:
        return pack
    number, _, written = text.strip().partition(" ")
    unit = unit_symbol(written)
    if unit in COUNTED:
        return ParsedPack(Decimal(number), unit, int(Decimal(number)), Decimal(1))
    if unit in ("m", "cm", "mm"):
        return ParsedPack(Decimal(number), unit)
    raise ValueError(f"cannot read pack {text!r}")


def pack_json(text: str, pack: ParsedPack) -> dict[str, Any]:
    return {
        "text": text.strip(),
        "quantity": str(plain(pack.quantity)),
        "unit": pack.unit,
        "count": pack.count,
        "item_quantity": None if pack.item_quantity is None else str(plain(pack.item_quantity)),
    }


def reference_price(pack: ParsedPack, per_unit: str, generic: str, key: str, spread: str = "0.4") -> Decimal:
    """EUR for the pack: by kg, l or piece, a little cheaper per unit in bigger packs, varied per product."""
    kind = dimension(pack.unit)
    if kind == "mass":
        amount = convert(pack.quantity, pack.unit, "kg", generic)
    elif kind == "volume":
        amount = convert(pack.quantity, pack.unit, "l", generic)
    else:
        amount = pack.quantity
    size_factor = Decimal(1)
    if kind in MASS_OR_VOLUME:
        size_factor = Decimal(str(round(min(1.4, max(0.75, float(amount) ** -0.1)), 4)))
    variation = 1 - Decimal(spread) / 2 + Decimal(spread) * fraction("price", key)
    return cents(Decimal(per_unit) * amount * size_factor * variation)


def plausible(pack: ParsedPack, generic: str) -> bool:
    """Whether a pack size is believable for a kitchen product (labels do say "0,75 cl" for a bottle)."""
    kind = dimension(pack.unit)
    if generic == "eggs":
        return pack.unit == "piece" and 2 <= pack.quantity <= 30
    if generic in SOLD_BY_WEIGHT and kind != "mass":
        return False
    if kind == "mass":
        grams = convert(pack.quantity, pack.unit, "g")
    elif kind == "volume":
        grams = convert(pack.quantity, pack.unit, "ml")
    else:
        return False
    return Decimal(5) <= grams <= Decimal(10_000)


def rule_for(name: str, tags: frozenset[str]) -> Rule | None:
    if tags & EXCLUDED_TAGS:
        return None
    lowered = name.lower()
    for candidate in RULES:
        if not candidate.tags & tags:
            continue
        if candidate.name and not re.search(candidate.name, lowered):
            continue
        if candidate.requires and not candidate.requires & tags:
            continue
        return candidate
    return None


def product_code(row: dict[str, str]) -> str:
    """The barcode; a fixed stand-in when a spreadsheet turned it into a number like 8,00E+12."""
    code = row["code"].strip()
    if code.isdigit():
        return code
    digest = hashlib.sha256(f"{row['product_name']}|{row['quantity']}|{row['brands']}".encode()).hexdigest()
    return f"off-{digest[:12]}"


def read_rows(folder: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in sorted(folder.glob("*.tsv")):
        # the exports are UTF-8; a broken byte becomes U+FFFD, which pack_sizes reads as a multiplication sign
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            rows.extend(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return rows


def english_categories(tags: frozenset[str]) -> list[str]:
    return sorted(tag for tag in tags if tag.startswith("en:") and not BROAD_TAG.search(tag))[-8:]


def grocery_from_off(rows: list[dict[str, str]]) -> tuple[list[dict[str, Any]], Counter[str]]:
    chosen: list[dict[str, Any]] = []
    per_generic: Counter[str] = Counter()
    seen: set[str] = set()
    for row in sorted(rows, key=product_code):
        name = " ".join(row.get("product_name", "").split())
        tags = frozenset(tag for tag in row.get("categories_tags", "").split(",") if tag)
        code = product_code(row)
        if not name or code in seen:
            continue
        found = None if EXCLUDED_NAMES.search(name.lower()) else rule_for(name, tags)
        pack = parse_pack(row.get("quantity", ""))
        if found is None or pack is None or not plausible(pack, found.generic):
            continue
        if per_generic[found.generic] >= found.limit:
            continue
        seen.add(code)
        per_generic[found.generic] += 1
        brand = row.get("brands", "").split(",")[0].strip() or None
        chosen.append(
            {
                "code": code,
                "name": name,
                "brand": brand,
                "generic": found.generic,
                "keywords": [found.generic, *found.keywords],
                "categories": english_categories(tags),
                "pack": pack_json(row["quantity"], pack),
                "reference_price": str(reference_price(pack, found.price, found.generic, code)),
                "source": "off",
                "core": False,
            }
        )
    return chosen, per_generic


def grocery_staples() -> list[dict[str, Any]]:
    products: list[dict[str, Any]] = []
    for item in STAPLES:
        for text in item.packs:
            pack = read_pack(text)
            price = item.each if item.each and pack.unit == "piece" else item.price
            code = f"kit-{item.key}-{str(plain(pack.quantity)).replace('.', '_')}{pack.unit.replace(' ', '')}"
            products.append(
                {
                    "code": code,
                    "name": f"{item.name}, {text}",
                    "brand": None,
                    "generic": item.generic,
                    "keywords": [item.generic, *item.keywords],
                    "categories": [],
                    "pack": pack_json(text, pack),
                    "reference_price": str(reference_price(pack, price, item.generic, code, "0.16")),
                    "source": "kitting",
                    "core": True,
                }
            )
    return products


def hardware_products() -> list[dict[str, Any]]:
    products: list[dict[str, Any]] = []
    for code, name, text, price, keywords in HARDWARE:
        pack = read_pack(text)
        products.append(
            {
                "code": f"hw-{code.lower()}",
                "name": name,
                "brand": None,
                "keywords": list(keywords),
                "pack": pack_json(text, pack),
                "reference_price": price,
                "core": code in HARDWARE_CORE,
            }
        )
    return products


def write(path: Path, document: dict[str, Any]) -> int:
    text = json.dumps(document, ensure_ascii=False, indent=1) + "\n"
    size = len(text.encode())
    if size >= MAX_BYTES:
        raise SystemExit(f"{path.name} would be {size} bytes, over {MAX_BYTES}")
    path.write_text(text, encoding="utf-8")
    return size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--products", type=Path, default=DEFAULT_PRODUCTS, help="folder of OFF *.tsv exports")
    args = parser.parse_args(argv)
    rows = read_rows(args.products)
    if not rows:
        print(f"no TSV rows under {args.products}", file=sys.stderr)
        return 1
    off_products, per_generic = grocery_from_off(rows)
    grocery = {
        "attribution": ATTRIBUTION,
        "source": "Open Food Facts exports (https://world.openfoodfacts.org): "
        + ", ".join(sorted(path.name for path in args.products.glob("*.tsv"))),
        "license": "https://opendatacommons.org/licenses/odbl/1-0/",
        "note": 'products with "source": "kitting" are hand-written staples, not Open Food Facts data',
        "products": off_products + grocery_staples(),
    }
    hardware = {
        "attribution": "hand-written reference items for Kitting",
        "products": hardware_products(),
    }
    size = write(DATA / "grocery_products.json", grocery)
    staples = len(grocery["products"]) - len(off_products)
    print(f"grocery_products.json: {len(off_products)} OFF products + {staples} staples, {size} bytes")
    for generic, count in sorted(per_generic.items()):
        print(f"  {generic}: {count}")
    size = write(DATA / "hardware_products.json", hardware)
    print(f"hardware_products.json: {len(hardware['products'])} items, {size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
