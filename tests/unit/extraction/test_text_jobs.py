from decimal import Decimal

import pytest

import agents.extraction.text as text_module
from agents.extraction.text import extract_text, list_lines
from schemas.events import Component, ComponentKind


def _named(components: list[Component]) -> dict[str, Component]:
    return {component.name.lower(): component for component in components}


def test_a_list_with_bullets_and_numbering_gives_one_component_a_line() -> None:
    method = extract_text(
        "- 2 onions\n* 500g flour\n• 1 tsp salt\n1. 2 eggs\n2) 250 ml milk\n\n[ ] 1 lemon\n"
    )
    assert method.kind == "list" and method.reason is None and method.source == "text"
    assert [c.text for c in method.components] == [
        "2 onions",
        "500g flour",
        "1 tsp salt",
        "2 eggs",
        "250 ml milk",
        "1 lemon",
    ]
    named = _named(method.components)
    assert named["flour"].quantity is not None
    assert (named["flour"].quantity.amount, named["flour"].quantity.unit) == (Decimal(500), "g")
    assert named["milk"].quantity is not None and named["milk"].quantity.unit == "ml"
    assert [c.line_id for c in method.components] == [f"c{i}" for i in range(1, 7)]


def test_a_decimal_quantity_is_not_taken_for_numbering() -> None:
    (flour,) = extract_text("1.5 kg flour").components
    assert flour.quantity is not None and flour.quantity.amount == Decimal("1.5")


def test_headings_switch_the_kind_of_the_lines_below_them() -> None:
    text = (
        "Ingredients:\n200 g butter\nFor the sauce:\n3 tbsp olive oil\n"
        "Tools:\n1 wooden spoon\nlarge saucepan\nMaterials:\n2 sheets of sandpaper\n"
        "Shopping list\n1 loaf of bread\n"
    )
    method = extract_text(text, "fax-text")
    kinds = {c.text: c.kind for c in method.components}
    assert kinds == {
        "200 g butter": ComponentKind.ingredient,
        "3 tbsp olive oil": ComponentKind.ingredient,
        "1 wooden spoon": ComponentKind.tool,
        "large saucepan": ComponentKind.tool,
        "2 sheets of sandpaper": ComponentKind.supply,
        "1 loaf of bread": ComponentKind.ingredient,
    }
    named = _named(method.components)
    assert named["wooden spoon"].quantity is not None  # a tool line is parsed like any other
    assert named["wooden spoon"].quantity.amount == Decimal(1)
    assert named["olive oil"].group == "For the sauce" and named["butter"].group is None
    assert all(c.provenance == "fax-text" for c in method.components)


def test_fax_header_greetings_requests_and_sign_off_are_left_out() -> None:
    text = """FROM: +44 20 7946 0000   24/11/2026 09:12   P.1/1
Fax: +44 20 7946 0001
Page 1 of 1
Hi Sam,
Shopping list for lentil curry
Could you get these for me:
2 onions
400 g red lentils
-----
020 7946 0000
Please deliver before 6pm.
Thanks,
Jo Bloggs
"""
    method = extract_text(text)
    assert method.title == "Shopping list for lentil curry"
    assert [c.text for c in method.components] == ["2 onions", "400 g red lentils"]


def test_ocr_specks_before_the_title_do_not_hide_it() -> None:
    header = "FROM: +44 20 7946 0000 24/11/2026 09:12 P.1/1"
    method = extract_text(f"{header}\ny\n~ .\nShopping list - curry\n2 onions")
    assert method.title == "Shopping list - curry" and [c.text for c in method.components] == ["2 onions"]


def test_an_e_mail_subject_titles_the_job() -> None:
    method = extract_text("Subject: Re: Fwd: Saturday's dinner\n\n2 onions\n")
    assert method.title == "Saturday's dinner"
    assert [c.text for c in method.components] == ["2 onions"]


def test_a_first_line_with_a_quantity_is_no_title() -> None:
    method = extract_text("2 shopping bags\n3 lemons")
    assert method.title is None and len(method.components) == 2


@pytest.mark.parametrize("text", ["", "  \n\n ", "\t"])
def test_empty_text_gives_an_empty_method_with_the_reason(text: str) -> None:
    method = extract_text(text)
    assert method.components == [] and method.kind == "none"
    assert method.reason == "no components in the text: it is empty"


def test_text_without_list_lines_gives_the_reason() -> None:
    method = extract_text("FROM: +44 20 7946 0000 24/11/2026 09:12 P.1/1\nHi,\nSee attached.\n---\nThanks\n")
    assert method.components == []
    assert method.reason is not None and method.reason.startswith("no components in the text: no list lines")


def test_list_lines_finds_the_lines_without_parsing_them() -> None:
    assert list_lines("Hi,\nPlease find the list attached.\nRegards\n") == []
    assert [line.text for line in list_lines("Hello\n- 2 eggs\nTools:\n1 whisk")] == ["2 eggs", "1 whisk"]
    assert list_lines("Tools:\n1 whisk")[0].kind is ComponentKind.tool


def test_lines_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_module, "MAX_LINES", 3)
    method = extract_text("\n".join(f"{n} eggs" for n in range(1, 10)))
    assert [c.text for c in method.components] == ["1 eggs", "2 eggs", "3 eggs"]
