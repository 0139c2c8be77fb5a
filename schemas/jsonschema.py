"""JSON Schema of every event (the whole CloudEvent, with `type` fixed), generated from the models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from schemas.envelope import Envelope
from schemas.events import EVENT_TYPES, EventData

JSON_SCHEMA_DIR = Path(__file__).parent / "json"


def event_schema(event_type: str, ref_template: str = "#/$defs/{model}") -> dict[str, Any]:
    model: type[EventData] = EVENT_TYPES[event_type]
    schema = Envelope[model].model_json_schema(ref_template=ref_template)  # type: ignore[valid-type]
    schema["title"] = f"{model.__name__}Event"
    schema["description"] = (model.__doc__ or model.__name__).strip().splitlines()[0]
    schema["properties"]["type"] = {"const": event_type, "type": "string", "description": "Event type"}
    return schema


def schema_file_name(event_type: str) -> str:
    return f"{event_type}.schema.json"


def write_all(directory: Path = JSON_SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for event_type in EVENT_TYPES:
        path = directory / schema_file_name(event_type)
        path.write_text(json.dumps(event_schema(event_type), indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    for written in write_all():
        print(written)
