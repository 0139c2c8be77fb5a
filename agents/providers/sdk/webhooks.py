"""A webhook provider's side of Kitting's calls: check that a call is Kitting's, and recent.

Kitting signs each call with the provider's secret: the `Kitting-Signature` header is
`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>`. A provider checks it with `verify_webhook`
and refuses a call whose time is more than five minutes away from its own clock (a replay)."""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Kitting-Signature"
TOLERANCE_S = 300


class WebhookRefused(ValueError):
    """Not a call Kitting signed with this secret within the tolerance; the message says which."""


def sign_webhook(secret: str, body: bytes, at: int | None = None) -> str:
    """The `Kitting-Signature` header value for `body` sent at `at` (now by default)."""
    stamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def verify_webhook(
    secret: str, header: str | None, body: bytes, now: float | None = None, tolerance_s: int = TOLERANCE_S
) -> int:
    """The call's time if `header` signs `body` with `secret` and is recent; raises WebhookRefused."""
    if not header:
        raise WebhookRefused(f"no {SIGNATURE_HEADER} header")
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        stamp = int(fields["t"])
    except (KeyError, ValueError):
        raise WebhookRefused("the signature has no time") from None
    clock = time.time() if now is None else now
    if abs(clock - stamp) > tolerance_s:
        raise WebhookRefused(f"the call is {abs(clock - stamp):.0f}s away from now: a replay, or a clock off")
    expected = sign_webhook(secret, body, stamp).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, fields.get("v1", "")):
        raise WebhookRefused("the signature does not fit the body and the secret")
    return stamp
