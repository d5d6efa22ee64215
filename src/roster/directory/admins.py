"""Console users (a company's admins): creation, password sign-in with throttling.

Passwords are argon2id (directory/passwords.py). A password sign-in always asks the
SSO rules first (`sso.password_login_refusal`), so a company that signs in with SSO
only lets its break-glass admins use a password.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from roster.directory import sso
from roster.directory.audit import SYSTEM, Actor, record_change
from roster.directory.passwords import hash_password, verify_password
from roster.directory.tenants import get_tenant
from roster.model.errors import conflict, invalid
from roster.store import admins as store
from roster.store import tenants as tenant_store
from roster.store.db import Database
from roster.store.ids import new_id
from roster.store.tenants import Tenant
from roster.store.types import utcnow

ACCOUNT_ADMIN = "account_admin"
MANAGE_INTEGRATIONS = "manage_integrations"
ROLES = {
    ACCOUNT_ADMIN: "Account Admin",
    MANAGE_INTEGRATIONS: "Manage Integrations",
}
MIN_PASSWORD = 12
# zxcvbn's score 3: about 10^8 guesses or more, out of reach online and slow offline
# against argon2id.
MIN_PASSWORD_SCORE = 3
_COMMON_PASSWORDS = frozenset(FREQUENCY_LISTS["passwords"])
MAX_PASSWORD = 1024

# Throttling: after this many failures inside the window the key is locked for LOCKOUT.
EMAIL_FAILURES = 5
IP_FAILURES = 30
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Verified against when the email is unknown, so both answers take as long.
_DUMMY_HASH = (
    "$argon2id$v=19$m=19456,t=2,p=1$XDTjaSfjy4qIM5N1t4tUaQ$"
    "jF+gmd2EOffIyDAN7ta6ZgwJJ+HpdUpTI9/tknQU5rE"
)


@dataclass(frozen=True)
class ConsoleUser:
    tenant_id: int
    id: str
    email: str
    roles: tuple[str, ...]
    break_glass: bool
    last_login_at: datetime | None = None
    name: str | None = None
    has_password: bool = True
    sso_linked: bool = False

    @property
    def is_account_admin(self) -> bool:
        """Runs the company: people, groups, CSV, attributes and the admins themselves."""
        return ACCOUNT_ADMIN in self.roles

    @property
    def manages_integrations(self) -> bool:
        """SCIM, SSO, webhooks and the provisioning log (with or without Account Admin)."""
        return MANAGE_INTEGRATIONS in self.roles

    @property
    def can_sign_in(self) -> bool:
        """Has a way in: a password, or an SSO NameID linked to this admin."""
        return self.has_password or self.sso_linked

    @property
    def role_names(self) -> list[str]:
        return [ROLES.get(r, r) for r in self.roles]


def user_of(row: dict[str, Any]) -> ConsoleUser:
    return ConsoleUser(
        tenant_id=row["tenant_id"],
        id=row["id"],
        email=row["email"],
        roles=tuple(row["roles"] or ()),
        break_glass=bool(row["break_glass"]),
        last_login_at=row["last_login_at"],
        name=row.get("name"),
        has_password=bool(row.get("password_hash")),
        sso_linked=bool(row.get("sso_nameid")),
    )


class SignInRefused(Exception):
    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def check_password(password: str, *, context: Iterable[str] = ()) -> None:
    """NIST SP 800-63B §5.1.1.2: long enough, and not a commonly used or easily guessed
    one. zxcvbn (a maintained package) carries the list of the 30,000 most common
    passwords and estimates guesses from dictionaries, keyboard patterns, dates and
    `context` (the admin's email and company), so `Password1234!` is refused while a
    long passphrase is not."""
    if len(password) < MIN_PASSWORD:
        raise invalid(f"the password must be at least {MIN_PASSWORD} characters", "password")
    if len(password) > MAX_PASSWORD:
        raise invalid(f"the password must be at most {MAX_PASSWORD} characters", "password")
    if password.lower() in _COMMON_PASSWORDS:
        raise invalid(
            "this password is one of the most commonly used passwords; choose another "
            "(a few unrelated words make a strong one)",
            "password",
        )
    values = [v.strip().lower() for v in context if v.strip()]
    words = values + [w for v in values for w in re.split(r"[@.\s_-]+", v) if w]
    estimate = zxcvbn(password[:100], user_inputs=words)
    if estimate["score"] < MIN_PASSWORD_SCORE:
        warning = estimate["feedback"].get("warning") or "it is easy to guess"
        raise invalid(
            f"this password is too easy to guess ({warning.rstrip('.').lower()}); "
            "choose another: a few unrelated words make a strong one",
            "password",
        )


def check_roles(roles: Iterable[str]) -> tuple[str, ...]:
    """The roles in their stored order; an admin holds at least one."""
    chosen = {r.strip() for r in roles if r.strip()}
    unknown = sorted(chosen - set(ROLES))
    if unknown:
        raise invalid(
            f"unknown role(s) {', '.join(unknown)}: use {', '.join(ROLES)}",
            "roles",
        )
    if not chosen:
        raise invalid(
            "choose at least one role: Account Admin (account_admin) or Manage "
            "Integrations (manage_integrations)",
            "roles",
        )
    return tuple(r for r in ROLES if r in chosen)


def check_email(email: str) -> str:
    email = email.strip()
    if not _EMAIL.match(email) or len(email) > 320:
        raise invalid(
            f"{email!r} is not an email address: give one like jordan@example.com", "email"
        )
    return email


def attempt_key_of(subdomain: str, email: str) -> str:
    """The sign-in attempts key that locks this admin's email (see sign_in)."""
    return _attempt_key("email", f"{subdomain.strip().lower()}:{email.strip().lower()}")


async def create_admin(
    db: Database,
    subdomain: str,
    email: str,
    password: str,
    *,
    roles: Iterable[str] = (ACCOUNT_ADMIN, MANAGE_INTEGRATIONS),
    break_glass: bool = False,
    actor: Actor = SYSTEM,
) -> ConsoleUser:
    email = check_email(email)
    check_password(password, context=(email, subdomain))
    chosen = check_roles(roles)
    tenant = await get_tenant(db, subdomain)
    row = {
        "tenant_id": tenant.id,
        "id": new_id(),
        "email": email,
        "email_lower": email.lower(),
        "password_hash": await hash_password(password),
        "roles": list(chosen),
        "break_glass": break_glass,
        "created_at": utcnow(),
        "last_login_at": None,
    }
    try:
        async with db.write() as conn:
            await store.insert_console_user(conn, row)
            await record_change(
                conn,
                tenant.id,
                actor,
                "admin.create",
                "ConsoleUser",
                str(row["id"]),
                changes={"email": email, "roles": list(chosen), "break_glass": break_glass},
            )
    except IntegrityError:
        raise conflict(f"{email} is already a console user of {subdomain}") from None
    return user_of(row)


async def get_console_user(db: Database, tenant_id: int, user_id: str) -> ConsoleUser | None:
    async with db.read() as conn:
        row = await store.console_user_by_id(conn, tenant_id, user_id)
    return user_of(row) if row else None


async def list_admins(db: Database, tenant: Tenant) -> list[ConsoleUser]:
    async with db.read() as conn:
        return [user_of(r) for r in await store.list_console_users(conn, tenant.id)]


def _attempt_key(kind: str, value: str) -> str:
    key = f"{kind}:{value}"
    # Keys are bounded; a long one (an absurd email) is kept as its digest.
    return key if len(key) <= 200 else f"{kind}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def _locked_message(locked_until: datetime, now: datetime) -> SignInRefused:
    wait = max(1, math.ceil((locked_until - now).total_seconds()))
    minutes = max(1, math.ceil(wait / 60))
    return SignInRefused(
        f"Too many failed sign-ins. Try again in {minutes} minute"
        f"{'s' if minutes != 1 else ''}, or ask another admin to reset your password.",
        retry_after=wait,
    )


async def _reserve(db: Database, ip_key: str, email_key: str, now: datetime) -> None:
    """Count this attempt against the address and the account before the password is
    verified; SignInRefused when either is locked. The address first, so a locked
    address never counts against an account (and two attempts lock rows in one order)."""
    async with db.write() as conn:
        for key, limit in ((ip_key, IP_FAILURES), (email_key, EMAIL_FAILURES)):
            locked_until = await store.reserve_attempt(
                conn, key, limit=limit, now=now, window=WINDOW, lockout=LOCKOUT
            )
            if locked_until is not None:
                raise _locked_message(locked_until, now)


async def sign_in(
    db: Database, subdomain: str, email: str, password: str, *, client_ip: str
) -> tuple[Tenant, ConsoleUser]:
    """The admin these credentials belong to, or SignInRefused with a message that does
    not tell which of company, email or password was wrong.

    The attempt is reserved (counted) before the password is verified, so concurrent
    tries cannot run past the limits: at most EMAIL_FAILURES passwords are evaluated per
    account and IP_FAILURES per address in a window, whatever the concurrency."""
    wrong = "Company, email or password is incorrect."
    email_lower = email.strip().lower()
    company = subdomain.strip().lower()
    now = utcnow()
    ip_key = _attempt_key("ip", client_ip)
    email_key = attempt_key_of(company, email_lower)
    await _reserve(db, ip_key, email_key, now)
    async with db.read() as conn:
        tenant = await tenant_store.tenant_by_subdomain(conn, company)
        row = (
            await store.console_user_by_email(conn, tenant.id, email_lower)
            if tenant is not None and email_lower
            else None
        )
    stored = row["password_hash"] if row is not None else None
    acceptable = bool(stored) and 0 < len(password) <= MAX_PASSWORD
    # The dummy hash keeps an unknown company or email as slow as a wrong password.
    valid = await verify_password(
        stored if acceptable and stored else _DUMMY_HASH, password[:MAX_PASSWORD] or "x"
    )
    if tenant is None or row is None or not acceptable or not valid:
        raise SignInRefused(wrong)
    user = user_of(row)
    refusal = await sso.password_login_refusal(db, tenant, break_glass=user.break_glass)
    if refusal:
        raise SignInRefused(refusal[0].upper() + refusal[1:] + ".")
    async with db.write() as conn:
        await store.clear_attempts(conn, email_key)
        await store.release_attempt(conn, ip_key)
        await store.update_console_user(conn, tenant.id, user.id, {"last_login_at": now})
    return tenant, user
