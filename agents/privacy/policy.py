"""The privacy table of the design as code: which recipient gets which personal fields, sealed to its
own key, for which delivery method."""

from __future__ import annotations

from agents.privacy.vault import Contact
from schemas.providers import ProviderKind
from schemas.vocabulary import DeliveryMethod

PERSONAL_FIELDS = ("name", "street_address", "phone", "email", "payment_instrument")
PICKUP_CODE = "pickup_code"

_COMPONENT_PROVIDER: dict[DeliveryMethod, tuple[str, ...]] = {
    DeliveryMethod.own: ("phone", "street_address"),
    DeliveryMethod.pickup: ("name", "phone", PICKUP_CODE),
    DeliveryMethod.courier: (),
}
_DELIVERY_SERVICE = ("name", "phone", "street_address")


def sealed_fields(kind: ProviderKind, method: DeliveryMethod) -> tuple[str, ...]:
    """The fields a recipient of this kind gets sealed to its key for an order delivered by `method`."""
    kind, method = ProviderKind(kind), DeliveryMethod(method)
    if kind is ProviderKind.component:
        fields = _COMPONENT_PROVIDER[method]
    elif kind is ProviderKind.delivery:
        fields = _DELIVERY_SERVICE
    else:  # accounting agents get a payment token and amounts; method providers nothing
        fields = ()
    return tuple(sorted(fields))


def contact_values(
    contact: Contact, fields: tuple[str, ...], pickup_code: str | None = None
) -> dict[str, str]:
    """Exactly the values of `fields`; a ValueError when one has none (or is no contact field)."""
    known = set(Contact.model_fields)
    values: dict[str, str] = {}
    for field in fields:
        if field == PICKUP_CODE:
            value = pickup_code
        elif field in known:
            value = getattr(contact, field)
        else:
            raise ValueError(f"{field!r} is not a contact field")
        if value is None or value == "":
            raise ValueError(f"the contact has no {field.replace('_', ' ')} to share")
        values[field] = str(value)
    return values


_COLUMNS = (
    "component provider",
    "delivery service",
    "accounting agent",
    "analyst / archive",
    "upstream site",
)


def _row(*cells: str) -> dict[str, str]:
    return dict(zip(_COLUMNS, cells, strict=True))


PRIVACY_TABLE: dict[str, dict[str, str]] = {
    "name": _row("pickup: name for hand-over", "yes", "no", "no", "no"),
    "street address": _row("only when it delivers itself", "yes", "no", "region only", "no"),
    "phone": _row("own delivery or pickup", "yes", "no", "no", "no"),
    "email": _row("no", "no", "no", "no", "no"),
    "payment instrument": _row("no", "cash-on-delivery amount only", "token + amount", "no", "no"),
    "items": _row("its own lines only", "parcel count and size", "amounts", "yes", "no"),
}
PRIVACY_COLUMNS = _COLUMNS
