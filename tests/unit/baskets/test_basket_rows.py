"""The basket rows a unit of work holds: the baskets of a whole batch read at once, a basket made in
the unit of work found without a query, a lock asked after a plain read taken with a query of its own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from agents.baskets.store import Basket, basket_of, set_status
from schemas.events import BasketStatus
from streams.persistence import Database


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "baskets" in statement:
            seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", note)


def test_the_baskets_of_a_batch_are_read_in_one_query_and_a_new_one_needs_none(database: Database) -> None:
    with database.unit_of_work("urn:test") as uow:
        for basket_id in ("b1", "b2"):
            uow.session.add(Basket(basket_id=basket_id, url="https://x.example/", status="extracted"))
    with statements(database) as seen, database.unit_of_work("urn:test", ("b1", "b2", "b3")) as uow:
        assert [set_status(uow, b, BasketStatus.quoting) for b in ("b1", "b2", "b3")] == [True] * 3
        assert basket_of(uow, "b3") is not None  # made by set_status in this unit of work
        assert [getattr(basket_of(uow, b), "status", None) for b in ("b1", "b2")] == ["quoting", "quoting"]
        assert len(seen) == 1 and "IN" in seen[0].upper()
        assert basket_of(uow, "elsewhere") is None and len(seen) == 2  # outside the batch: its own query
    with statements(database) as seen, database.unit_of_work("urn:test", ("b1", "b2")) as uow:
        assert basket_of(uow, "b1") is not None and len(seen) == 1
        assert basket_of(uow, "b1", lock=True) is not None and len(seen) == 2  # a lock needs its own read
        assert basket_of(uow, "b2", lock=True) is not None and len(seen) == 2  # ... taken for the batch
    with database.session() as session:
        assert {b.basket_id: b.status for b in session.query(Basket)} == {
            "b1": "quoting",
            "b2": "quoting",
            "b3": "quoting",
        }
