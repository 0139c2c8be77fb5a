"""Build the reference shops' product data: run by hand, never at run time.

    .venv/bin/python tools/build_reference_catalogs.py [--data ../shared/data]

Writes `agents/reference/data/grocery_products.json.gz` and `hardware_products.json`. Every product
names its concept (schemas/concepts.py), so a shop offers it as exactly what was asked only when it is.

Groceries, several thousand real products:
- the Open Food Facts exports (`products/*.tsv`, ODbL 1.0, "Open Food Facts contributors"): the
  product's most specific category is its concept; it is shown by that category's English name and
  its brand (the exports' own names are French and Italian); pack sizes from the labels;
- Datakick (`catalogs/datakick`, CC0): US products with English names and pack sizes; the concept is
  read from the name, and kept only when the whole name is a known concept;
- Open Food Facts product names (`catalogs/off-names`, ODbL): English names with coarse categories; the
  concept is read from the name and must sit in the category the data gives; they carry no pack size,
  so the category's typical pack is used and marked `pack_derived`;
- hand-written staples the data lacks (fresh produce, herbs, basics), marked `"source": "kitting"`;
- the everyday range: every kind recipes ask for at least twice in the labelled ingredient sentences
  (`ingredients/*.jsonl`) that no product above fits exactly gets one, in its family's typical packs
  (`"source": "kitting-everyday"`, `pack_derived`).
Fresh produce and herbs come only from categorised or hand-written data: a name alone ("Basil leaves,
0.62 oz") cannot tell fresh from dried.

Prices are reference prices per kg, litre or piece before a shop's markup: the Open Prices median of the
product's nearest priced category (`catalogs/open-prices-fr`, ODbL; France, EUR), else a level typical
of its family (marked `price_derived`).

Hardware: the hand-written supplies and tools below, each with its concept, in several sizes and brands.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import re
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from agents.concepts.normalise import DESCRIPTIVE, concept_of, fresh_kind, is_food
from schemas.fitting import MARKETING_WORDS
from agents.concepts.portions import portion_of
from agents.concepts.words import words_of
from agents.reference.pack_sizes import ParsedPack, parse_pack, plain
from schemas.concepts import HUBS, Taxonomy, singular, taxonomy
from schemas.events import ComponentKind
from schemas.units import COUNTED, convert, dimension, unit_symbol

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "agents" / "reference" / "data"
DEFAULT_DATA = REPO.parent / "shared" / "data"
PER_CONCEPT = 40  # products of one concept at most (different pack sizes and brands first)
PRODUCE_ROOTS = (
    "en:fruits-and-vegetables-based-foods", "en:aromatic-herbs", "en:culinary-plants", "en:potatoes",
    "en:ginger", "en:chili-peppers", "en:fresh-foods",
)  # fmt: skip
# EUR per kg (or l) by family, when no Open Prices category is above a product (nearest family first)
FAMILY_PRICES: tuple[tuple[str, str], ...] = (
    ("en:spices", "38"), ("en:aromatic-herbs", "30"), ("en:salts", "1.1"), ("en:sugars", "1.6"),
    ("en:flours", "1.4"), ("en:olive-oils", "9.5"), ("en:vegetable-oils", "4.5"), ("en:vinegars", "4"),
    ("en:rices", "2.8"), ("en:pastas", "2.6"), ("en:legumes", "3.4"), ("en:nuts", "18"), ("en:seeds", "9"),
    ("en:cereal-grains", "3"), ("en:cocoa-and-its-products", "12"), ("en:eggs", "6"), ("en:butters", "10"),
    ("en:creams", "6"), ("en:cheeses", "14"), ("en:dairies", "5"), ("en:poultries", "11"), ("en:meats", "15"),
    ("en:seafood", "20"), ("en:fruits", "3.5"), ("en:vegetables-based-foods", "3"), ("en:sauces", "8"),
    ("en:condiments", "10"), ("en:sweeteners", "6"), ("en:broths", "6"), ("en:beverages", "2.5"),
    ("en:food-additives", "15"),
)  # fmt: skip
DEFAULT_PRICE = "7"
# a product sold under a family's name is the family's mixed kind ("Vegetable oil": a blend of oils)
PRODUCT_KIND = {"kitting:neutral-cooking-oils": "en:mixed-vegetable-oils"}
WITH_MORE = re.compile(r"\b(?:with|in\s+(?:water|oil|brine|sauce|syrup|juice|tomato))\b", re.IGNORECASE)
MARKETING = MARKETING_WORDS | {"glutenfree", "100"}


@dataclass(frozen=True)
class Staple:
    """A hand-written product the data lacks, in one or more pack sizes."""

    key: str
    name: str
    concept: str
    packs: tuple[str, ...]  # quantity strings, as on a label


def staple(key: str, name: str, concept: str, packs: str) -> Staple:
    return Staple(key, name, concept, tuple(pack.strip() for pack in packs.split("|")))


# fmt: off
STAPLES: tuple[Staple, ...] = (
    staple("garlic-bulb", "Garlic bulb", "en:fresh-garlic", "1 piece | 3 pieces | 250 g"),
    staple("brown-onions", "Brown onions", "en:fresh-onions", "1 piece | 3 pieces | 1 kg"),
    staple("red-onions", "Red onions", "en:fresh-red-onions", "1 piece | 3 pieces | 500 g"),
    staple("white-onions", "White onions", "en:fresh-white-onions", "1 piece | 1 kg"),
    staple("shallots", "Shallots", "en:fresh-shallots", "250 g | 500 g"),
    staple("spring-onions", "Spring onions", "en:scallions", "1 bunch"),
    staple("vine-tomatoes", "Vine tomatoes", "en:fresh-tomatoes", "6 pieces | 500 g | 1 kg"),
    staple("cherry-tomatoes", "Cherry tomatoes", "en:cherry-tomatoes", "250 g | 500 g"),
    staple("carrots", "Carrots", "en:fresh-carrots", "1 kg | 500 g"),
    staple("potatoes", "Potatoes", "en:potatoes", "1 kg | 2.5 kg"),
    staple("leeks", "Leeks", "en:fresh-leeks", "2 pieces | 500 g"),
    staple("mushrooms", "Chestnut mushrooms", "en:fresh-mushrooms", "250 g | 500 g"),
    staple("spinach", "Baby spinach", "en:spinach-young-leaves", "200 g | 500 g"),
    staple("red-pepper", "Red peppers", "en:fresh-sweet-peppers", "1 piece | 3 pieces"),
    staple("courgettes", "Courgettes", "en:fresh-zucchini", "1 piece | 500 g"),
    staple("aubergine", "Aubergine", "en:fresh-aubergines", "1 piece"),
    staple("cucumber", "Cucumber", "en:fresh-cucumbers", "1 piece"),
    staple("celery", "Celery", "en:celery", "1 head"),
    staple("broccoli", "Broccoli", "en:fresh-broccoli", "1 piece | 500 g"),
    staple("lemons", "Lemons", "en:fresh-lemons", "1 piece | 4 pieces"),
    staple("limes", "Limes", "en:limes", "1 piece | 4 pieces"),
    staple("ginger", "Fresh ginger root", "en:fresh-ginger-rhizomes", "150 g | 1 piece"),
    staple("red-chilli", "Red chillies", "fr:piments-rouges", "50 g | 3 pieces"),
    staple("green-chilli", "Green chillies", "en:chili-peppers", "50 g"),
    staple("jalapeno", "Jalapeño peppers", "fr:jalapeno", "3 pieces | 150 g"),
    staple("masa-harina", "Masa harina corn flour", "fr:masa-harina", "1 kg"),
    staple("parsley", "Flat-leaf parsley", "en:fresh-parsley", "1 bunch | 30 g"),
    staple("coriander", "Fresh coriander", "en:fresh-coriander-leaves", "1 bunch | 30 g"),
    staple("basil", "Fresh basil", "en:fresh-basil", "1 bunch | 30 g"),
    staple("mint", "Fresh mint", "en:fresh-mint", "1 bunch"),
    staple("thyme", "Fresh thyme", "en:fresh-thyme", "1 bunch"),
    staple("rosemary", "Fresh rosemary", "en:fresh-rosemary", "1 bunch"),
    staple("chives", "Fresh chives", "en:fresh-chives", "1 bunch"),
    staple("dill", "Fresh dill", "en:fresh-dill", "1 bunch"),
    staple("bay-leaves", "Dried bay leaves", "en:dried-bay-laurel", "5 g"),
    staple("free-range-eggs", "Free-range eggs", "en:free-range-chicken-eggs", "6 pieces | 12 pieces | 10 pieces"),
    staple("unsalted-butter", "Unsalted butter", "en:unsalted-butters", "250 g | 500 g"),
    staple("salted-butter", "Salted butter", "en:salted-butters", "250 g"),
    staple("whole-milk", "Fresh whole milk", "en:whole-milks", "1 l | 2 l"),
    staple("semi-milk", "Semi-skimmed milk", "en:semi-skimmed-milks", "1 l"),
    staple("double-cream", "Double cream", "en:creams", "300 ml | 600 ml"),
    staple("single-cream", "Single cream", "en:creams", "150 ml | 300 ml"),
    staple("plain-flour", "Plain wheat flour", "en:white-wheat-flours", "1 kg | 1.5 kg | 500 g"),
    staple("self-raising", "Self-raising flour", "en:self-raising-wheat-flour", "1 kg"),
    staple("bread-flour", "Strong white bread flour", "en:wheat-bread-flour", "1.5 kg"),
    staple("caster-sugar", "Caster sugar", "en:caster-sugars", "500 g | 1 kg"),
    staple("granulated-sugar", "Granulated sugar", "en:granulated-sugars", "1 kg | 2 kg"),
    staple("icing-sugar", "Icing sugar", "en:powdered-sugars", "500 g"),
    staple("brown-sugar", "Light brown soft sugar", "en:brown-sugars", "500 g"),
    staple("dark-muscovado", "Dark muscovado sugar", "en:muscovado", "500 g"),
    staple("table-salt", "Fine table salt", "en:table-salts", "750 g | 1 kg"),
    staple("sea-salt", "Sea salt flakes", "en:sea-salts", "250 g"),
    staple("black-pepper", "Ground black pepper", "en:ground-black-peppers", "50 g | 100 g"),
    staple("peppercorns", "Black peppercorns", "en:black-peppercorns", "50 g"),
    staple("olive-oil", "Olive oil", "en:olive-oils", "500 ml | 1 l"),
    staple("extra-virgin", "Extra virgin olive oil", "en:extra-virgin-olive-oils", "500 ml | 1 l"),
    staple("sunflower-oil", "Sunflower oil", "en:sunflower-oils", "1 l | 2 l"),
    staple("rapeseed-oil", "Rapeseed oil", "en:rapeseed-oils", "1 l"),
    staple("veg-stock", "Vegetable stock, ready to use", "en:liquid-vegetable-bouillons", "500 ml | 1 l"),
    staple("veg-cubes", "Vegetable stock cubes", "en:dehydrated-vegetable-bouillons", "8 x 10 g"),
    staple("chicken-stock", "Chicken stock, ready to use", "en:liquid-chicken-broths", "500 ml"),
    staple("chopped-tomatoes", "Chopped tomatoes, canned", "en:canned-tomatoes", "400 g | 4 x 400 g"),
    staple("passata", "Passata", "en:tomato-purees", "500 g"),
    staple("tomato-paste", "Tomato paste", "en:tomato-pastes", "200 g"),
    staple("coconut-milk", "Coconut milk", "en:coconut-milks", "400 ml | 200 ml"),
    staple("red-lentils", "Split red lentils", "en:red-lentils", "500 g | 1 kg"),
    staple("basmati-rice", "Basmati rice", "en:basmati-rices", "500 g | 1 kg | 2 kg"),
    staple("curry-powder", "Mild curry powder", "en:curry-powder", "40 g | 100 g"),
    staple("ground-cumin", "Ground cumin", "en:cumin", "40 g"),
    staple("ground-turmeric", "Ground turmeric", "en:turmeric", "40 g"),
    staple("ground-coriander", "Ground coriander", "en:coriander-seeds", "35 g"),
    staple("baking-powder", "Baking powder", "en:baking-powder-or-raising-agent", "4 x 16 g | 100 g"),
    staple("bicarbonate", "Bicarbonate of soda", "en:bicarbonates-of-soda", "200 g"),
    staple("vanilla", "Vanilla extract", "en:vanilla-extract", "38 ml"),
    staple("dried-yeast", "Fast action dried yeast", "en:yeast", "7 x 7 g"),
    staple("cornflour", "Cornflour", "en:corn-starch", "250 g"),
    staple("cheddar", "Mature cheddar", "en:mature-cheddar", "200 g | 400 g"),
    staple("parmesan", "Parmigiano Reggiano", "en:parmigiano-reggiano", "100 g | 200 g"),
    staple("mozzarella", "Mozzarella", "en:mozzarella", "125 g"),
    staple("feta", "Feta", "en:feta", "200 g"),
    staple("greek-yogurt", "Greek-style yogurt", "en:greek-style-yogurts", "500 g"),
    staple("plain-yogurt", "Plain yogurt", "en:plain-yogurts", "500 g"),
    staple("honey", "Runny honey", "en:honeys", "340 g"),
    staple("maple-syrup", "Maple syrup", "en:maple-syrups", "250 ml"),
    staple("dark-chocolate", "Dark chocolate for baking", "en:dark-chocolates", "100 g | 200 g"),
    staple("cocoa", "Cocoa powder", "en:cocoa-powders", "250 g"),
    staple("soy-sauce", "Soy sauce", "en:soy-sauces", "150 ml | 500 ml"),
    staple("dijon", "Dijon mustard", "en:dijon-mustards", "200 g"),
    staple("chickpeas", "Chickpeas, canned", "en:canned-chickpeas", "400 g"),
    staple("kidney-beans", "Red kidney beans, canned", "en:canned-red-kidney-beans", "400 g"),
    staple("black-beans", "Black beans, canned", "en:canned-black-beans", "400 g"),
    staple("italian-herbs", "Italian seasoning, dried herbs", "en:mixtures-of-aromatic-plants", "15 g"),
    staple("garlic-powder", "Garlic powder", "en:garlic-powder", "50 g"),
    staple("onion-powder", "Onion powder", "en:onion-powder", "50 g"),
    staple("white-pepper", "Ground white pepper", "en:ground-white-peppers", "40 g"),
    staple("chili-powder", "Chili powder", "en:chili-powders", "40 g"),
    staple("cayenne", "Cayenne pepper", "en:cayenne-powder", "40 g"),
    staple("dried-oregano", "Dried oregano", "en:dried-oregano", "10 g"),
    staple("dried-thyme", "Dried thyme", "en:dried-thyme", "10 g"),
    staple("cardamom", "Green cardamom pods", "en:green-cardamom", "25 g"),
    staple("sesame", "Sesame seeds", "en:sesame", "100 g"),
    staple("flaxseed", "Ground flaxseed", "en:ground-flax-seeds", "250 g"),
    staple("fish-sauce", "Fish sauce", "en:nuoc-mam-sauce", "200 ml"),
    staple("rice-vinegar", "Rice vinegar", "en:rice-vinegars", "250 ml"),
    staple("rice-wine-vinegar", "Rice wine vinegar", "en:rice-wine-vinegars", "250 ml"),
    staple("sesame-oil", "Toasted sesame oil", "en:sesame-oils", "150 ml"),
    staple("oyster-sauce", "Oyster sauce", "en:oyster-sauces", "255 g"),
    staple("tofu", "Firm tofu", "en:plain-tofu", "280 g | 400 g"),
    staple("silken-tofu", "Silken tofu", "en:plain-tofu", "300 g"),
    staple("salad-leaves", "Mixed salad leaves", "en:mesclun", "120 g"),
    staple("romaine", "Romaine lettuce", "en:romaine-lettuce", "1 head"),
    staple("kale", "Curly kale", "en:curly-kale", "200 g"),
    staple("chicken-breasts", "Chicken breast fillets", "en:chicken-breasts", "300 g | 650 g"),
    staple("chicken-thighs", "Chicken thighs", "en:chicken-thighs", "500 g | 1 kg"),
    staple("chicken-wings", "Chicken wings", "en:chicken-wings", "1 kg"),
    staple("whole-chicken", "Whole chicken", "en:whole-chickens", "1 piece"),
    staple("beef-mince", "Beef mince", "en:fresh-ground-beef-preparations", "500 g"),
    staple("lamb-mince", "Lamb mince", "en:lamb-meat", "500 g"),
    staple("pork-mince", "Pork mince", "en:pork", "500 g"),
    staple("bacon", "Smoked streaky bacon", "en:bacon", "200 g"),
    staple("sausages", "Pork sausages", "en:pork-sausages", "400 g"),
    staple("salmon", "Salmon fillets", "en:salmon-fillets", "2 pieces | 4 pieces"),
    staple("prawns", "Raw king prawns", "en:prawns", "200 g"),
    staple("beef-stock", "Beef stock cubes", "en:beef-broth", "8 x 10 g"),
    staple("chicken-stock-cubes", "Chicken stock cubes", "en:dehydrated-poultry-broth-stock", "8 x 10 g"),
    staple("buttermilk", "Buttermilk", "en:buttermilks", "284 ml"),
    staple("sour-cream", "Soured cream", "en:sour-creams", "300 ml"),
    staple("cream-cheese", "Full-fat soft cheese", "en:cream-cheeses", "180 g"),
    staple("ricotta", "Ricotta", "en:ricotta", "250 g"),
    staple("greek-plain", "Plain Greek-style yogurt", "en:plain-greek-style-yogurts", "500 g"),
    staple("white-chocolate", "White chocolate bar", "en:white-chocolate-bars", "100 g"),
    staple("arborio", "Arborio risotto rice", "en:arborio-rices", "500 g"),
    staple("white-wine", "Dry white wine", "en:dry-white-wines", "750 ml"),
    staple("red-wine", "Red wine", "en:red-wines", "750 ml"),
    staple("corn-tortillas", "Corn tortillas", "en:corn-flatbreads", "12 pieces | 30 pieces"),
    staple("flour-tortillas", "Flour tortillas", "en:wheat-flatbreads", "8 pieces"),
    staple("vinaigrette", "Italian vinaigrette dressing", "en:vinaigrettes", "250 ml"),
    staple("dried-chickpeas", "Dried chickpeas", "en:dried-chickpeas", "500 g"),
    staple("short-ribs", "Beef short ribs", "en:beef-short-ribs", "1 kg"),
    staple("beef-chuck", "Beef chuck roast", "en:beef-chuck", "1 kg"),
    staple("tapioca", "Tapioca starch", "en:tapioca", "500 g"),
    staple("curry-paste", "Tikka masala curry paste", "en:curry-pastes", "190 g"),
    staple("watermelon", "Watermelon", "en:watermelons", "1 piece"),
    staple("mussels", "Fresh mussels", "en:common-mussels", "1 kg"),
    staple("beef-steak", "Beef steak", "en:beef-steaks", "225 g | 450 g"),
)
# fmt: on

# hand-written DIY items: (code, name, pack, EUR per pack, concept); each comes in a few sizes or brands
# fmt: off
HARDWARE: tuple[tuple[str, str, str, str, str], ...] = (
    ("TAPW-12-10", "Tap washers, 1/2 inch, pack of 10", "10 pieces", "2.49", "kitting:tap-washers"),
    ("TAPW-34-10", "Tap washers, 3/4 inch, pack of 10", "10 pieces", "2.79", "kitting:tap-washers"),
    ("TAPW-ASST", "Tap washer assortment, 1/2 and 3/4 inch, 30 pieces", "30 pieces", "4.99", "kitting:tap-washers"),
    ("ORING-225", "O-ring assortment, 225 pieces", "1 piece", "6.99", "kitting:o-rings"),
    ("ORING-SMALL", "O-ring assortment, small, 50 pieces", "1 piece", "3.49", "kitting:o-rings"),
    ("PTFE-12M", "PTFE thread seal tape, 12 mm x 12 m", "12 m", "1.29", "kitting:ptfe-tape"),
    ("PTFE-5x12M", "PTFE thread seal tape, 12 mm x 12 m, 5 rolls", "60 m", "4.99", "kitting:ptfe-tape"),
    ("SIL-GREASE-10", "Silicone grease, 10 g tube", "10 g", "3.99", "kitting:silicone-grease"),
    ("SIL-GREASE-50", "Silicone grease, 50 g tub", "50 g", "8.49", "kitting:silicone-grease"),
    ("SPRAY-LUBE", "Multi-purpose lubricant spray, 400 ml", "400 ml", "7.49", "kitting:penetrating-oil"),
    ("SPANNER-200", "Adjustable spanner, 200 mm", "1 piece", "9.99", "kitting:adjustable-spanner"),
    ("SPANNER-250", "Adjustable spanner, 250 mm", "1 piece", "13.49", "kitting:adjustable-spanner"),
    ("SD-FLAT-6", "Flat-head screwdriver, 6 mm", "1 piece", "4.49", "kitting:flat-head-screwdriver"),
    ("SD-PH-2", "Phillips screwdriver, PH2", "1 piece", "4.49", "kitting:phillips-screwdriver"),
    ("SD-SET-6", "Screwdriver set, flat-head and Phillips, 6 pieces", "1 piece", "12.99", "kitting:screwdriver-set"),
    ("TOWEL-3", "Cotton work towels, pack of 3", "3 pieces", "5.99", "kitting:work-towels"),
    ("SHELF-80", "Floating shelf kit, 80 cm, oak effect", "1 piece", "24.99", "kitting:floating-shelf"),
    ("SHELF-60", "Floating shelf kit, 60 cm, white", "1 piece", "19.99", "kitting:floating-shelf"),
    ("PLUG-8-10", "Wall plugs, 8 mm, pack of 10", "10 pieces", "1.99", "kitting:wall-plugs"),
    ("PLUG-8-50", "Wall plugs, 8 mm, pack of 50", "50 pieces", "5.99", "kitting:wall-plugs"),
    ("PLUG-6-50", "Wall plugs, 6 mm, pack of 50", "50 pieces", "4.99", "kitting:wall-plugs"),
    ("SCREW-5x60-20", "Wood screws, 5 x 60 mm, pack of 20", "20 pieces", "3.49", "kitting:wood-screws"),
    ("SCREW-5x60-100", "Wood screws, 5 x 60 mm, pack of 100", "100 pieces", "11.99", "kitting:wood-screws"),
    ("SCREW-4x40-100", "Wood screws, 4 x 40 mm, pack of 100", "100 pieces", "7.99", "kitting:wood-screws"),
    ("FILLER-TUBE", "Ready-mixed filler, 330 g tube", "1 tube", "5.49", "kitting:wood-filler"),
    ("FILLER-TUB", "Ready-mixed filler, 600 g tub", "600 g", "7.99", "kitting:wood-filler"),
    ("DRILL-18V", "Cordless combi drill, 18 V, with masonry bit set", "1 piece", "79.99", "kitting:cordless-drill"),
    ("BIT-MAS-8", "Masonry drill bit, 8 mm", "1 piece", "3.99", "kitting:masonry-drill-bit"),
    ("BIT-MAS-SET", "Masonry drill bit set, 4 to 10 mm, 5 pieces", "5 pieces", "9.99", "kitting:masonry-drill-bit"),
    ("BIT-WOOD-SET", "Wood drill bit set, 3 to 10 mm, 8 pieces", "8 pieces", "11.99", "kitting:wood-drill-bit"),
    ("LEVEL-600", "Spirit level, 600 mm", "1 piece", "12.99", "kitting:spirit-level"),
    ("LEVEL-1200", "Spirit level, 1200 mm", "1 piece", "21.99", "kitting:spirit-level"),
    ("PENCIL-3", "Carpenter's pencils, pack of 3", "3 pieces", "2.49", "kitting:carpenters-pencil"),
    ("DETECT", "Stud and cable detector", "1 piece", "24.99", "kitting:stud-detector"),
    ("PAINT-MW-25", "Matt emulsion paint, brilliant white, 2.5 l", "2.5 l", "17.99", "kitting:emulsion-paint"),
    ("PAINT-MW-5", "Matt emulsion paint, brilliant white, 5 l", "5 l", "29.99", "kitting:emulsion-paint"),
    ("PAINT-MW-10", "Matt emulsion paint, brilliant white, 10 l", "10 l", "49.99", "kitting:emulsion-paint"),
    ("PAINT-MM-25", "Matt emulsion paint, magnolia, 2.5 l", "2.5 l", "17.99", "kitting:emulsion-paint"),
    ("PAINT-GLOSS", "Gloss paint, white, 750 ml", "750 ml", "14.99", "kitting:gloss-paint"),
    ("PRIMER-750", "Primer undercoat, white, 750 ml", "750 ml", "12.99", "kitting:primer-paint"),
    ("MASK-25", "Masking tape, 25 mm x 50 m", "1 roll", "2.99", "kitting:masking-tape"),
    ("MASK-25-3", "Masking tape, 25 mm x 50 m, 3 rolls", "3 rolls", "7.49", "kitting:masking-tape"),
    ("MASK-50", "Masking tape, 50 mm x 50 m", "1 roll", "4.49", "kitting:masking-tape"),
    ("DUCT-50", "Duct tape, 50 mm x 25 m, silver", "1 roll", "5.99", "kitting:duct-tape"),
    ("CAULK-380", "Decorator's caulk, white, 380 ml tube", "1 tube", "3.49", "kitting:decorators-caulk"),
    ("SEALANT", "Bathroom silicone sealant, white, 300 ml", "1 tube", "6.99", "kitting:silicone-sealant"),
    ("WOODGLUE", "Wood glue, PVA, 250 ml", "250 ml", "4.99", "kitting:wood-glue"),
    ("EPOXY", "Two-part epoxy adhesive, 25 ml", "25 ml", "6.49", "kitting:epoxy-adhesive"),
    ("DUST-COTTON", "Dust sheet, cotton twill, 3.6 x 2.7 m", "1 piece", "9.99", "kitting:dust-sheet"),
    ("DUST-POLY-3", "Dust sheets, polythene, 3.6 x 2.7 m, pack of 3", "3 pieces", "4.99", "kitting:dust-sheet"),
    ("SAND-120-5", "Sandpaper, 120 grit, 5 sheets", "5 sheets", "2.99", "kitting:sandpaper"),
    ("SAND-120-10", "Sandpaper, 120 grit, 10 sheets", "10 sheets", "4.99", "kitting:sandpaper"),
    ("SAND-80-5", "Sandpaper, 80 grit, 5 sheets", "5 sheets", "2.99", "kitting:sandpaper"),
    ("ROLLER-9-TRAY", "Paint roller and tray set, 9 inch", "1 piece", "8.99", "kitting:paint-roller"),
    ("ROLLER-9", "Paint roller, 9 inch, medium pile", "1 piece", "5.49", "kitting:paint-roller"),
    ("BRUSH-ANG-50", "Angled paint brush, 50 mm", "1 piece", "4.99", "kitting:paint-brush"),
    ("BRUSH-SET-5", "Paint brush set, 5 pieces", "5 pieces", "9.99", "kitting:paint-brush"),
    ("LADDER-3", "Step ladder, 3 treads, aluminium", "1 piece", "39.99", "kitting:step-ladder"),
    ("LADDER-5", "Step ladder, 5 treads, aluminium", "1 piece", "59.99", "kitting:step-ladder"),
    ("HAMMER", "Claw hammer, 16 oz", "1 piece", "11.99", "kitting:claw-hammer"),
    ("TAPE-MEASURE", "Tape measure, 5 m", "1 piece", "6.99", "kitting:tape-measure"),
    ("KNIFE", "Retractable utility knife", "1 piece", "5.99", "kitting:utility-knife"),
    ("FILL-KNIFE", "Filling knife, 50 mm", "1 piece", "4.49", "kitting:filling-knife"),
    ("SUGAR-SOAP", "Sugar soap, 500 ml", "500 ml", "4.99", "kitting:sugar-soap"),
    ("GLOVES", "Work gloves, one pair", "1 piece", "3.99", "kitting:work-gloves"),
    ("PINS-25", "Panel pins, 25 mm, 200 g", "200 g", "3.49", "kitting:panel-pins"),
)
# fmt: on
# each hand-written item is also sold by these brands, at these price levels
BRANDS: tuple[tuple[str, str], ...] = (("", "1"), ("ProFix", "1.22"), ("Handy", "0.86"), ("Stanmore", "1.08"))
# items the demo pages need: both hardware shops carry them
HARDWARE_CORE = frozenset(
    {
        "TAPW-12-10", "ORING-225", "PTFE-12M", "SIL-GREASE-10", "SPANNER-200", "SD-FLAT-6", "TOWEL-3",
        "SHELF-80", "PLUG-8-10", "PLUG-8-50", "SCREW-5x60-20", "SCREW-5x60-100", "FILLER-TUBE",
        "DRILL-18V", "BIT-MAS-8", "LEVEL-600", "PENCIL-3", "DETECT", "PAINT-MW-25", "PAINT-MW-5",
        "PAINT-MW-10", "MASK-25", "CAULK-380", "DUST-COTTON", "DUST-POLY-3", "SAND-120-5", "SAND-120-10",
        "ROLLER-9-TRAY", "BRUSH-ANG-50", "LADDER-3",
    }
)  # fmt: skip


def fraction(*parts: str) -> Decimal:
    digest = hashlib.sha256(":".join(parts).encode()).hexdigest()
    return Decimal(int(digest[:8], 16)) / Decimal(2**32)


def read_pack(text: str) -> ParsedPack | None:
    """A label parse_pack reads, or "N unit" in a counted unit or a length."""
    pack = parse_pack(text)
    if pack is not None:
        return pack
    number, _, written = text.strip().partition(" ")
    unit = unit_symbol(written)
    try:
        amount = Decimal(number)
    except ArithmeticError:
        return None
    if unit in COUNTED:
        return ParsedPack(amount, unit, int(amount), Decimal(1))
    if unit in ("m", "cm", "mm"):
        return ParsedPack(amount, unit)
    return None


def pack_json(text: str, pack: ParsedPack) -> dict[str, Any]:
    return {"text": text.strip(), "quantity": str(plain(pack.quantity)), "unit": pack.unit}


def plausible(pack: ParsedPack) -> bool:
    """A kitchen pack: between 5 g (25 ml) and 10 kg (10 l), or 1 to 30 pieces."""
    kind = dimension(pack.unit)
    if kind == "mass":
        return Decimal(5) <= convert(pack.quantity, pack.unit, "g") <= Decimal(10_000)
    if kind == "volume":
        return Decimal(25) <= convert(pack.quantity, pack.unit, "ml") <= Decimal(10_000)
    return pack.unit in COUNTED and 1 <= pack.quantity <= 30


# --- prices ---------------------------------------------------------------------------------------------


def open_prices(data: Path) -> dict[str, Decimal]:
    """EUR per kg (or l) by Open Food Facts category: the median of its Nutri-Score groups, weighted."""
    path = data / "catalogs" / "open-prices-fr" / "median_price_per_kg_by_off_category_fr.csv"
    prices: dict[str, Decimal] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            samples: list[float] = []
            for grade in ("a", "b", "c", "d", "e", "other"):
                price, count = row.get(f"{grade}_price") or "", row.get(f"{grade}_obs") or ""
                if price:
                    samples += [float(price)] * max(1, int(float(count or 1)))
            if samples:
                prices[row["category"]] = Decimal(str(round(statistics.median(samples), 2)))
    return prices


def price_level(tx: Taxonomy, concept: str, prices: dict[str, Decimal]) -> tuple[Decimal, str]:
    """(EUR per kg or l, where it comes from) for a concept: its nearest priced ancestor, else its family."""
    ranked = sorted(tx.ancestors(concept).items(), key=lambda item: (item[1], item[0]))
    for ancestor in [concept, *(a for a, _ in ranked)]:
        if ancestor in prices:
            return prices[ancestor], f"open-prices:{ancestor}"
    for family, price in FAMILY_PRICES:
        if tx.is_within(concept, family):
            return Decimal(price), f"derived:{family}"
    return Decimal(DEFAULT_PRICE), "derived:default"


def reference_price(pack: ParsedPack, concept: str, per_kg: Decimal, key: str) -> Decimal:
    """EUR for one pack: by kg or litre (a piece by the food's piece weight), a little cheaper by the
    unit in bigger packs, varied per product."""
    kind = dimension(pack.unit)
    if kind == "mass":
        kilos = convert(pack.quantity, pack.unit, "kg")
    elif kind == "volume":
        kilos = convert(pack.quantity, pack.unit, "l")
    else:
        portion = portion_of(concept)
        each = portion.units.get(pack.unit) or portion.piece or Decimal(80)
        kilos = pack.quantity * each / 1000
    size_factor = Decimal(str(round(min(1.5, max(0.75, float(kilos) ** -0.1)), 4)))
    variation = Decimal("0.85") + Decimal("0.3") * fraction("price", key)
    return max(Decimal("0.15"), (per_kg * kilos * size_factor * variation).quantize(Decimal("0.01"), ROUND_HALF_UP))


# --- grocery sources ----------------------------------------------------------------------------------


def display_name(tx: Taxonomy, concept: str) -> str:
    """The English name of the concept (or of its nearest English-named ancestor), for one product."""
    chain = [concept, *sorted(tx.ancestors(concept), key=lambda a: tx.ancestors(concept)[a])]
    for cid in chain:
        entry = tx.get(cid)
        if entry is not None and not cid.startswith(("fr:", "it:", "de:", "es:", "nl:", "pt:")):
            return singular(entry.name).capitalize()
    return concept


def is_produce(tx: Taxonomy, concept: str) -> bool:
    return any(tx.is_within(concept, root) for root in PRODUCE_ROOTS if root in tx)


def usable_food(tx: Taxonomy, concept: str | None) -> bool:
    return concept is not None and concept in tx and is_food(tx, concept) and concept not in HUBS


def off_products(tx: Taxonomy, data: Path) -> list[dict[str, Any]]:
    products = []
    seen: set[str] = set()
    for path in sorted((data / "products").glob("*.tsv")):
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                code = row.get("code", "").strip()
                tags = [t for t in (row.get("categories_tags") or "").split(",") if t in tx and t not in HUBS]
                pack = parse_pack(row.get("quantity") or "")
                if not code.isdigit() or code in seen or not tags or pack is None or not plausible(pack):
                    continue
                concept = max(tags, key=lambda t: (len(tx.ancestors(t)), t.startswith("en:"), t))
                brand = (row.get("brands") or "").split(",")[0].strip()
                seen.add(code)
                products.append(
                    {"code": f"off-{code}", "name": display_name(tx, concept), "brand": brand or None,
                     "concept": concept, "pack": pack_json(row["quantity"], pack), "source": path.stem}
                )  # fmt: skip
    return products


def named_concept(tx: Taxonomy, name: str, families: list[str] | None = None) -> str | None:
    """The concept a product's English name is. The name is read in its parts ("Brand, grated romano
    cheese", "Crackers with sesame"); a part is the concept when its last word names it ("Wheat cereal"
    is a cereal, not wheat). A part saying more than its concept ("Beet and seed crackers": crackers)
    counts only when the data's own category (`families`) agrees. No produce: a name alone cannot tell
    fresh from dried or canned."""
    if WITH_MORE.search(name):  # "Cream cheese with strawberries", "Tuna in water": more than the thing
        return None
    name = re.sub(r"\bgluten[\s-]+free\b", "glutenfree", name, flags=re.IGNORECASE)  # not gluten flour
    parts = name.split(",")
    named: list[tuple[int, str]] = []  # every part that names a product kind
    said: set[str] = set()
    brand_first = True  # the parts so far are a brand ("Walkers, shortbread"): the next may be the product
    chosen: str | None = None
    for index, part in enumerate(parts):  # without the data's category only the first part may be it
        words = words_of(part)
        repeated = set(words) <= said  # "Wheat club bread, wheat": a flavour repeated
        said |= set(words)
        concept = None if repeated else part_concept(tx, part, words)
        if concept is None:
            mentioned = None if repeated or not words else concept_of(part, alternatives=False).concept
            for word in () if mentioned or repeated else reversed(words):  # "beef & pork meatballs": pork
                mentioned = concept_of(word, alternatives=False).concept if word not in DESCRIPTIVE else None
                if mentioned is not None:
                    break
            if mentioned is not None and usable_food(tx, mentioned):  # another thing named ("beef meatballs")
                named.append((index, mentioned))
            brand_first = brand_first and len(said) <= 3
            continue
        named.append((index, concept))
        fits = any(tx.is_within(concept, f) for f in families) if families else index == 0
        if chosen is None and brand_first and fits:
            chosen = concept
        brand_first = False
    if len({concept for _, concept in named}) > 1:  # "Chicken, beef & pork meatballs": several things
        return None
    return chosen


def part_concept(tx: Taxonomy, part: str, words: tuple[str, ...]) -> str | None:
    """The kind one part of a product name names, when it names only that (no produce)."""
    head = words[-1:]
    if not head:
        return None
    match = concept_of(part, part, ComponentKind.ingredient, alternatives=False)
    concept = match.concept
    if concept is None or not usable_food(tx, concept) or is_produce(tx, concept):
        return None
    if match.words[-1:] != head:
        named = concept_of(" ".join(head), alternatives=False).concept
        if named is None or not usable_food(tx, named) or not tx.is_within(concept, named):
            return None
    unsaid = set(words) - set(match.words) - DESCRIPTIVE - MARKETING
    if match.approximate and unsaid:  # "pecan butter" is no butter: a part says only what it is
        return None
    return PRODUCT_KIND.get(concept, concept)


def datakick_products(tx: Taxonomy, data: Path) -> list[dict[str, Any]]:
    products = []
    path = data / "catalogs" / "datakick" / "datakick_items.tsv"
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            name, size = " ".join((row.get("name") or "").split()), row.get("size") or ""
            pack = parse_pack(size)
            if row.get("non_grocery_hint") or not name or pack is None or not plausible(pack):
                continue
            concept = named_concept(tx, name)
            if concept is None:
                continue
            products.append(
                {"code": f"dk-{row['gtin14']}", "name": name, "brand": (row.get("brand") or "").strip() or None,
                 "concept": concept, "pack": pack_json(size, pack), "source": "datakick"}
            )  # fmt: skip
    return products


TYPICAL_PACKS: tuple[tuple[str, str], ...] = (  # the pack a family is usually sold in (derived packs)
    ("en:wines", "750 ml"), ("en:spirits", "700 ml"), ("en:eggs", "6 pieces"), ("en:capers", "100 g"),
    ("en:fresh-vegetables", "500 g"), ("en:fruits", "500 g"), ("en:juices", "250 ml"),
    ("en:spices", "50 g"), ("en:aromatic-herbs", "30 g"), ("en:salts", "750 g"), ("en:vegetable-oils", "1 l"),
    ("en:vinegars", "500 ml"), ("en:sauces", "500 g"), ("en:condiments", "250 g"), ("en:beverages", "1 l"),
    ("en:milks", "1 l"), ("en:creams", "300 ml"), ("en:cheeses", "200 g"), ("en:butters", "250 g"),
    ("en:yogurts", "500 g"), ("en:meats", "500 g"), ("en:seafood", "300 g"), ("en:broths", "500 ml"),
    ("en:syrups", "250 ml"), ("en:honeys", "340 g"), ("en:chocolates", "100 g"), ("en:nuts", "200 g"),
    ("en:seeds", "250 g"), ("en:breads", "400 g"), ("en:biscuits-and-cakes", "200 g"),
)  # fmt: skip


def typical_pack(tx: Taxonomy, concept: str) -> str:
    for family, pack in TYPICAL_PACKS:
        if tx.is_within(concept, family):
            return pack
    return "500 g"


def off_name_products(tx: Taxonomy, data: Path) -> list[dict[str, Any]]:
    products = []
    path = data / "catalogs" / "off-names" / "off_names_3level_2024-01.tsv.gz"
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as handle:
        for index, row in enumerate(csv.DictReader(handle, delimiter="\t")):
            name = " ".join((row.get("product_name") or "").split())
            if not name or not re.fullmatch(r"[A-Za-z0-9 ,.'&%-]{3,80}", name):
                continue  # English names only (others carry accents or scripts)
            levels = [f"en:{row[level]}" for level in ("level_3", "level_2") if row.get(level)]
            families = [family for family in levels if family in tx and family not in HUBS][:1]
            concept = named_concept(tx, name, families)
            if concept is None:
                continue
            text = typical_pack(tx, concept)
            pack = read_pack(text)
            assert pack is not None
            products.append(
                {"code": f"on-{index}", "name": name[:1].upper() + name[1:], "brand": None, "concept": concept,
                 "pack": pack_json(text, pack), "pack_derived": True, "source": "off-names"}
            )  # fmt: skip
    return products


def staple_products(tx: Taxonomy) -> list[dict[str, Any]]:
    """The hand-written staples; fresh produce as the taxonomy's fresh kind of it where it has one."""
    products = []
    for item in STAPLES:
        concept = (fresh_kind(item.concept) if is_produce(tx, item.concept) else None) or item.concept
        for text in item.packs:
            pack = read_pack(text)
            assert pack is not None, text
            size = str(plain(pack.quantity)).replace(".", "_") + pack.unit.replace(" ", "")
            products.append(
                {"code": f"kit-{item.key}-{size}", "name": f"{item.name}, {text}", "brand": None,
                 "concept": concept, "pack": pack_json(text, pack), "source": "kitting", "core": True}
            )  # fmt: skip
    return products


# the kitchen makes these from what it buys: never a product of their own
MADE_IN_THE_KITCHEN = frozenset({"en:egg-yolk", "en:egg-white", "en:lemon-zest", "en:orange-zest", "en:lime-zest"})
EVERYDAY_MIN = 2  # mentions in the ingredient corpora that make a concept part of a grocer's everyday range


def everyday_concepts(data: Path) -> list[tuple[str, bool]]:
    """(concept, wanted fresh) of what recipes ask for at least EVERYDAY_MIN times in the labelled
    ingredient corpora (`ingredients/*.jsonl`: NYT, Allrecipes, BBC, Cookstr, Taste): a grocer's range."""
    counts: dict[str, int] = defaultdict(int)
    fresh: dict[str, int] = defaultdict(int)
    for path in sorted((data / "ingredients").glob("*.jsonl")):
        for raw in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(raw)
            if not row.get("names"):
                continue
            unit = row["units"][0] if row.get("units") else None
            match = concept_of(row["names"][0], row["sentence"], ComponentKind.ingredient, unit)
            if match.concept is None or match.approximate:
                continue
            counts[match.concept] += 1
            fresh[match.concept] += match.fresh
    return sorted((c, fresh[c] * 2 > n) for c, n in counts.items() if n >= EVERYDAY_MIN)


def everyday_pack(tx: Taxonomy, concept: str, fresh: bool) -> str:
    """The packs an everyday product comes in when the data has none: counted produce by the piece,
    herbs by the bunch, the rest as its family is usually sold."""
    portion = portion_of(concept)
    if fresh and "bunch" in portion.units:
        return "1 bunch"
    if fresh and portion.piece is not None:
        return "1 piece | 4 pieces" if portion.piece <= 300 else "1 piece"
    return typical_pack(tx, concept)


def everyday_products(tx: Taxonomy, data: Path, products: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A product for each concept of the everyday range that no product fits exactly yet."""
    made = []
    for concept, fresh in everyday_concepts(data):
        if concept in MADE_IN_THE_KITCHEN or not usable_food(tx, concept) or not concept.startswith("en:"):
            continue  # (a kind with only a French or Italian name needs a hand-written English one)
        if any(tx.relation(p["concept"], concept, fresh).kind == "exact" for p in products):
            continue
        name = singular(tx.name(concept)).capitalize()
        if fresh and "fresh" not in name.lower() and is_produce(tx, concept):
            name = f"Fresh {name.lower()}"
        for text in everyday_pack(tx, concept, fresh).split("|"):
            pack = read_pack(text.strip())
            assert pack is not None, text
            size = str(plain(pack.quantity)).replace(".", "_") + pack.unit.replace(" ", "")
            made.append(
                {"code": f"kit-{concept.split(':', 1)[1]}-{size}", "name": f"{name}, {text.strip()}", "brand": None,
                 "concept": concept, "pack": pack_json(text, pack), "pack_derived": True,
                 "source": "kitting-everyday", "core": True}
            )  # fmt: skip
    return made


def capped(tx: Taxonomy, products: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most PER_CONCEPT products of one concept (staples always), different packs and brands first;
    the same product (name and pack) once."""
    by_concept: dict[str, list[dict[str, Any]]] = defaultdict(list)
    seen: set[tuple[str, str, str]] = set()
    for product in products:
        key = (product["name"].lower(), product["brand"] or "", product["pack"]["text"].lower())
        if key in seen:
            continue
        seen.add(key)
        by_concept[product["concept"]].append(product)
    kept: list[dict[str, Any]] = []
    for concept in sorted(by_concept):
        group = by_concept[concept]
        staples = [p for p in group if p.get("core")]
        others = sorted((p for p in group if not p.get("core")), key=lambda p: fraction("pick", p["code"]))
        packs: set[str] = set()
        varied = [p for p in others if p["pack"]["text"] not in packs and not packs.add(p["pack"]["text"])]
        rest = [p for p in others if p not in varied]
        kept += staples + (varied + rest)[: max(0, PER_CONCEPT - len(staples))]
    return kept


def priced(tx: Taxonomy, products: list[dict[str, Any]], prices: dict[str, Decimal]) -> list[dict[str, Any]]:
    for product in products:
        per_kg, basis = price_level(tx, product["concept"], prices)
        pack = read_pack(product["pack"]["text"]) or ParsedPack(
            Decimal(product["pack"]["quantity"]), product["pack"]["unit"]
        )
        product["reference_price"] = str(reference_price(pack, product["concept"], per_kg, product["code"]))
        product["price_basis"] = basis
    return products


def hardware_products() -> list[dict[str, Any]]:
    products = []
    for code, name, text, price, concept in HARDWARE:
        pack = read_pack(text)
        assert pack is not None, text
        for brand, level in BRANDS:
            products.append(
                {"code": f"hw-{code.lower()}{'-' + brand.lower() if brand else ''}", "name": name,
                 "brand": brand or None, "concept": concept, "pack": pack_json(text, pack),
                 "reference_price": str((Decimal(price) * Decimal(level)).quantize(Decimal("0.01"))),
                 "core": code in HARDWARE_CORE and not brand}
            )  # fmt: skip
    return products


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    args = parser.parse_args(argv)
    if not (args.data / "products").is_dir():
        print(f"no product data under {args.data}: give --data <the shared data folder>", file=sys.stderr)
        return 2
    tx = taxonomy()
    for item in STAPLES:
        assert item.concept in tx, item.concept
    for *_, concept in HARDWARE:
        assert concept in tx, concept
    sources = {
        "off": off_products(tx, args.data),
        "datakick": datakick_products(tx, args.data),
        "off-names": off_name_products(tx, args.data),
        "kitting": staple_products(tx),
    }
    found = [p for products in sources.values() for p in products]
    sources["kitting-everyday"] = everyday_products(tx, args.data, found)
    grocery = priced(tx, capped(tx, [p for found in sources.values() for p in found]), open_prices(args.data))
    document = {
        "attribution": [
            "Open Food Facts contributors, ODbL 1.0 (products/*.tsv exports, off-names product names, Open "
            "Prices medians): https://world.openfoodfacts.org, https://prices.openfoodfacts.org",
            "Datakick product records, CC0",
            'products with "source": "kitting" are hand-written staples; "kitting-everyday" ones are the '
            "everyday range, the kinds recipes ask for most in the labelled ingredient sentences of "
            "ingredient-parser (strangetom, MIT) and the NYT ingredient-phrase-tagger (Apache 2.0); prices "
            "are reference prices",
        ],
        "license": "https://opendatacommons.org/licenses/odbl/1-0/",
        "products": grocery,
    }
    DATA.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    (DATA / "grocery_products.json.gz").write_bytes(gzip.compress(payload, mtime=0))
    hardware = {"attribution": "hand-written reference items for Kitting", "products": hardware_products()}
    (DATA / "hardware_products.json").write_text(json.dumps(hardware, indent=1) + "\n", encoding="utf-8")
    kept = defaultdict(int)
    for product in grocery:
        kept[product["source"] if product["source"] in sources else "off"] += 1
    derived = sum(1 for p in grocery if p["price_basis"].startswith("derived"))
    print(
        f"grocery_products.json.gz: {len(grocery)} products, {len({p['concept'] for p in grocery})} concepts "
        f"({', '.join(f'{k} {v}' for k, v in sorted(kept.items()))}); {derived} priced by family; "
        f"{(DATA / 'grocery_products.json.gz').stat().st_size // 1024} KiB"
    )
    print(f"hardware_products.json: {len(hardware['products'])} items")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
