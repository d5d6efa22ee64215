"""Secrets Roster must read back, kept sealed in the database: the private keys that
sign Security Event Tokens (directory/signing_keys.py) and the Authorization header a
SET receiver asked for (directory/set_receivers.py).

Sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the deployment's secret
key (ROSTER_SECRET_KEY, or the key file one machine generates: roster/keyfile.py), so
a copy of the database alone (a backup, a replica) cannot sign a SET or call a
receiver. Each value is bound to where it is kept (`context`: the key's kid, the
receiver's id) as GCM's associated data, so a sealed value moved to another row does
not open. Every machine of a deployment must share ROSTER_SECRET_KEY (the SAML cookie
already asks it): a value sealed under another key does not open, and the error says
so instead of a new key being made behind the operator's back.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from roster.config import Settings
from roster.keyfile import secret_key
from roster.model.errors import DirectoryError

VERSION = "v1"
_INFO = b"roster sealed secrets v1"
_NONCE = 12


class SealError(DirectoryError):
    """A sealed value that does not open with this deployment's secret key."""

    def __init__(self, message: str) -> None:
        super().__init__("unavailable", message)


@dataclass(frozen=True)
class Sealer:
    key: bytes  # 32 bytes

    @classmethod
    def for_settings(cls, settings: Settings) -> Sealer:
        return cls.from_secret(secret_key(settings))

    @classmethod
    def from_secret(cls, secret: str) -> Sealer:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO)
        return cls(derived.derive(secret.encode()))

    def seal(self, plaintext: bytes, context: str) -> str:
        nonce = os.urandom(_NONCE)
        sealed = AESGCM(self.key).encrypt(nonce, plaintext, context.encode())
        return f"{VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def unseal(self, token: str, context: str) -> bytes:
        version, _, body = token.partition(".")
        if version != VERSION:
            raise SealError(f"a sealed secret of an unknown format ({version[:8]!r})")
        raw = base64.urlsafe_b64decode(body.encode())
        try:
            return AESGCM(self.key).decrypt(raw[:_NONCE], raw[_NONCE:], context.encode())
        except InvalidTag:
            raise SealError(
                "a secret sealed in the database does not open with this machine's secret "
                "key: every machine must have the same ROSTER_SECRET_KEY (or share "
                "ROSTER_SECRET_KEY_FILE) as the one that sealed it"
            ) from None
