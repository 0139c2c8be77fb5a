"""Who takes part, as a provider registers itself (the HTTP API and `kitting providers add` take this):
its kind, what it serves, where, how it is reached, the public key its contact data is sealed to and the
one its events are signed with."""

from __future__ import annotations

import base64
import binascii
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas.vocabulary import DeliveryMethod, PaymentMethod

KAFKA_ADDRESS = "kafka"
"""The address of a provider that consumes Kitting's topics itself (e.g. with the provider SDK)."""


class ProviderKind(StrEnum):
    component = "component-provider"
    delivery = "delivery-service"
    accounting = "accounting-agent"
    method = "method-provider"


class Provider(BaseModel):
    """A registry entry as people and other services write and read it (CLI, HTTP)."""

    model_config = ConfigDict(extra="forbid")

    provider_id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    name: str = Field(min_length=1, max_length=200)
    kind: ProviderKind = ProviderKind.component
    categories: list[str] = Field(default_factory=list, description="e.g. grocery, hardware")
    regions: list[str] = Field(default_factory=lambda: ["default"], min_length=1)
    address: str = Field(
        default=KAFKA_ADDRESS,
        max_length=2000,
        description="`kafka` (it consumes the topics itself) or an https:// webhook (a public address: "
        "Kitting calls no other); empty for a member reached through its manager",
    )
    manager_id: str | None = Field(default=None, description="The provider manager that fronts this one")
    delivery_methods: list[DeliveryMethod] = Field(default_factory=list)
    payment_methods: list[PaymentMethod] = Field(default_factory=list)
    public_key: str | None = Field(
        default=None, max_length=200, description="Base64 key that personal data is sealed to"
    )
    signing_key: str | None = Field(
        default=None,
        max_length=200,
        description="Base64 Ed25519 public key the provider's events are signed with (its own events are "
        "refused without one; a webhook's answers are signed by Kitting's bridge)",
    )
    enabled: bool = True

    @field_validator("address")
    @classmethod
    def _known_address(cls, value: str) -> str:
        if value and value != KAFKA_ADDRESS and not value.startswith("https://"):
            raise ValueError("address must be 'kafka', an https:// webhook URL, or empty for a member")
        return value

    @field_validator("signing_key")
    @classmethod
    def _ed25519_key(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise ValueError("signing_key is an Ed25519 public key: 32 bytes in base64")
        return value
