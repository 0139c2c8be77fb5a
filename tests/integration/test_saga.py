"""The ordering saga on the embedded broker with a `kitting worker` process: every fulfilment and payment
completes, a rejection is re-ordered elsewhere, and personal data never shows in clear anywhere (the
crash and fault drill is in test_chaos.py)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
import uuid
from collections import Counter
from pathlib import Path

from aiokafka.structs import ConsumerRecord
from sqlalchemy import create_engine, select, text

from agents.cli.demo import browse_event
from agents.cli.processes import spawn_archiver
from agents.ordering.tables import Order
from agents.privacy.demo_customer import DEMO_CUSTOMER, seed_demo_customer
from agents.privacy.policy import sealed_fields
from agents.privacy.sealing import open_sealed
from agents.privacy.vault import Contact, Vault
from agents.reference.entries import reference_private_key
from schemas.events import SealedContact
from schemas.providers import ProviderKind
from schemas.vocabulary import DeliveryMethod, PaymentMethod, payment_problem
from streams.archive import read_archive
from streams.migrate import upgrade
from streams.persistence import Database
from streams.processes import stop_process
from streams.settings import Settings
from streams.topics import Topic
from tests.fakes import TEST_VAULT_KEY, InMemoryBus
from tests.integration.conftest import WorkerFactory
from tests.integration.kafka_helpers import collect, produce

Records = list[ConsumerRecord[bytes, bytes]]
KEY = bytes(range(100, 132))
KEY_B64 = base64.b64encode(KEY).decode()
COMBINATIONS = [(f, p) for f in DeliveryMethod for p in PaymentMethod if payment_problem(f, p) is None]
FINAL = (b'"completed"', b'"failed"')


def seed(database_url: str, contacts: dict[str, Contact]) -> None:
    upgrade(database_url)
    database = Database(database_url)
    with database.session() as session:
        for ref, contact in contacts.items():
            Vault(KEY).store(session, contact, customer_ref=ref)
    database.engine.dispose()


def final_statuses(records: Records) -> dict[bytes, str]:
    """The last final status per basket seen on basket-status."""
    done: dict[bytes, str] = {}
    for r in records:
        if r.topic == Topic.BASKET_STATUS.topic_name and any(word in (r.value or b"") for word in FINAL):
            done[r.key] = json.loads(r.value)["data"]["status"]
    return done


def send_baskets(bootstrap: str, baskets: dict[str, bytes]) -> None:
    async def go() -> None:
        for basket, raw in baskets.items():
            await produce(bootstrap, Topic.METHOD_BROWSED, basket.encode(), raw)

    asyncio.run(go())


def wait_final(bootstrap: str, baskets: list[str], timeout_s: float) -> Records:
    wanted = {b.encode() for b in baskets}

    def done(records: Records) -> bool:
        return wanted <= set(final_statuses(records))

    return asyncio.run(collect(bootstrap, list(Topic), done, timeout_s=timeout_s))


def canary_contact(tag: str) -> Contact:
    mark = uuid.uuid4().hex[:10]
    return Contact(
        name=f"Canaryname {tag} {mark}",
        street_address=f"{mark} Canarystreet {tag}",
        phone=f"+99 {int(mark, 16) % 10**9:09d}",
        email=f"canary-{mark}@example.invalid",
        payment_instrument=f"4999{int(mark, 16) % 10**12:012d}",
    )


def test_every_path_completes_and_personal_data_never_shows_in_clear(
    bootstrap: str, start_worker: WorkerFactory, tmp_path: Path
) -> None:
    """Canary test: each basket's customer has unique personal data; the shops the shop-delivered basket
    would be ordered from reject every order, so the compensation path runs too."""
    rejecting = first_choice(tmp_path / "probe.db", DeliveryMethod.own, PaymentMethod.electronic)
    database_url = f"sqlite:///{tmp_path / 'canary.db'}"
    var_dir = tmp_path / "var"
    contacts = {f"cust-{f}-{p}": canary_contact(f"{f}{p}") for f, p in COMBINATIONS}
    seed(database_url, contacts)
    worker = start_worker(
        database_url,
        KITTING_VAULT_KEY=KEY_B64,
        KITTING_VAR_DIR=str(var_dir),
        KITTING_LOG_LEVEL="info",
        KITTING_REFERENCE_FAULTS=",".join(f"reject:{shop}" for shop in rejecting),
    )
    archive_dir = var_dir / "archive"  # the archiver, as `kitting up` runs it beside the worker
    archiver = spawn_archiver(
        dict(os.environ, KITTING_KAFKA_BOOTSTRAP_SERVERS=bootstrap, KITTING_ARCHIVE_DIR=str(archive_dir)),
        tmp_path / "archiver.log",
    )
    run = uuid.uuid4().hex[:6]
    baskets = {
        f"canary-{run}-{f}-{p}": browse_event(f"canary-{run}-{f}-{p}", f"cust-{f}-{p}", f, p, key=KEY)
        for f, p in COMBINATIONS
    }
    send_baskets(bootstrap, baskets)
    records = wait_final(bootstrap, list(baskets), timeout_s=150)
    statuses = final_statuses(records)
    assert {statuses.get(b.encode()) for b in baskets} == {"completed"}, statuses
    assert worker.poll() is None

    # a rejection was re-ordered from the next best provider
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rejected = connection.execute(text("select count(*) from orders where status = 'rejected'")).scalar()
        replacing = connection.execute(
            text("select count(*) from orders where replaces is not null")
        ).scalar()
    assert rejected and replacing == rejected

    # every party's event carries exactly its fields of the privacy table
    mine = [r for r in records if r.key.decode().startswith(f"canary-{run}")]
    for record in mine:
        data = json.loads(record.value)["data"]
        if record.topic == Topic.ORDER_PLACED.topic_name:
            assert "contact" not in data or data["contact"] is None
        if record.topic == Topic.SETTLEMENT_REQUESTED.topic_name:
            assert set(data) >= {"amount", "payer_ref"} and "contact" not in data
        if record.topic == Topic.DELIVERY_REQUESTED.topic_name:
            method = DeliveryMethod(data["method"])
            kind = ProviderKind.delivery if method is DeliveryMethod.courier else ProviderKind.component
            sealed = SealedContact.model_validate(data["contact"])
            opened = open_sealed(reference_private_key(data["carrier_id"], KEY), sealed)
            assert tuple(sorted(opened)) == sealed_fields(kind, method)
            customer = contacts[_customer_of(record.key.decode(), run)]
            for field, value in opened.items():
                if field != "pickup_code":
                    assert getattr(customer, field) == value
            cash = PaymentMethod(_payment_of(record.key.decode(), run)) is not PaymentMethod.electronic
            assert (data.get("cash_to_collect") is not None) == cash

    # the archive catches up with the topics (every record this test read, each once)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(list(read_archive(archive_dir))) < len(records) - len(
        [r for r in records if r.topic == Topic.COORDINATOR_ROUNDS.topic_name]
    ):
        time.sleep(0.5)
    stop_process(archiver)
    held = Counter(r.topic for r in records if r.topic != Topic.COORDINATOR_ROUNDS.topic_name)  # state
    archived_topics = Counter(r.topic for r in read_archive(archive_dir))
    assert all(archived_topics[t] >= n for t, n in held.items()), (held, archived_topics)
    # no canary in clear: topics (all of them, raw), the database file, the archive, the worker's and
    # archiver's files and logs
    raw_topics = b"".join(
        (r.key or b"") + (r.value or b"") + b"".join(v for _, v in r.headers) for r in records
    )
    files = [
        tmp_path / "canary.db",
        *tmp_path.glob("worker*.log"),
        tmp_path / "archiver.log",
        *(p for p in var_dir.rglob("*") if p.is_file()),
    ]
    archived = b"".join(  # the archive's content, decompressed (its files are scanned as they are too)
        (r.key or b"") + (r.value or b"") + b"".join(v for _, v in r.headers)
        for r in read_archive(archive_dir)
    )
    stores = {
        "topics": raw_topics,
        "archive": archived,
        **{str(p): p.read_bytes() for p in files if p.exists()},
    }
    for contact in contacts.values():
        for field in ("name", "street_address", "phone", "email", "payment_instrument"):
            canary = str(getattr(contact, field)).encode()
            for where, content in stores.items():
                assert canary not in content, f"{field} of a customer in clear in {where}"
    # no stable identifier of a person on any topic or in the archive: the customer reference travels
    # concealed per basket, payment tokens sealed to the accounting agent, references per order
    for ref in contacts:
        for where in ("topics", "archive"):
            assert ref.encode() not in stores[where], f"customer reference {ref} in clear in {where}"
    assert b'"payment_token":"' not in raw_topics and b"tok_" not in raw_topics  # only sealed
    payer_refs = [json.loads(r.value)["data"]["payer_ref"] for r in mine if r.topic == "settlement-requested"]
    orders_paid = {json.loads(r.value)["data"]["order_id"] for r in mine if r.topic == "settlement-requested"}
    assert len(set(payer_refs)) == len(orders_paid)  # one reference per order, none shared
    # no client address, and the page's HTML only on the job that carried it (no role echoes it)
    assert b"127.0.0.1" not in raw_topics
    page_text = b"A plain batter that a child can make"  # on the demo page, not in its components
    echoed = {r.topic for r in records if page_text in (r.value or b"")}
    assert echoed <= {Topic.METHOD_BROWSED.topic_name}, echoed
    engine.dispose()


def first_choice(path: Path, delivery: DeliveryMethod, payment: PaymentMethod) -> set[str]:
    """The providers a basket of the demo page is first ordered from (the same shops and catalogs, run
    on an in-memory bus)."""
    url = f"sqlite:///{path}"
    upgrade(url)
    database = Database(url)
    seed_demo_customer(url, base64.b64decode(TEST_VAULT_KEY))
    bus = InMemoryBus(database, Settings(quote_deadline_s=60, vault_key=TEST_VAULT_KEY)).register_roles()
    bus.publish(
        Topic.METHOD_BROWSED,
        b"probe",
        browse_event("probe", DEMO_CUSTOMER, delivery, payment, key=base64.b64decode(TEST_VAULT_KEY)),
    )
    with database.session() as session:
        chosen = set(session.scalars(select(Order.provider_id)))
    database.engine.dispose()
    assert chosen
    return chosen


def _customer_of(basket: str, run: str) -> str:
    return "cust-" + basket.removeprefix(f"canary-{run}-")


def _payment_of(basket: str, run: str) -> str:
    fulfilment_payment = basket.removeprefix(f"canary-{run}-")
    payment = next(p for p in PaymentMethod if fulfilment_payment.endswith("-" + p))
    return payment.value
