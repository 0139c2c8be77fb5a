"""A provider's side of the personal data Kitting sends it: its key pair (it registers the public key)
and opening what Kitting sealed to that key. The format is Kitting's (agents/privacy/sealing.py)."""

from agents.privacy.sealing import (
    SealedContactError,
    derived_private_key,
    new_keypair,
    open_sealed,
    public_key_of,
)

__all__ = ["SealedContactError", "derived_private_key", "new_keypair", "open_sealed", "public_key_of"]
