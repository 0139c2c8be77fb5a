"""The AsyncAPI 3.0 document: every registry topic as a channel, every event as a message with an
example, schemas generated from the models."""

from __future__ import annotations

from typing import Any

from schemas.events import EventData, event_type_of
from schemas.examples import example_json
from schemas.jsonschema import event_schema
from streams.handling import (
    DLQ_HEADER_CONSUMER,
    DLQ_HEADER_ERROR,
    DLQ_HEADER_OFFSET,
    DLQ_HEADER_PARTITION,
    DLQ_HEADER_TOPIC,
)
from streams.topics import Topic

REF_TEMPLATE = "#/components/schemas/{model}"


def _camel(name: str) -> str:
    head, *rest = name.split("-")
    return head + "".join(part.capitalize() for part in rest)


def _message(model: type[EventData]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(message object, schemas to add to components)."""
    schema = event_schema(event_type_of(model), ref_template=REF_TEMPLATE)
    defs = schema.pop("$defs", {})
    name = f"{model.__name__}Event"
    message = {
        "name": model.__name__,
        "title": model.__name__,
        "summary": schema["description"],
        "contentType": "application/json",
        "payload": {"$ref": f"#/components/schemas/{name}"},
        "bindings": {"kafka": {"key": {"type": "string", "description": "basket id"}}},
        "examples": [{"name": f"{model.__name__}Example", "payload": example_json(model)}],
    }
    return message, {name: schema, **defs}


def _dead_letter_message() -> dict[str, Any]:
    header_names = (
        DLQ_HEADER_TOPIC,
        DLQ_HEADER_PARTITION,
        DLQ_HEADER_OFFSET,
        DLQ_HEADER_CONSUMER,
        DLQ_HEADER_ERROR,
    )
    return {
        "name": "DeadLetter",
        "title": "DeadLetter",
        "summary": Topic.DEAD_LETTER.spec.description,
        "contentType": "application/octet-stream",
        "headers": {
            "type": "object",
            "properties": {name: {"type": "string"} for name in header_names},
            "required": list(header_names),
        },
        "payload": {"description": "The original record value, byte for byte (often not JSON at all)."},
        "examples": [
            {
                "name": "DeadLetterExample",
                "headers": {
                    DLQ_HEADER_TOPIC: Topic.QUOTE_OFFERED.topic_name,
                    DLQ_HEADER_PARTITION: "0",
                    DLQ_HEADER_OFFSET: "42",
                    DLQ_HEADER_CONSUMER: "coordinator.offers",
                    DLQ_HEADER_ERROR: "not JSON: Expecting value: line 1 column 1 (char 0)",
                },
                "payload": "{not json",
            }
        ],
    }


def asyncapi_document() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for topic in Topic:
        spec = topic.spec
        if spec.changelog:
            continue  # a Faust table's internal state, not part of the contract
        channel_id = _camel(spec.name)
        channel_messages: dict[str, Any] = {}
        if topic is Topic.DEAD_LETTER:
            messages["DeadLetter"] = _dead_letter_message()
            channel_messages["DeadLetter"] = {"$ref": "#/components/messages/DeadLetter"}
        for model in spec.events:
            message, new_schemas = _message(model)
            messages[model.__name__] = message
            schemas.update(new_schemas)
            channel_messages[model.__name__] = {"$ref": f"#/components/messages/{model.__name__}"}
        channels[channel_id] = {
            "address": spec.name,
            "title": spec.name,
            "description": spec.description + f" Key: {spec.key}.",
            "messages": channel_messages,
            "bindings": {
                "kafka": {
                    "partitions": spec.partitions,
                    "topicConfiguration": {"retention.ms": spec.retention_ms, "cleanup.policy": ["delete"]},
                }
            },
        }
        message_refs = [{"$ref": f"#/channels/{channel_id}/messages/{name}"} for name in channel_messages]
        operations[f"publish{channel_id[0].upper()}{channel_id[1:]}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "summary": f"Kitting or a party produces to {spec.name}.",
            "messages": message_refs,
        }
        if topic not in (Topic.DEAD_LETTER, Topic.BASKET_STATUS):
            operations[f"consume{channel_id[0].upper()}{channel_id[1:]}"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{channel_id}"},
                "summary": f"Kitting's agents consume {spec.name}.",
                "messages": message_refs,
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Kitting",
            "version": "0.1.0",
            "description": "Events of Kitting: job methods in, quoted, ordered, delivered and paid kits out. "
            "Every value is a CloudEvents 1.0 JSON document (structured mode); the key is the basket id.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "embedded": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "The embedded broker `kitting up` starts (its port is chosen at start).",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
