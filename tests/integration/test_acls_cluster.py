"""On a real cluster with the ACLs of `kitting providers acls` applied: a party may write its answers
and nothing else. Runs when KITTING_KAFKA_BOOTSTRAP_SERVERS names such a cluster and
KITTING_ACL_TEST_PARTY gives a component provider's SASL/PLAIN login as `user:password`; the embedded
broker has no ACLs (there, what a party must not read travels sealed)."""

from __future__ import annotations

import asyncio
import os

import pytest

BOOTSTRAP = os.environ.get("KITTING_KAFKA_BOOTSTRAP_SERVERS", "")
PARTY = os.environ.get("KITTING_ACL_TEST_PARTY", "")

pytestmark = pytest.mark.skipif(
    not (BOOTSTRAP and ":" in PARTY),
    reason="needs a Kafka cluster with ACLs (KITTING_KAFKA_BOOTSTRAP_SERVERS) and a component provider's "
    "SASL/PLAIN login in KITTING_ACL_TEST_PARTY=user:password, the ACLs of `kitting providers acls` applied",
)


def test_a_party_writes_its_answers_and_nothing_else() -> None:
    from aiokafka import AIOKafkaProducer
    from aiokafka.errors import TopicAuthorizationFailedError

    user, password = PARTY.split(":", 1)

    async def attempt(topic: str) -> bool:
        producer = AIOKafkaProducer(
            bootstrap_servers=BOOTSTRAP, security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN",
            sasl_plain_username=user, sasl_plain_password=password, request_timeout_ms=10_000,
        )  # fmt: skip
        await producer.start()
        try:
            await producer.send_and_wait(topic, b"{}", key=b"acl-probe")
            return True
        except TopicAuthorizationFailedError:
            return False
        finally:
            await producer.stop()

    assert asyncio.run(attempt("quote-offered")) is True
    for forbidden in ("method-browsed", "confirm-selection", "settlement-status", "order-placed"):
        assert asyncio.run(attempt(forbidden)) is False, forbidden
