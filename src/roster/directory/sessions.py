"""Browser sessions for the console and SSO sign-in.

The cookie carries `<tenant id>.<secret>`; only sha256(secret) is stored. A new
session is issued at every sign-in (no fixation), and the CSRF token belongs to the
session.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from roster.store import sessions as store
from roster.store.db import Database
from roster.store.types import utcnow

COOKIE_NAME = "roster_session"
LIFETIME = timedelta(hours=12)
# ASCII digits only (str.isdigit() also takes "¹", which int() refuses), and few enough
# that the id fits the 64-bit column it is looked up in.
_TENANT_ID = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True)
class Session:
    tenant_id: int
    id: str
    subject_type: str  # console_user or person
    subject_id: str
    csrf_token: str
    expires_at: datetime


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def start_session(
    db: Database,
    tenant_id: int,
    subject_type: str,
    subject_id: str,
    *,
    lifetime: timedelta = LIFETIME,
) -> tuple[str, Session]:
    """A fresh session; returns (cookie value, session)."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    session = Session(
        tenant_id=tenant_id,
        id=_digest(secret),
        subject_type=subject_type,
        subject_id=subject_id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=now + lifetime,
    )
    async with db.write() as conn:
        await store.insert_session(
            conn,
            {
                "tenant_id": tenant_id,
                "id": session.id,
                "subject_type": subject_type,
                "subject_id": subject_id,
                "csrf_token": session.csrf_token,
                "created_at": now,
                "expires_at": session.expires_at,
                "last_seen_at": now,
            },
        )
    return f"{tenant_id}.{secret}", session


def _parse(cookie: str | None) -> tuple[int, str] | None:
    if not cookie or "." not in cookie or len(cookie) > 200:
        return None
    tenant, _, secret = cookie.partition(".")
    if not _TENANT_ID.fullmatch(tenant) or not secret:
        return None  # not a cookie Roster issued: no session, like a missing one
    return int(tenant), secret


async def load_session(db: Database, cookie: str | None) -> Session | None:
    parsed = _parse(cookie)
    if parsed is None:
        return None
    tenant_id, secret = parsed
    async with db.read() as conn:
        row = await store.get_session(conn, tenant_id, _digest(secret), utcnow())
    if row is None:
        return None
    return Session(
        tenant_id=row["tenant_id"],
        id=row["id"],
        subject_type=row["subject_type"],
        subject_id=row["subject_id"],
        csrf_token=row["csrf_token"],
        expires_at=row["expires_at"],
    )


async def end_session(db: Database, cookie: str | None) -> None:
    parsed = _parse(cookie)
    if parsed is None:
        return
    tenant_id, secret = parsed
    async with db.write() as conn:
        await store.delete_session(conn, tenant_id, _digest(secret))


def same_token(expected: str, submitted: object) -> bool:
    """A constant-time match of a token Roster issued (ASCII) with one a request
    carried; a file field or text outside ASCII (compare_digest raises on those) does
    not match."""
    if not isinstance(submitted, str) or not submitted or not submitted.isascii():
        return False
    return bool(expected) and expected.isascii() and secrets.compare_digest(expected, submitted)


def csrf_ok(session: Session, submitted: object) -> bool:
    return same_token(session.csrf_token, submitted)
