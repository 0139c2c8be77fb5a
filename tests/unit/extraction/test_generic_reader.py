"""Pages from sites no library knows: the structured list cleaned as the site readers clean theirs, its
group-heading lines made groups, the recipe plugins' blocks read by their own class names, the shown list
preferred when the structured one is plainly worse, lists found without markup, and an honest reason
for every page that still gives nothing."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from agents.extraction.extract import extract_method

SHARED_DATA = Path(
    os.environ.get("KITTING_SHARED_DATA", Path(__file__).resolve().parents[4] / "shared" / "data")
)


def json_ld_page(ingredients: list[str], body: str = "") -> str:
    recipe = {"@context": "https://schema.org", "@graph": [{"@type": "WebPage"}, {
        "@type": "Recipe", "name": "Cake", "recipeIngredient": ingredients}]}  # fmt: skip
    script = f'<script type="application/ld+json">{json.dumps(recipe)}</script>'
    return f"<html><head>{script}</head><body><h1>Cake</h1>{body}</body></html>"


def lines(page: str) -> list[tuple[str, str | None]]:
    return [(c.text, c.group) for c in extract_method(page).components]


def test_structured_lines_are_cleaned_as_the_site_readers_clean_them() -> None:
    page = json_ld_page(["1 1/2 cups <b>Arborio rice</b>", "1Â¼ cups half and half", "2 &amp;amp; 3 eggs",
                         "1 cup ((about 120 g)) flour"])  # fmt: skip
    assert [text for text, _ in lines(page)] == [
        "1 1/2 cups Arborio rice", "1¼ cups half and half", "2 & 3 eggs", "1 cup (about 120 g) flour"
    ]  # fmt: skip


def test_group_heading_lines_in_structured_data_become_groups() -> None:
    page = json_ld_page(
        ["FOR THE MARINADE", "2 tbsp soy sauce", "1 tsp honey", "For the rice:", "200 g rice"]
    )
    assert lines(page) == [
        ("2 tbsp soy sauce", "FOR THE MARINADE"), ("1 tsp honey", "FOR THE MARINADE"),
        ("200 g rice", "For the rice"),
    ]  # fmt: skip


def test_capital_lines_are_headings_only_over_lines_that_are_not() -> None:
    page = json_ld_page(["DOUGH", "2 cups flour", "SALT", "PEPPER", "1 EGG"])
    assert lines(page) == [
        ("2 cups flour", "DOUGH"),
        ("SALT", "DOUGH"),
        ("PEPPER", "DOUGH"),
        ("1 EGG", "DOUGH"),
    ]


WPRM = """<div class="wprm-recipe-ingredients-container">
<div class="wprm-recipe-ingredient-group"><h4 class="wprm-recipe-group-name">Dough</h4>
<ul class="wprm-recipe-ingredients">
<li class="wprm-recipe-ingredient"><span class="wprm-checkbox-container"><input type="checkbox">
<span class="sr-only">▢ </span></span><span>250</span> <span>g</span> <span>flour</span></li>
<li class="wprm-recipe-ingredient"><span class="sr-only">▢ </span>1 tsp salt</li></ul></div>
<div class="wprm-recipe-ingredient-group"><h4 class="wprm-recipe-group-name">Topping</h4>
<ul class="wprm-recipe-ingredients"><li class="wprm-recipe-ingredient">2 tbsp sugar</li></ul></div></div>"""


def test_a_recipe_plugin_block_gives_its_groups_and_is_read_without_its_checkboxes() -> None:
    expected = [("250 g flour", "Dough"), ("1 tsp salt", "Dough"), ("2 tbsp sugar", "Topping")]
    assert lines(json_ld_page(["250 g flour", "1 tsp salt", "2 tbsp sugar"], WPRM)) == expected
    assert lines(f"<html><body>{WPRM}</body></html>") == expected


def test_the_shown_list_is_read_when_the_structured_one_lost_its_amounts() -> None:
    shown = '<ul class="ingredients"><li>500 ml milk</li><li>10 tbsp flour</li><li>2 eggs</li></ul>'
    assert [t for t, _ in lines(json_ld_page(["milk", "flour", "eggs"], shown))] == [
        "500 ml milk", "10 tbsp flour", "2 eggs"
    ]  # fmt: skip
    # a structured line without the shown one's note is the page's statement: kept as it is
    noted = '<ul class="ingredients"><li>500 ml milk, warm</li><li>2 eggs</li></ul>'
    assert [t for t, _ in lines(json_ld_page(["500 ml milk", "2 eggs"], noted))] == ["500 ml milk", "2 eggs"]


def test_lists_are_found_without_markup_or_heading() -> None:
    broken = """<div class="ingredients-block__list"><p><strong>Meatballs</strong><br>
    400 grams lamb mince<br> 2 teaspoons ground cumin<br><strong>Sauce</strong><br>
    2 tablespoons olive oil<br> 1 large onion</p></div>"""
    assert lines(f"<html><body>{broken}</body></html>") == [
        ("400 grams lamb mince", "Meatballs"), ("2 teaspoons ground cumin", "Meatballs"),
        ("2 tablespoons olive oil", "Sauce"), ("1 large onion", "Sauce"),
    ]  # fmt: skip
    plain = """<ul><li>2-Day Delivery</li><li>Add $75.00 More</li></ul><div><h1>Chicken salad</h1>
    <ul><li>6 cups chicken, shredded</li><li>3 cups grapes</li><li>2 celery ribs</li>
    <li>2 cups mayonnaise</li><li>½ tsp salt</li></ul>
    <p>Mix everything in a large bowl and chill for an hour before serving it.</p></div>"""
    assert [t for t, _ in lines(f"<html><body>{plain}</body></html>")] == [
        "6 cups chicken, shredded", "3 cups grapes", "2 celery ribs", "2 cups mayonnaise", "½ tsp salt"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        (
            '<script type="application/ld+json">{"@type": "ItemList", "itemListElement": '
            '[{"@type": "ListItem", "url": "https://x.example/a"}]}</script><p>Our best cakes</p>',
            "index of several recipes",
        ),
        ('<div id="app" data-page="{&quot;ingredients&quot;: []}"></div>', "draws its list with a script"),
        (
            '<script type="application/ld+json">{"@type": "Recipe", "name": "Tea"}</script>',
            "lists no ingredients",
        ),
        ("<p>Hello</p>", "no recipe or how-to in the page"),
    ],
)
def test_a_page_that_gives_nothing_says_why(page: str, reason: str) -> None:
    method = extract_method(f"<html><body>{page}</body></html>")
    assert not method.components and method.reason and reason in method.reason


IDENTITY = re.compile(
    r"<link\b[^>]*\brel\s*=\s*[\"']?canonical\b[^>]*>|<meta\b[^>]*og:url[^>]*>|<base\b[^>]*>", re.I
)


@pytest.mark.skipif(not (SHARED_DATA / "pages").exists(), reason="no shared data (set KITTING_SHARED_DATA)")
def test_public_pages_read_without_their_site_identity() -> None:
    """Every public page read as from a site no library knows (bench/extraction.py --anonymous has the
    full figures): nearly all give a list, and most the very list the site's own reader gives."""
    pages = sorted((SHARED_DATA / "pages").glob("*/*.testhtml"))
    non_empty = blind = 0
    for page in pages:
        expected = json.loads(page.with_suffix(".json").read_text())["ingredients"]
        got = [c.text for c in extract_method(IDENTITY.sub("", page.read_text(errors="replace"))).components]
        non_empty += bool(got)
        blind += [re.sub(r"\W+", " ", x).strip() for x in got] == [
            re.sub(r"\W+", " ", x).strip() for x in expected
        ]
    assert non_empty / len(pages) >= 0.97
    assert blind / len(pages) >= 0.87


def test_a_known_sites_groups_are_asked_only_when_the_page_can_have_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """recipe-scrapers' default grouping searches the whole page with CSS selectors (a third of a known
    page's reading) and finds groups only where the plugin classes it names are: a page without them is
    not searched, and reads the same."""
    import recipe_scrapers._abstract as abstract

    searched: list[int] = []
    real = abstract.group_ingredients

    def counted(ingredients: list[str], soup: object, *args: object) -> object:
        searched.append(len(ingredients))
        return real(ingredients, soup, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(abstract, "group_ingredients", counted)
    canonical = '<link rel="canonical" href="https://cakewhiz.com/cake/">'
    plain = json_ld_page(["250 g flour", "1 tsp salt", "2 tbsp sugar"]).replace(
        "<head>", f"<head>{canonical}"
    )
    method = extract_method(plain)
    assert method.source == "recipe-scrapers:cakewhiz.com" and not searched
    assert [c.text for c in method.components] == ["250 g flour", "1 tsp salt", "2 tbsp sugar"]
    grouped = json_ld_page(["250 g flour", "1 tsp salt", "2 tbsp sugar"], WPRM.replace("▢ ", ""))
    method = extract_method(grouped.replace("<head>", f"<head>{canonical}"))
    assert searched == [3]
    assert [(c.text, c.group) for c in method.components] == [
        ("250 g flour", "Dough"), ("1 tsp salt", "Dough"), ("2 tbsp sugar", "Topping")
    ]  # fmt: skip


def test_classed_rows_without_a_classed_table_read_cell_by_cell_and_beat_a_worse_structured_list() -> None:
    rows = "".join(
        f'<tr class="recipe-ingredients__row"><td class="recipe-ingredients__amount">{amount}</td>'
        f'<td class="recipe-ingredients__ingredient">{name}</td></tr>'
        for amount, name in (("500 ml", "mlieko"), ("10 PL", "múka hladká"), ("2 ks", "vajcia"))
    )
    page = json_ld_page(["mlieko, 500 ml", "vajcia, 2 ks", "múka hladká, 10 PL"], f"<table>{rows}</table>")
    assert [t for t, _ in lines(page)] == ["500 ml mlieko", "10 PL múka hladká", "2 ks vajcia"]


@pytest.mark.parametrize(
    ("heading", "method"),
    [
        ("Hozzávalók", "Elkészítés"),
        ("材料\uff082人分\uff09", "作り方"),
        ("Ингредиенты", "Приготовление"),
        ("Malzemeler", "Yap\u0131l\u0131\u015f\u0131"),
    ],
)
def test_the_list_under_an_ingredients_heading_in_other_languages_ends_at_the_method(
    heading: str, method: str
) -> None:
    page = f"""<html><body><div><h2>{heading}</h2><ul><li>200 g liszt</li><li>2 tojás</li></ul>
    <h3>{method}</h3><ol><li>Mix in 2 bowls</li><li>Bake 20 min</li></ol>
    </div></body></html>"""
    assert [t for t, _ in lines(page)] == ["200 g liszt", "2 tojás"]


def test_comments_beside_a_heading_or_in_a_list_are_not_read_and_break_nothing() -> None:
    page = """<html><body><h2>Ingredients</h2><!-- the list --><ul><li>2 eggs</li><!-- x -->
    <li>1 cup milk</li></ul><h2>Method</h2><p>Whisk.</p></body></html>"""
    assert [t for t, _ in lines(page)] == ["2 eggs", "1 cup milk"]


def test_a_line_written_in_two_groups_takes_each_group_in_turn() -> None:
    tasty = """<div class="tasty-recipes-ingredients"><h3>Ingredients</h3>
    <div class="tasty-recipes-ingredients-body"><p>For the dough:</p>
    <ul><li>1 tsp salt</li><li>200 g flour</li></ul>
    <p>For the sauce:</p><ul><li>1 tsp salt</li><li>2 tbsp butter</li></ul></div></div>"""
    page = json_ld_page(["1 tsp salt", "200 g flour", "1 tsp salt", "2 tbsp butter"], tasty)
    assert lines(page) == [
        ("1 tsp salt", "For the dough"), ("200 g flour", "For the dough"),
        ("1 tsp salt", "For the sauce"), ("2 tbsp butter", "For the sauce"),
    ]  # fmt: skip


def test_a_howto_in_sections_gives_the_supplies_and_tools_of_every_step() -> None:
    howto = {"@context": "https://schema.org", "@type": "HowTo", "name": "Shelf", "step": [
        {"@type": "HowToSection", "name": "Prepare", "itemListElement": [
            {"@type": "HowToStep", "text": "Cut the board", "tool": [{"@type": "HowToTool", "name": "Saw"}],
             "supply": [{"@type": "HowToSupply", "name": "Pine board"}]}]},
        {"@type": "HowToSection", "name": "Hang", "itemListElement": [
            {"@type": "HowToStep", "text": "Drill", "tool": {"@type": "HowToTool", "name": "Drill"},
             "supply": [{"@type": "HowToSupply", "name": "Wall plugs"},
                        {"@type": "HowToSupply", "name": "Pine board"}]}]},
    ]}  # fmt: skip
    script = f'<script type="application/ld+json">{json.dumps(howto)}</script>'
    page = f"<html><head>{script}</head><body></body></html>"
    method = extract_method(page)
    assert method.kind == "howto"
    assert [(c.text, c.kind.value) for c in method.components] == [
        ("Pine board", "supply"), ("Saw", "tool"), ("Wall plugs", "supply"), ("Drill", "tool")
    ]  # fmt: skip


def test_a_page_naming_no_list_is_not_handed_to_recipe_scrapers(monkeypatch: pytest.MonkeyPatch) -> None:
    """recipe-scrapers' schema.org reading finds a list only under recipeIngredient or ingredients: a page
    naming neither (the chaos drill's 5 MB page of paragraphs) is not parsed a second time for nothing."""
    import recipe_scrapers

    from agents.extraction.extract import extract_method

    asked: list[str] = []

    def scrape_html(html: str, **_: object) -> None:
        asked.append(html)

    monkeypatch.setattr(recipe_scrapers, "scrape_html", scrape_html)
    page = "<html><body>" + "<p>lorem ipsum dolor sit amet</p>" * 2000 + "</body></html>"
    assert extract_method(page, "https://unknown.example/a").components == []
    assert asked == []
    extract_method(page.replace("lorem", "ingredients", 1), "https://unknown.example/a")
    assert len(asked) == 1  # a page that names one still is
