"""The coordinator's personal-data vault: each customer's contact data, encrypted at rest with a
secret key (libsodium secretbox, XSalsa20-Poly1305), under a pseudonymous customer reference.

Nothing outside the vault sees clear contact data: events carry the customer reference, a per-order,
per-recipient reference, a payment token and a pickup code, all derived here by HMAC from the key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import uuid
from datetime import datetime
from uuid import uuid4

from nacl.bindings import crypto_aead as aead
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from agents.privacy.contact_checks import Email, Phone
from agents.privacy.keys import old_vault_keys, vault_key
from streams.persistence import Base, UtcDateTime, utcnow
from streams.settings import Settings

KEY_BYTES = SecretBox.KEY_SIZE  # 32
CUSTOMER_PREFIX = "cust-"
REFERENCE_PREFIX = "ref-"
TOKEN_PREFIX = "tok_"
_DIGEST_HEX = 24
_PICKUP_DIGITS = 6


class Contact(BaseModel):
    """One customer's contact data, as it lives (encrypted) in the vault."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    street_address: str = Field(min_length=1, max_length=500)
    region: str = Field(default="default", min_length=1, max_length=100)
    phone: str = Field(min_length=1, max_length=50)
    email: str | None = Field(default=None, max_length=320)
    payment_instrument: str | None = Field(
        default=None, max_length=100, description="e.g. a card number; never leaves the vault"
    )


class NewContact(Contact):
    """Contact data as a person or a site gives it: the phone number and e-mail address checked
    (agents/privacy/contact_checks.py) before they are kept."""

    phone: Phone = Field(min_length=1, max_length=50)
    email: Email = Field(default=None, max_length=320)


class VaultEntry(Base):
    """One customer: the SecretBox-encrypted Contact JSON, nothing in clear but the pseudonym."""

    __tablename__ = "vault_customers"

    customer_ref: Mapped[str] = mapped_column(String(200), primary_key=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str | None] = mapped_column(
        String(16), nullable=True, doc="The id of the vault key it is encrypted with (none: the current one)"
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class VaultReference(Base):
    """A pseudonymous reference handed to one recipient for one order, and what it stands for."""

    __tablename__ = "vault_references"

    ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_ref: Mapped[str] = mapped_column(String(200), index=True)
    order_id: Mapped[str] = mapped_column(String(200), index=True)
    party_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class UnknownCustomer(LookupError):
    """No vault entry under this customer reference."""


class NotIssued(ValueError):
    """A customer reference on the bus that Kitting did not issue for that basket (a plain reference,
    or one copied from another basket)."""


class VaultKeyMismatch(ValueError):
    """A vault entry that does not open with this key (another deployment's key, or a damaged row)."""


CONCEALED = "kr1."  # a customer reference as it travels on the bus (Vault.conceal)


def _subkey(key: bytes, purpose: bytes) -> bytes:
    return hmac.new(key, purpose, hashlib.sha256).digest()


def key_id_of(key: bytes) -> str:
    """A key's public name: which key a ciphertext needs, without saying anything about the key."""
    return hmac.new(key, b"kitting-key-id", hashlib.sha256).hexdigest()[:16]


class Vault:
    """Encrypts, decrypts and pseudonymises with one 32-byte key; SQL work goes through a Session.
    `old_keys` still open contact data stored before the key rotated (`rekey` moves it to the key)."""

    def __init__(self, key: bytes, old_keys: tuple[bytes, ...] = ()) -> None:
        for each in (key, *old_keys):
            if not isinstance(each, bytes) or len(each) != KEY_BYTES:
                size = len(each) if isinstance(each, bytes | bytearray) else type(each).__name__
                raise ValueError(f"the vault key must be {KEY_BYTES} bytes, got {size}")
        self._box = SecretBox(key)
        self.key_id = key_id_of(key)
        self._boxes = {key_id_of(old): SecretBox(old) for old in old_keys} | {self.key_id: self._box}
        self._refs_key = _subkey(key, b"kitting-refs")
        self._tokens_key = _subkey(key, b"kitting-tokens")
        self._codes_key = _subkey(key, b"kitting-pickup-codes")
        self._access_key = _subkey(key, b"kitting-basket-access")
        self._customer_key = _subkey(key, b"kitting-customer-access")
        self._commands_key = _subkey(key, b"kitting-command-ids")
        self._concealed_key = _subkey(key, b"kitting-concealed-refs")

    # --- contact data ------------------------------------------------------------------------

    def store(self, session: Session, contact: Contact, customer_ref: str | None = None) -> str:
        """Insert a new customer, or replace the contact under `customer_ref`; returns the ref."""
        ref = customer_ref if customer_ref is not None else CUSTOMER_PREFIX + uuid4().hex
        if not ref or len(ref) > 200:
            raise ValueError(f"a customer reference has 1 to 200 characters, not {len(ref)}")
        ciphertext = bytes(self._box.encrypt(contact.model_dump_json().encode()))
        entry = session.get(VaultEntry, ref)
        if entry is None:
            session.add(VaultEntry(customer_ref=ref, ciphertext=ciphertext, key_id=self.key_id))
        else:
            entry.ciphertext, entry.key_id = ciphertext, self.key_id
            entry.updated_at = utcnow()
        session.flush()
        return ref

    def contact(self, session: Session, customer_ref: str) -> Contact:
        entry = session.get(VaultEntry, customer_ref)
        if entry is None:
            raise UnknownCustomer(f"no customer {customer_ref!r} in the vault")
        box = self._boxes.get(entry.key_id or self.key_id)
        if box is None:
            raise VaultKeyMismatch(
                f"the vault entry of {customer_ref!r} is encrypted with key {entry.key_id}, which this "
                "process does not have: give that key in KITTING_VAULT_OLD_KEYS until `kitting privacy "
                "rekey` has moved the vault to the current key"
            )
        try:
            plain = box.decrypt(entry.ciphertext)
        except CryptoError:
            raise VaultKeyMismatch(
                f"the vault entry of {customer_ref!r} does not open with this key "
                "(is KITTING_VAULT_KEY the deployment's key?)"
            ) from None
        try:
            return Contact.model_validate_json(plain)
        except ValidationError:
            # not chained: the validation error's text would quote the decrypted contact data
            raise VaultKeyMismatch(f"the vault entry of {customer_ref!r} holds no valid contact") from None

    def rekey(self, session: Session) -> tuple[int, list[str]]:
        """Encrypt every entry under an older key with the current one: (how many moved, the refs that
        no key given opens)."""
        moved, stuck = 0, []
        for entry in session.query(VaultEntry).filter(
            (VaultEntry.key_id != self.key_id) | VaultEntry.key_id.is_(None)
        ):
            try:
                contact = self.contact(session, entry.customer_ref)
            except VaultKeyMismatch:
                stuck.append(entry.customer_ref)
                continue
            self.store(session, contact, customer_ref=entry.customer_ref)
            moved += 1
        return moved, stuck

    def forget(self, session: Session, customer_ref: str) -> bool:
        """Erase a customer's contact data; True if there was any."""
        entry = session.get(VaultEntry, customer_ref)
        if entry is None:
            return False
        session.delete(entry)
        session.flush()
        return True

    # --- pseudonyms ----------------------------------------------------------------------------

    def reference(self, session: Session, customer_ref: str, order_id: str, party_id: str) -> str:
        """The reference one recipient gets for one order: the same for a repeat, recorded once."""
        message = f"{customer_ref}|{order_id}|{party_id}".encode()
        ref = REFERENCE_PREFIX + hmac.new(self._refs_key, message, hashlib.sha256).hexdigest()[:_DIGEST_HEX]
        if session.get(VaultReference, ref) is None:
            session.add(
                VaultReference(ref=ref, customer_ref=customer_ref, order_id=order_id, party_id=party_id)
            )
            session.flush()
        return ref

    def resolve(self, session: Session, ref: str) -> VaultReference | None:
        return session.get(VaultReference, ref)

    def payment_token(self, customer_ref: str, order_id: str) -> str:
        """Stands for the customer's payment instrument for one order (so a person's orders do not link
        by it); the instrument stays here."""
        digest = hmac.new(self._tokens_key, f"{customer_ref}:{order_id}".encode(), hashlib.sha256).hexdigest()
        return TOKEN_PREFIX + digest[:_DIGEST_HEX]

    def basket_token(self, basket_id: str) -> str:
        """What lets the person who opened a basket follow it in the terminal: basket ids travel to
        every party as event keys, this token only to the person's browser."""
        return hmac.new(self._access_key, basket_id.encode(), hashlib.sha256).hexdigest()[:32]

    def basket_token_fits(self, basket_id: str, token: str) -> bool:
        return hmac.compare_digest(self.basket_token(basket_id).encode(), token.encode())

    def customer_token(self, customer_ref: str) -> str:
        """What lets a request use a person's contact data and payment: handed to the person (or to the
        site they are logged in to) when their data is stored; a customer reference alone is not."""
        return "kc_" + hmac.new(self._customer_key, customer_ref.encode(), hashlib.sha256).hexdigest()[:40]

    def customer_token_fits(self, customer_ref: str, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(
            self.customer_token(customer_ref).encode(), token.encode()
        )

    def conceal(self, customer_ref: str, basket_id: str) -> str:
        """The form a customer reference travels in on the bus and in the archive: encrypted for Kitting's
        roles alone and bound to one basket. It differs every time, so a person's baskets do not link,
        and copied into another basket it does not open."""
        nonce = os.urandom(aead.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
        sealed = aead.crypto_aead_xchacha20poly1305_ietf_encrypt(
            customer_ref.encode(), basket_id.encode(), nonce, self._concealed_key
        )
        return CONCEALED + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def reveal(self, concealed: str, basket_id: str) -> str:
        """The customer reference `conceal` made for `basket_id`; raises NotIssued."""
        if not concealed.startswith(CONCEALED):
            raise NotIssued("a plain customer reference: start the basket through Kitting's API")
        body = concealed.removeprefix(CONCEALED)
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            size = aead.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
            plain = aead.crypto_aead_xchacha20poly1305_ietf_decrypt(
                raw[size:], basket_id.encode(), raw[:size], self._concealed_key
            )
            return plain.decode()
        except (CryptoError, ValueError, TypeError):
            raise NotIssued("a customer reference Kitting did not issue for this basket") from None

    def command_id(self, kind: str, subject: str) -> str:
        """The event id of a person's command about `subject`: the same for a repeat (a double click is
        one command) and unguessable, so nobody can send it first and have the real one dropped."""
        digest = hmac.new(self._commands_key, f"{kind}:{subject}".encode(), hashlib.sha256).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))

    def pickup_code(self, order_id: str) -> str:
        """Six digits the customer shows at hand-over; the same for a repeat of the order."""
        digest = hmac.new(self._codes_key, order_id.encode(), hashlib.sha256).digest()
        number = int.from_bytes(digest[:8], "big") % 10**_PICKUP_DIGITS
        return f"{number:0{_PICKUP_DIGITS}d}"


def vault_of(settings: Settings) -> Vault:
    """The deployment's vault: KITTING_VAULT_KEY (or var/vault.key), with KITTING_VAULT_OLD_KEYS."""
    return Vault(vault_key(settings), old_vault_keys(settings))
