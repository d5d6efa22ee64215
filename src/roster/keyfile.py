"""The deployment's secret key: it signs short-lived browser state (the SAML request-id
cookie, sso/) and seals the secrets Roster keeps in the database for delivering Security
Event Tokens (the SET signing keys, receivers' Authorization headers: directory/sealing.py).

ROSTER_SECRET_KEY wins. Without it a random key is generated once and kept in
ROSTER_SECRET_KEY_FILE, so that every worker of one machine (and every restart) uses
the same key; several machines must share ROSTER_SECRET_KEY."""

from __future__ import annotations

import contextlib
import os
import secrets
from functools import lru_cache
from pathlib import Path

from roster.config import Settings

MIN_KEY_LENGTH = 32


def secret_key(settings: Settings) -> str:
    if settings.secret_key:
        if len(settings.secret_key) < MIN_KEY_LENGTH:
            raise ValueError(
                f"ROSTER_SECRET_KEY must be at least {MIN_KEY_LENGTH} characters "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        return settings.secret_key
    return _key_from_file(str(Path(settings.secret_key_file).resolve()))


@lru_cache(maxsize=8)
def _key_from_file(path: str) -> str:
    target = Path(path)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written aside then linked into place: of several workers starting at once,
        # exactly one key wins and nobody reads a half-written file.
        staging = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(staging, target)
        except FileExistsError:
            pass
        finally:
            with contextlib.suppress(FileNotFoundError):
                staging.unlink()
    key = target.read_text().strip()
    if len(key) < MIN_KEY_LENGTH:
        raise ValueError(f"{path} holds no usable secret key; delete it to generate one")
    return key
