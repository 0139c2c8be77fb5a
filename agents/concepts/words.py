"""Words as the concept matcher compares them: lower case, no accents, singular, and the recipe words of
British, American and other kitchens read as the taxonomy names them."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from schemas.fitting import without_free

# words that keep their final s
INVARIANT = frozenset(
    {
        "asparagus", "couscous", "hummus", "molasses", "swiss", "brussels", "citrus", "octopus",
        "bus", "cress", "grass", "glass", "gas", "hibiscus", "lotus", "cactus", "tortellinis", "gnocchi",
        "series", "species", "oats", "grits", "greens", "plus", "this", "is", "was", "has", "its",
        "cannellinis",
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
    text = without_free(text)  # "gluten-free flour" is no gluten flour
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
unsweetened cocoa powder, cacao powder = cocoa powder
lemon juice = lemon juice
lime juice = lime juice
kale, cavolo nero, lacinato kale = curly kale
pecan, pecan half = pecan nut
cashew = cashew nut
lamb mince, minced lamb = lamb meat
pork mince, minced pork = pork
spring mix, mixed salad leaf, salad leaf, mixed green, salad green, mixed leaf = mesclun
sesame seed, white sesame seed, toasted sesame seed = sesame
tapioca starch, tapioca flour = tapioca
chuck roast, beef chuck roast = beef chuck
short rib, beef short rib = beef short rib
tikka masala paste, tikka paste, masala paste, curry paste = curry paste
corn tortilla, white corn tortilla, yellow corn tortilla = corn flatbread
flour tortilla, tortilla wrap, wheat tortilla = wheat flatbread
tortilla = flatbread
lemon zest, zest of lemon = lemon
lime zest, zest of lime = lime
orange zest, zest of orange = orange
egg yolk, egg white = egg
porridge oat, old fashioned oat, quick oat, oat flake = rolled oat
panko breadcrumb, panko bread crumb = panko
breadcrumb = bread crumb
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
vegetable oil, neutral oil, cooking oil, frying oil, canola or vegetable oil = neutral cooking oil
greek yogurt, greek style yogurt = greek style yogurt
plain greek yogurt, plain greek style yogurt, nonfat plain greek yogurt = plain greek style yogurt
ground turkey, turkey mince, minced turkey, ground chicken, chicken mince = poultry minced meat
minced chicken = poultry minced meat
tapioca starch, tapioca flour = tapioca
cardamom seed, cardamom pod, green cardamom seed, green cardamom pod = green cardamom
sweet apple cider = apple juice
jalapeno pepper, jalapeno chile, jalapeno chili = jalapeno
red chilli, fresh red chilli, red chili pepper = red chilli
chilli pepper, chili pepper, fresh chilli, green chilli = chili pepper
red pepper flake, crushed red pepper flake, chilli flake, chili flake, crushed red pepper = chili pepper
chocolate chip, semi sweet chocolate chip, semisweet chocolate chip, dark chocolate chip = dark chocolate
bittersweet chocolate chip = dark chocolate
milk chocolate chip = milk chocolate
white chocolate chip = white chocolate
espresso powder, instant espresso, instant espresso powder, instant coffee granule = instant coffee
bay leaf, dried bay leaf = bay laurel
chicken bouillon, chicken boullion, chicken bouillon powder, chicken stock powder = chicken bouillon
beef bouillon cube, beef stock cube, beef bouillon = beef broth
vegetable stock cube, vegetable bouillon cube = dehydrated vegetable bouillon
miso paste, white miso, yellow miso, red miso = miso
sriracha, sriracha sauce, sriracha hot chili sauce = sriracha sauce
flaxseed, linseed, flax = flax seed
ground flaxseed, ground linseed = ground flax seed
sherry vinegar = xeres vinegar
italian seasoning, italian herb seasoning, italian herbs seasoning, mixed herb = mixtures aromatic plant
dried mixed herb = mixtures aromatic plant
mexican oregano = dried oregano
cayenne, cayenne pepper, ground cayenne, ground cayenne pepper = cayenne powder
bok choy, pak choi, bok choi = chinese cabbage
apple cider vinegar, cider vinegar = cider vinegar
vegetable bouillon, vegetable bouillon powder, vegetable stock powder = dehydrated vegetable bouillon
sesame seed oil, toasted sesame oil = sesame oil
tomato puree = tomato paste
flank steak, skirt steak = beef flank steak
yellow miso paste, white miso paste, red miso paste = miso
italian seasoning blend = mixtures aromatic plant
""".strip().splitlines()
    for aliases, target in [line.split(" = ")]
    for alias in aliases.split(",")
}

# what a bare word means in a recipe, only when it is the whole name ("sugar", not "coconut sugar")
DEFAULTS: dict[str, str] = {
    alias.strip(): target.strip()
    for line in """
pepper = pepper
cocoa = cocoa powder
oat = rolled oat
sugar = granulated sugar
flour = wheat flour
pepper = black pepper
oil = neutral cooking oil
cardamom = green cardamom
yogurt, yoghurt = plain yogurt
chilli = chili pepper
coriander = coriander leaf
apple cider = apple juice
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
    "en:rolled-oats": ("rolled oat", "oat flake", "oat"),
    "en:spinach-young-leaves": ("baby spinach",),
    "en:parmigiano-reggiano": ("parmesan cheese", "parmesan"),
    "en:poultry-broth": ("chicken broth", "poultry broth"),
    "fr:jalapeno": ("jalapeno",),
    "fr:piments-rouges": ("red chilli",),
    "en:misos": ("miso",),
    "en:xeres-vinegars": ("xeres vinegar",),
    "en:mixtures-of-aromatic-plants": ("mixtures aromatic plant",),
    "en:instant-coffees": ("instant coffee",),
    "en:dehydrated-poultry-broth-stock": ("chicken bouillon",),
    "en:dehydrated-vegetable-bouillons": ("dehydrated vegetable bouillon",),
    "en:poultry-minced-meat": ("poultry minced meat",),
    "en:ground-flax-seeds": ("ground flax seed",),
    "kitting:neutral-cooking-oils": ("neutral cooking oil",),
    "en:tomato-purees": ("tomato puree",),
}
