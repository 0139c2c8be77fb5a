"""The roles' real handlers and wiring, driven by an in-memory bus: no broker, real SQL."""

import base64
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from agents.baskets.store import Basket
from agents.cli.demo import demo_page
from agents.ordering.tables import Order
from agents.privacy.demo_customer import DEMO_CUSTOMER, seed_demo_customer
from agents.privacy.vault import Vault
from agents.reference.profiles import REFERENCE_SHOPS
from schemas.envelope import Envelope, new_envelope
from schemas.events import MethodBrowsed, QuotePreferences
from streams.codec import encode, encode_key
from streams.persistence import Database, OutboxRecord, ProcessedEvent, UnitOfWork
from streams.topics import CONTRACT_TOPICS, Topic
from tests.fakes import TEST_VAULT_KEY, InMemoryBus

VAULT = Vault(base64.b64decode(TEST_VAULT_KEY))


def browse(
    basket_id: str, quote: bool = True, html: str | None = None, customer_ref: str | None = None
) -> bytes:
    """The demo page browsed by the demo customer; the reference concealed for the basket as Kitting's
    entry points do (or `customer_ref` as given)."""
    ref = customer_ref if customer_ref is not None else VAULT.conceal(DEMO_CUSTOMER, basket_id)
    data = MethodBrowsed(
        basket_id=basket_id,
        url="https://recipes.example/p",
        html=html if html is not None else demo_page(),
        quote=QuotePreferences(customer_ref=ref) if quote else None,
    )
    return encode(new_envelope(data, source="urn:test", subject=basket_id))


@pytest.fixture(autouse=True)
def demo_customer(database: Database) -> None:
    """The customer of these baskets has contact data in the vault."""
    seed_demo_customer(database.url, base64.b64decode(TEST_VAULT_KEY))


def status_of(database: Database, basket_id: str) -> str:
    with database.session() as session:
        basket = session.get(Basket, basket_id)
        assert basket is not None
        return basket.status


def test_a_basket_goes_through_every_topic_and_completes(database: Database) -> None:
    bus = InMemoryBus(database).register_roles()
    bus.publish(Topic.METHOD_BROWSED, encode_key("b1"), browse("b1"))
    assert status_of(database, "b1") == "completed"
    counts = bus.counts()
    assert all(counts[t.topic_name] >= 1 for t in CONTRACT_TOPICS), counts
    grocers = [s.provider_id for s in REFERENCE_SHOPS if "grocery" in s.categories and "default" in s.regions]
    asked = {json.loads(raw)["data"]["provider_id"] for raw in bus.values(Topic.QUOTE_REQUESTED)}
    assert asked == set(grocers)  # every grocer of the region, no hardware shop
    selected = json.loads(bus.values(Topic.PROVIDERS_SELECTED)[0])["data"]
    assert selected["uncovered"] == [] and selected["closed_by"] == "all-answered"
    orders = [json.loads(raw)["data"] for raw in bus.values(Topic.ORDER_PLACED)]
    assert sorted(o["provider_id"] for o in orders) == selected["providers"]  # one order per chosen shop
    for order in orders:
        mine = {
            (line["line_id"], line["sku"])
            for line in selected["lines"]
            if line["provider_id"] == order["provider_id"]
        }
        assert {(line["line_id"], line["sku"]) for line in order["lines"]} == mine  # its own lines only
    assert bus.dead == []


def test_without_quote_preferences_it_stops_after_extraction(database: Database) -> None:
    bus = InMemoryBus(database).register_roles()
    bus.publish(Topic.METHOD_BROWSED, encode_key("b2"), browse("b2", quote=False))
    assert set(bus.counts()) == {"method-browsed", "components-extracted", "basket-status"}
    assert status_of(database, "b2") == "extracted"


def test_a_page_without_a_method_fails_the_basket_with_the_reason(database: Database) -> None:
    bus = InMemoryBus(database).register_roles()
    bus.publish(Topic.METHOD_BROWSED, encode_key("b3"), browse("b3", html="<p>no recipe</p>"))
    assert status_of(database, "b3") == "failed"
    last = json.loads(bus.values(Topic.BASKET_STATUS)[-1])["data"]
    assert "no recipe or how-to in the page" in last["reason"]
    extracted = json.loads(bus.values(Topic.COMPONENTS_EXTRACTED)[-1])["data"]
    assert extracted["components"] == [] and "no recipe or how-to" in extracted["reason"]


def test_a_repeated_event_is_handled_once(database: Database) -> None:
    bus = InMemoryBus(database).register_roles()
    raw = browse("b4")
    bus.publish(Topic.METHOD_BROWSED, encode_key("b4"), raw)
    before = bus.counts()
    bus.publish(Topic.METHOD_BROWSED, encode_key("b4"), raw)  # at-least-once delivery repeats it
    after = bus.counts()
    before[Topic.METHOD_BROWSED.topic_name] += 1
    assert after == before  # only the repeated record itself: no handler emitted anything again
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 1


def test_effect_and_processed_mark_commit_together(database: Database) -> None:
    """A handler that fails leaves neither its effect, nor its outbox rows, nor the processed mark."""
    envelope = new_envelope(
        MethodBrowsed(basket_id="b5", url="u", html=demo_page()), source="urn:test", subject="b5"
    )

    def failing(env: Envelope[Any], uow: UnitOfWork) -> None:
        uow.session.add(Basket(basket_id="b5", url="u", status="extracted"))
        uow.emit(env.data)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        database.handle_once("test", envelope, "urn:test", failing)
    with database.session() as session:
        for table in (Basket, OutboxRecord, ProcessedEvent):
            assert session.scalar(select(func.count()).select_from(table)) == 0


def test_deadline_closes_a_round_with_missing_answers(database: Database) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from agents.quoting.tables import QuoteRound
    from streams.persistence import utcnow

    bus = InMemoryBus(database).register_roles()
    del bus.consumers[Topic.QUOTE_REQUESTED][1:]  # only the coordinator hears requests: no shop answers
    basket = f"b-{uuid.uuid4().hex[:6]}"
    bus.publish(Topic.METHOD_BROWSED, encode_key(basket), browse(basket))
    assert status_of(database, basket) == "quoting"
    with database.session() as session:
        round_ = session.scalars(select(QuoteRound)).one()
        assert round_.sent_at is not None  # the deadline counts from when the requests were on the bus
        assert round_.deadline >= round_.sent_at + timedelta(seconds=bus.settings.quote_deadline_s)
    bus.run_job("coordinator.deadlines")
    assert status_of(database, basket) == "quoting"  # deadline not reached yet
    with database.session() as session:
        session.execute(update(QuoteRound).values(deadline=utcnow() - timedelta(seconds=1)))
    bus.run_job("coordinator.deadlines")
    assert status_of(database, basket) == "failed"
    with database.session() as session:
        round_ = session.scalars(select(QuoteRound)).one()
        assert (round_.status, round_.closed_by) == ("closed", "deadline")


def test_rounds_are_decided_from_sql_whatever_the_table_holds(database: Database) -> None:
    """After a rebalance the windowed table may lag SQL or miss a round: the offer that completes a round
    has it decided from the offers in SQL."""
    bus = InMemoryBus(database).register_roles()
    table = bus.states[Topic.COORDINATOR_ROUNDS]
    table.put = lambda key, value: None  # type: ignore[method-assign]  # the table never holds a round
    basket = f"b-{uuid.uuid4().hex[:6]}"
    bus.publish(Topic.METHOD_BROWSED, encode_key(basket), browse(basket))
    assert status_of(database, basket) == "completed"
    assert bus.states[Topic.COORDINATOR_ROUNDS].data == {}
    selected = json.loads(bus.values(Topic.PROVIDERS_SELECTED)[0])["data"]
    assert (
        selected["closed_by"] == "all-answered"
        and len(selected["answered"]) == len(selected["addressed"]) > 1
    )


def test_a_round_whose_requests_were_not_seen_waits_for_the_backlog_then_is_decided(
    database: Database,
) -> None:
    """The coordinator's own backlog is not the shops' lateness: a round whose requests it has not read
    yet is decided by its deadline only after a grace, from what SQL holds then."""
    from datetime import timedelta

    from sqlalchemy import update

    from agents.quoting.decisions import BACKLOG_GRACE
    from agents.quoting.tables import QuoteRound
    from streams.persistence import utcnow

    bus = InMemoryBus(database).register_roles()
    bus.consumers[Topic.QUOTE_REQUESTED] = [
        s for s in bus.consumers[Topic.QUOTE_REQUESTED] if s.consumer != "coordinator.rounds"
    ]
    del bus.consumers[Topic.QUOTE_OFFERED][:]  # no offer reaches the coordinator either
    basket = f"b-{uuid.uuid4().hex[:6]}"
    bus.publish(Topic.METHOD_BROWSED, encode_key(basket), browse(basket))
    with database.session() as session:
        session.execute(update(QuoteRound).values(deadline=utcnow() - timedelta(seconds=1)))
    bus.run_job("coordinator.deadlines")
    assert status_of(database, basket) == "quoting"
    with database.session() as session:
        session.execute(update(QuoteRound).values(deadline=utcnow() - BACKLOG_GRACE - timedelta(seconds=1)))
    bus.run_job("coordinator.deadlines")
    assert status_of(database, basket) == "failed"


def test_a_basket_with_a_line_nobody_sells_ends_completed_partially_with_what_is_missing(
    database: Database,
) -> None:
    bus = InMemoryBus(database).register_roles()
    html = demo_page().replace('"1 pinch of salt"', '"1 pinch of salt",\n    "2 tbsp unicorn dust"')
    bus.publish(Topic.METHOD_BROWSED, encode_key("b9"), browse("b9", html=html))
    assert status_of(database, "b9") == "completed-partially"
    final = json.loads(bus.values(Topic.BASKET_STATUS)[-1])["data"]
    assert final["status"] == "completed-partially"
    assert final["reason"].startswith("6 of 7 items: missing unicorn dust")
    [missing] = final["missing"]
    assert missing["name"] == "unicorn dust" and missing["reason"] == "no offer"
    with database.session() as session:
        basket = session.get(Basket, "b9")
        assert basket is not None and json.loads(basket.missing or "[]") == [missing]


def test_nobody_orders_for_a_person_with_a_reference_kitting_did_not_issue_for_the_basket(
    database: Database,
) -> None:
    """A plain customer reference, or one copied from another basket's event, put on the bus with any
    Kafka client: the basket fails with the reason, and nothing is ordered or paid."""
    bus = InMemoryBus(database).register_roles()
    copied = VAULT.conceal(DEMO_CUSTOMER, "someone-elses-basket")
    for basket, ref in (("plain", DEMO_CUSTOMER), ("copied", copied)):
        bus.publish(Topic.METHOD_BROWSED, encode_key(basket), browse(basket, customer_ref=ref))
        with database.session() as session:
            stored = session.get(Basket, basket)
            assert stored is not None and stored.status == "failed"
            assert "nobody can order for this basket" in (stored.reason or "")
            assert (
                session.scalar(select(func.count()).select_from(Order).where(Order.basket_id == basket)) == 0
            )
    assert bus.values(Topic.ORDER_PLACED) == [] and bus.values(Topic.SETTLEMENT_REQUESTED) == []


def test_a_round_that_cannot_be_decided_holds_back_no_other(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A decision that fails (here: the selection raises for one basket) leaves that round open for the
    timer and the worker serving every other basket; nothing is lost."""
    from datetime import timedelta

    from sqlalchemy import update

    import agents.quoting.agent as quoting_agent
    from agents.quoting.tables import QuoteRound
    from streams.persistence import utcnow

    real_choose = quoting_agent.choose

    def choose(inputs: Any, now: Any) -> Any:
        if inputs.round_.basket_id == "bad":
            raise RuntimeError("the selection broke")
        return real_choose(inputs, now)

    monkeypatch.setattr(quoting_agent, "choose", choose)
    bus = InMemoryBus(database).register_roles()
    for basket in ("bad", "good"):
        bus.publish(Topic.METHOD_BROWSED, encode_key(basket), browse(basket))
    assert (status_of(database, "bad"), status_of(database, "good")) == ("quoting", "completed")
    with database.session() as session:
        session.execute(update(QuoteRound).values(deadline=utcnow() - timedelta(minutes=1)))
    bus.run_job("coordinator.deadlines")  # tries again, says why, raises nothing
    monkeypatch.setattr(quoting_agent, "choose", real_choose)
    bus.run_job("coordinator.deadlines")
    assert status_of(database, "bad") == "completed"  # its offers were kept all along
