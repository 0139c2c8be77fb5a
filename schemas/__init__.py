"""Kitting's event contracts: the CloudEvents envelope, one model per event, value types.

This package imports nothing else of Kitting, so any client can use the contracts alone.
"""

from schemas.envelope import Envelope, new_envelope
from schemas.events import EVENT_TYPES, EventData, event_type_of
from schemas.values import Money, Quantity

__all__ = ["EVENT_TYPES", "Envelope", "EventData", "Money", "Quantity", "event_type_of", "new_envelope"]
