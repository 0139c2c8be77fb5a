"""Words as the concept matcher compares them: lower case, no accents, singular, and the recipe words of
British, American and other kitchens read as the taxonomy names them."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# words that keep their final s
INVARIANT = frozenset(
    {
        "asparagus", "couscous", "hummus", "molasses", "swiss", "brussels", "citrus", "octopus",
        "bus", "cress", "grass", "glass", "gas", "hibiscus", "lotus", "cactus", "tortellinis", "gnocchi",
        "series", "species", "oats", "grits", "greens", "plus", "this", "is", "was", "has", "its",
        "cannellinis", "chips",
    }
)  # fmt: skip
IRREGULAR = {
    "leaves": "leaf", "loaves": "loaf", "halves": "half", "knives": "knife", "chives": "chive",
    "cloves": "clove", "olives": "olive", "anchovies": "anchovy", "cherries": "cherry", "berries": "berry",
    "teeth": "tooth", "geese": "goose", "mice": "mouse", "dice": "dice", "potatoes": "potato",
    "tomatoes": "tomato", "mangoes": "mango", "avocados": "avocado", "peaches": "peach",
    "radishes": "radish", "sandwiches": "sandwich", "dishes": "dish", "boxes": "box", "glasses": "glass",
    "molasses": "molasses", "oats": "oat", "pastries": "pastry", "cookies": "cookie", "brownies": "brownie",
    "calories": "calorie", "smoothies": "smoothie", "zucchinis": "zucchini", "zucchini": "zucchini",
    "spinachs": "spinach", "noodles": "noodle", "grapes": "grape", "lentils": "lentil", "sauces": "sauce",
    "juices": "juice", "pieces": "piece", "slices": "slice", "spices": "spice", "rices": "rice",
    "chilies": "chilli", "chillies": "chilli", "chiles": "chilli", "chili": "chilli", "chile": "chilli",
}  # fmt: skip
STOP_WORDS = frozenset({"of", "the", "a", "an", "for", "to", "and", "or", "from", "in", "with", "de"})


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def singular(word: str) -> str:
    if word in IRREGULAR:
        return IRREGULAR[word]
    if word in INVARIANT or len(word) <= 3:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses", "zes")):
        return word[:-2]
    if word.endswith("oes"):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words_of(text: str, keep_stop_words: bool = False) -> tuple[str, ...]:
    """The words of a name as the matcher compares them."""
    text = strip_accents(text.lower()).replace("&", " and ").replace("'", "").replace("\u2019", "")
    raw = re.findall(r"[a-z0-9]+(?:\.[0-9]+)?", text)
    return tuple(singular(w) for w in raw if keep_stop_words or w not in STOP_WORDS)


# recipe words -> the taxonomy's words: whole phrases, applied to the words of a need (longest first);
# each line is "what kitchens say, … = what the taxonomy says"
RECIPE_PHRASES: dict[str, str] = {
    alias.strip(): target.strip()
    for line in """
all purpose flour, ap flour, plain flour, plain white flour, white flour = wheat flour
unbleached all purpose flour, cake flour, pastry flour = wheat flour
bread flour, strong white bread flour, strong flour, strong white flour = wheat bread flour
self rising flour, self raising flour = self raising wheat flour
wholemeal flour = whole wheat flour
baking soda, bicarb soda, bicarb, sodium bicarbonate = bicarbonate soda
baking powder = baking powder raising agent
icing sugar, confectioner sugar, confectioners sugar = powdered sugar
superfine sugar, castor sugar, golden caster sugar = caster sugar
white sugar = granulated sugar
light brown sugar, dark brown sugar, soft brown sugar, light brown soft sugar = brown sugar
dark brown soft sugar = brown sugar
light muscovado sugar, dark muscovado sugar, muscovado sugar = muscovado
demerara sugar, turbinado sugar = cane sugar
heavy cream, double cream, whipping cream, heavy whipping cream, single cream, light cream = cream
thickened cream, pouring cream, table cream = cream
spring onion, green onion, salad onion = scallion
cilantro = coriander leaf
fresh coriander = fresh coriander leaf
ground coriander = ground coriander seed
coriander seed = coriander seed
stock cube = bouillon cube
stock, bouillon = broth
chicken stock = chicken broth
vegetable stock, veg stock = vegetable broth
beef stock = beef broth
beef mince, minced beef, lean beef mince = ground beef
pork mince, minced pork = ground pork
bell pepper, capsicum = sweet pepper
red pepper = red bell pepper
green pepper = green sweet pepper
yellow pepper = yellow sweet pepper
eggplant = aubergine
courgette = zucchini
cornstarch, cornflour, corn flour = corn starch
kosher salt, fine salt = salt
table salt = table salt
flaky salt, flaky sea salt, sea salt flake, maldon salt = sea salt
garbanzo bean, chick pea = chickpea
evoo = extra virgin olive oil
neutral oil = vegetable oil
canola oil = canola oil
rapeseed oil = rapeseed oil
groundnut oil = peanut oil
unsalted butter = unsalted butter
salted butter = salted butter
full fat milk, full cream milk = whole milk
semi skimmed milk = semi skimmed milk
skim milk = skimmed milk
greek yoghurt = greek yogurt
natural yoghurt, natural yogurt = plain yogurt
yoghurt = yogurt
parmesan = parmesan cheese
parmigiano reggiano = parmigiano reggiano
large egg = egg
free range egg = free range egg
black pepper = black pepper
freshly ground black pepper, cracked black pepper = ground black pepper
pepper = pepper
ground pepper = ground pepper
vanilla, vanilla essence, pure vanilla extract = vanilla extract
dijon = dijon mustard
soya sauce, tamari = soy sauce
red pepper flake, crushed red pepper = chilli flake
chilli powder = chili powder
maple syrup = maple syrup
golden syrup = golden syrup
instant yeast, active dry yeast, dried yeast, fast action yeast = yeast
bittersweet chocolate, semisweet chocolate, semi sweet chocolate = dark chocolate
chocolate chip = chocolate chip
cocoa, unsweetened cocoa powder, cacao powder = cocoa powder
lemon juice = lemon juice
lime juice = lime juice
lemon zest = lemon zest
porridge oat, old fashioned oat, quick oat, oat, oat flake = rolled oat
panko, panko breadcrumb, breadcrumb = bread crumb
passata, tomato passata = tomato puree
tomato paste = tomato paste
chopped tomato = chopped tomato
plum tomato = tomato
cherry tomato = cherry tomato
ginger root = ginger
fresh ginger = fresh ginger
mayo = mayonnaise
ketchup = ketchup
plumbers grease = silicone grease
""".strip().splitlines()
    for aliases, target in [line.split(" = ")]
    for alias in aliases.split(",")
}

# the taxonomy's own names, read with a few more synonyms it lacks (concept id -> extra names)
EXTRA_NAMES: dict[str, tuple[str, ...]] = {
    "en:bicarbonates-of-soda": ("bicarbonate soda",),
    "en:baking-powder-or-raising-agent": ("baking powder raising agent", "baking powder"),
    "en:scallions": ("scallion",),
    "en:coriander-leaves": ("coriander leaf",),
    "en:fresh-coriander-leaves": ("fresh coriander leaf",),
    "en:coriander-seeds": ("coriander seed",),
    "en:wheat-flours": ("wheat flour",),
    "en:wheat-bread-flour": ("wheat bread flour",),
    "en:self-raising-wheat-flour": ("self raising wheat flour",),
    "en:ground-beef-preparations": ("ground beef",),
    "en:corn-starch": ("corn starch",),
    "en:vanilla-extract": ("vanilla extract",),
    "en:creams": ("cream",),
    "en:peppers": ("pepper",),
    "en:rolled-oats": ("rolled oat", "oat flake"),
    "en:parmigiano-reggiano": ("parmesan cheese", "parmesan"),
    "en:poultry-broth": ("chicken broth", "poultry broth"),
    "en:tomato-purees": ("tomato puree",),
}
