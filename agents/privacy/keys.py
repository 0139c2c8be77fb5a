"""The vault key: from KITTING_VAULT_KEY, or var/vault.key (created on first use, owner-only)."""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from streams.settings import Settings

KEY_BYTES = 32
KEY_FILE = "vault.key"


class VaultKeyError(ValueError):
    pass


def decode_key(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except binascii.Error as exc:
        raise VaultKeyError(f"{where} is not base64: {exc}; make one with `openssl rand -base64 32`") from exc
    if len(key) != KEY_BYTES:
        raise VaultKeyError(f"{where} holds {len(key)} bytes, not {KEY_BYTES}; use `openssl rand -base64 32`")
    return key


def vault_key(settings: Settings) -> bytes:
    if settings.vault_key:
        return decode_key(settings.vault_key, "KITTING_VAULT_KEY")
    path = Path(settings.var_dir) / KEY_FILE
    text = kept_secret(path, lambda: base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode())
    return decode_key(text, str(path))


def old_vault_keys(settings: Settings) -> tuple[bytes, ...]:
    """The earlier keys KITTING_VAULT_OLD_KEYS names (they only open what was stored under them)."""
    parts = [part.strip() for part in settings.vault_old_keys.split(",") if part.strip()]
    return tuple(decode_key(part, f"KITTING_VAULT_OLD_KEYS entry {n}") for n, part in enumerate(parts, 1))


def kept_secret(path: Path, make: Callable[[], str]) -> str:
    """The secret in `path`, made by `make` on first use: owner-only, written atomically, and never
    replacing one another process made first."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make() + "\n")
        try:
            os.link(draft, path)  # atomic, and never replaces a key another process made first
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()
