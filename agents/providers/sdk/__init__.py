"""The provider SDK: everything a provider needs to take part in Kitting, in its own process or hosted
in a Kitting worker. It is built on Kitting's contracts and wire format (the codec and the topic
registry) and its sealing of contact data; a provider needs nothing else of Kitting's. The reference
providers (agents/reference/) use only this and the contracts (schemas/), as a third-party provider would.

- `ProviderAdapter`: answer the events addressed to you with a few decorated functions (adapter.py);
- contacts: make your key pair, open the contact data Kitting sealed to you (contacts.py);
- signing: make the key pair your events are signed with (the adapter signs with it);
- storage: a hosted provider keeps its own tables in the host's database (storage.py).
"""

from agents.providers.sdk.adapter import Answers, ProviderAdapter
from agents.providers.sdk.contacts import (
    SealedContactError,
    derived_private_key,
    new_keypair,
    open_sealed,
    public_key_of,
)
from streams.signing import derived_signing_key, new_signing_keypair, verify_key_of

__all__ = [
    "Answers",
    "ProviderAdapter",
    "SealedContactError",
    "derived_private_key",
    "derived_signing_key",
    "new_keypair",
    "new_signing_keypair",
    "open_sealed",
    "public_key_of",
    "verify_key_of",
]
