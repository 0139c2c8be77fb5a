"""Kafka ACLs for a real cluster: what each registered party may read and write, as `kafka-acls.sh`
commands an operator runs (the embedded broker has no ACLs; there, what a party must not read travels
sealed to the party that may).

A party authenticates to the cluster as `User:<provider id>` (SASL or mTLS, the cluster's choice). It
may read the topics its kind is asked on, with consumer groups named after it, and write only the topic
it answers on; it may not write any other topic (a method-browsed job, a command, another kind's
answers). The requests on a topic are every party's of that kind: they carry pseudonyms, and what one
party alone may see is sealed to it, so reading a neighbour's request shows nothing personal."""

from __future__ import annotations

from agents.registry.providers import ProviderView
from schemas.providers import KAFKA_ADDRESS, ProviderKind
from streams.topics import Topic

READS: dict[ProviderKind, tuple[Topic, ...]] = {
    ProviderKind.component: (
        Topic.QUOTE_REQUESTED, Topic.ORDER_PLACED, Topic.ORDER_CANCELLED, Topic.DELIVERY_REQUESTED,
    ),
    ProviderKind.delivery: (Topic.DELIVERY_REQUESTED, Topic.ORDER_CANCELLED),
    ProviderKind.accounting: (Topic.SETTLEMENT_REQUESTED,),
    ProviderKind.method: (),
}  # fmt: skip
WRITES: dict[ProviderKind, tuple[Topic, ...]] = {
    ProviderKind.component: (Topic.QUOTE_OFFERED, Topic.ORDER_STATUS, Topic.DELIVERY_STATUS),
    ProviderKind.delivery: (Topic.DELIVERY_STATUS,),
    ProviderKind.accounting: (Topic.SETTLEMENT_STATUS,),
    ProviderKind.method: (),
}


def acl_commands(providers: list[ProviderView], bootstrap: str = "$BOOTSTRAP") -> list[str]:
    """`kafka-acls.sh` commands granting each Kafka-connected party exactly its reads and writes."""
    commands = []
    for provider in providers:
        if provider.address != KAFKA_ADDRESS:
            continue  # reached by webhook or through its manager: it never connects to the cluster
        principal = f"User:{provider.provider_id}"
        base = f"kafka-acls.sh --bootstrap-server {bootstrap} --add --allow-principal {principal}"
        for topic in READS[provider.kind]:
            commands.append(f"{base} --operation Read --operation Describe --topic {topic.topic_name}")
        if READS[provider.kind]:
            group = f"--group provider-{provider.provider_id} --resource-pattern-type prefixed"
            commands.append(f"{base} --operation Read {group}")
        for topic in WRITES[provider.kind]:
            commands.append(f"{base} --operation Write --operation Describe --topic {topic.topic_name}")
    return commands
