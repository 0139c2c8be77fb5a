"""Each webhook provider's secret: what Kitting signs its calls with, so the provider knows a call is
Kitting's. It is derived from the vault key, the provider's id and the registry's `secret_generation`
(rotating adds one), so no secret is stored in the database; the operator hands it to the provider at
registration (`kitting providers secret ID`, or the answer to `POST /v1/providers` and `…/rotate-secret`)."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "whsec_"


def webhook_secret(key: bytes, provider_id: str, generation: int) -> str:
    subkey = hmac.new(key, b"kitting-webhook-secrets", hashlib.sha256).digest()
    digest = hmac.new(subkey, f"{provider_id}:{generation}".encode(), hashlib.sha256).hexdigest()
    return PREFIX + digest[:48]
