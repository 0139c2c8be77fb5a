"""Contracts: the registry, the JSON Schemas on disk, the examples, the AsyncAPI document."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from schemas.events import EVENT_TYPES
from schemas.examples import example_json
from schemas.jsonschema import JSON_SCHEMA_DIR, event_schema, schema_file_name
from streams.asyncapi import asyncapi_document
from streams.codec import UndecodableEvent, decode
from streams.topics import CONTRACT_TOPICS, TOPIC_OF_EVENT, Topic

ROOT = Path(__file__).resolve().parents[3]
VALIDATOR = ROOT / "tools" / "asyncapi" / "validate.mjs"


def test_the_seven_contract_topics_are_named_exactly() -> None:
    assert [t.topic_name for t in CONTRACT_TOPICS] == [
        "method-browsed",
        "components-extracted",
        "quote-requested",
        "quote-offered",
        "order-placed",
        "delivery-requested",
        "settlement-requested",
    ]


def test_every_event_type_has_exactly_one_topic() -> None:
    assert set(TOPIC_OF_EVENT) == set(EVENT_TYPES.values())


def test_no_topic_name_is_spelled_outside_the_registry() -> None:
    names = [t.topic_name for t in Topic]
    alternatives = "|".join(map(re.escape, names))
    pattern = re.compile(rf"""["']({alternatives})["']""")
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for package in ("schemas", "streams", "agents")
        for path in (ROOT / package).rglob("*.py")
        if path.name != "topics.py"
        for match in pattern.finditer(path.read_text())
    ]
    assert offenders == []


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_json_schema_on_disk_is_current_and_accepts_the_example(event_type: str) -> None:
    on_disk = json.loads((JSON_SCHEMA_DIR / schema_file_name(event_type)).read_text())
    assert on_disk == event_schema(event_type), "run `python -m schemas.jsonschema` and commit schemas/json"
    jsonschema.Draft202012Validator(on_disk).validate(example_json(EVENT_TYPES[event_type]))


def test_json_schema_rejects_what_the_codec_rejects() -> None:
    schema = event_schema("dev.kitting.quote.offered.v1")
    document = example_json(EVENT_TYPES["dev.kitting.quote.offered.v1"])
    document["data"]["subtotal"] = {"amount": "1.19", "currency": "euro"}  # type: ignore[index]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(document)
    with pytest.raises(UndecodableEvent, match="currency"):
        decode(json.dumps(document).encode(), Topic.QUOTE_OFFERED)


def test_asyncapi_has_every_topic_and_valid_examples() -> None:
    document = asyncapi_document()
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == {t.topic_name for t in Topic if not t.spec.changelog}
    components = document["components"]
    for name, message in components["messages"].items():
        assert message["examples"], name
        schema = {**message["payload"], "components": components}
        for example in message["examples"]:
            jsonschema.Draft202012Validator(schema).validate(example["payload"])


def test_asyncapi_is_accepted_by_the_official_parser(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node, "Node.js is needed for the AsyncAPI parser"
    assert (VALIDATOR.parent / "node_modules" / "@asyncapi" / "parser").exists(), "run `make install`"
    path = tmp_path / "asyncapi.json"
    path.write_text(json.dumps(asyncapi_document()))
    result = subprocess.run([node, str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"valid: {sum(not t.spec.changelog for t in Topic)} channels" in result.stdout


def test_the_parser_check_can_fail(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node
    broken = asyncapi_document()
    broken["operations"]["publishMethodBrowsed"]["channel"] = {"$ref": "#/channels/nowhere"}
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    result = subprocess.run([node, str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stdout


def test_committed_asyncapi_document_is_current() -> None:
    committed = json.loads((ROOT / "docs" / "asyncapi.json").read_text())
    assert committed == asyncapi_document(), "run `kitting asyncapi > docs/asyncapi.json` and commit it"


def test_a_sealed_part_has_byte_caps() -> None:
    """What is sealed to one party (a contact, a payment token) is bounded like every other field."""
    from pydantic import ValidationError

    from schemas.events import SealedContact

    SealedContact(recipient_id="courier", fields=["name", "phone"], ciphertext="A" * 16_000)
    for oversized in (
        {"ciphertext": "A" * 16_001},
        {"fields": ["x" * 41]},
        {"fields": [f"f{n}" for n in range(21)]},
        {"recipient_id": "r" * 201},
    ):
        with pytest.raises(ValidationError):
            SealedContact.model_validate(
                {"recipient_id": "c", "fields": ["name"], "ciphertext": "AA", **oversized}
            )
