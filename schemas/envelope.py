"""The CloudEvents 1.0 envelope (JSON structured mode) that every Kitting event travels in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.events import event_type_of

D = TypeVar("D", bound=BaseModel)

SPEC_VERSION: Literal["1.0"] = "1.0"
JSON_CONTENT_TYPE: Literal["application/json"] = "application/json"


class Envelope(BaseModel, Generic[D]):
    """A CloudEvent whose `data` is the event's own model; unknown attributes are ignored."""

    model_config = ConfigDict(extra="ignore")

    specversion: Literal["1.0"] = SPEC_VERSION
    id: str = Field(min_length=1, max_length=200, description="Unique per source; repeats are ignored")
    source: str = Field(min_length=1, max_length=500, description="URI-reference of the producer")
    type: str = Field(
        min_length=1, description="Event type with its version, e.g. dev.kitting.quote.offered.v1"
    )
    time: AwareDatetime = Field(description="When it happened, RFC 3339 with a UTC offset")
    subject: str = Field(min_length=1, max_length=200, description="The basket id; also the record key")
    datacontenttype: Literal["application/json"] = JSON_CONTENT_TYPE
    signature: str | None = Field(
        default=None,
        max_length=200,
        description="A party's events only: `ed25519=` and the base64 Ed25519 signature, by the key the "
        "party registered, of this event without `signature` as canonical JSON (keys sorted, no spaces)",
    )
    data: D

    @field_validator("time")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValueError("time is out of range") from None

    @model_validator(mode="after")
    def _subject_is_the_basket(self) -> Envelope[D]:
        basket_id = getattr(self.data, "basket_id", None)
        if basket_id is not None and basket_id != self.subject:
            raise ValueError(f"subject {self.subject!r} must be the event's basket_id {basket_id!r}")
        return self


def new_envelope(data: D, *, source: str, subject: str, event_id: str | None = None) -> Envelope[D]:
    """Wrap event data in a fresh envelope stamped now (UTC)."""
    return Envelope[D](
        id=event_id or str(uuid.uuid4()),
        source=source,
        type=event_type_of(type(data)),
        time=datetime.now(UTC),
        subject=subject,
        data=data,
    )
