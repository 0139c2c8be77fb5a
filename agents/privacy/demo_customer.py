"""The demo customer: made-up contact data stored in the vault so that `kitting demo`, the benchmarks
and the tests can take a basket all the way to delivery. Real customers are added through the terminal
(POST /v1/customers) or `kitting privacy customer-add`."""

from __future__ import annotations

from agents.privacy.vault import Contact, Vault
from streams.persistence import Database

DEMO_CUSTOMER = "cust-demo"
DEMO_CONTACT = Contact(
    name="Dana Demo",
    street_address="1 Example Street, 1000 Sampletown",
    region="default",
    phone="+00 0000 0000",
    email="dana@example.invalid",
    payment_instrument="4000 0000 0000 0002",
)


def seed_demo_customer(database_url: str, key: bytes, customer_ref: str = DEMO_CUSTOMER) -> str:
    """Store the demo contact under `customer_ref` (the database must be migrated)."""
    database = Database(database_url)
    try:
        with database.session() as session:
            return Vault(key).store(session, DEMO_CONTACT, customer_ref=customer_ref)
    finally:
        database.engine.dispose()
