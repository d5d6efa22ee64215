"""A company's SAML settings, the assertion replay cache, and who may sign in. SQL only;
every function takes the tenant (the replay purge alone sweeps every company's expired
rows)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.store.tables import console_users, people, saml_replay, sso_configs


async def get_config(conn: AsyncConnection, tenant_id: int) -> dict[str, Any] | None:
    row = (
        await conn.execute(sa.select(sso_configs).where(sso_configs.c.tenant_id == tenant_id))
    ).first()
    return dict(row._mapping) if row else None


async def save_config(
    conn: AsyncConnection, tenant_id: int, values: dict[str, Any], now: datetime
) -> None:
    existing = await get_config(conn, tenant_id)
    if existing is None:
        defaults: dict[str, Any] = {
            "idp_certificates": [],
            "allow_password_signin": True,
            "allow_idp_initiated": False,
            "allow_jit": False,
            "nameid": "email",
        }
        await conn.execute(
            sso_configs.insert().values(
                tenant_id=tenant_id, **{**defaults, **values}, updated_at=now
            )
        )
    else:
        await conn.execute(
            sso_configs.update()
            .where(sso_configs.c.tenant_id == tenant_id)
            .values(**values, updated_at=now)
        )


# --- Replay cache ------------------------------------------------------------------


async def remember_once(
    conn: AsyncConnection, tenant_id: int, key: str, expires_at: datetime, now: datetime
) -> bool:
    """Record `key` until `expires_at`; False if it is already recorded and not yet
    expired (a replay).

    The primary key makes the check atomic across workers: of two concurrent posts of
    the same assertion exactly one inserts the row (or reclaims an expired one)."""
    values = {"tenant_id": tenant_id, "assertion_id": key, "expires_at": expires_at}
    if conn.dialect.name == "postgresql":
        statement: Any = postgresql.insert(saml_replay).values(**values).on_conflict_do_nothing()
    else:
        statement = sqlite.insert(saml_replay).values(**values).on_conflict_do_nothing()
    if (await conn.execute(statement)).rowcount == 1:
        return True
    reclaimed = await conn.execute(
        saml_replay.update()
        .where(
            saml_replay.c.tenant_id == tenant_id,
            saml_replay.c.assertion_id == key,
            saml_replay.c.expires_at < now,
        )
        .values(expires_at=expires_at)
    )
    return bool(reclaimed.rowcount == 1)


async def purge_expired(conn: AsyncConnection, now: datetime, limit: int = 1000) -> int:
    """Forget expired keys of every company, a batch at a time. On PostgreSQL rows
    another worker holds are skipped, so concurrent purges never wait on each other."""
    expired = (
        sa.select(saml_replay.c.tenant_id, saml_replay.c.assertion_id)
        .where(saml_replay.c.expires_at < now)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        expired = expired.with_for_update(skip_locked=True)
    result = await conn.execute(
        saml_replay.delete().where(
            sa.tuple_(saml_replay.c.tenant_id, saml_replay.c.assertion_id).in_(expired)
        )
    )
    return int(result.rowcount or 0)


# --- Who signs in ----------------------------------------------------------------


async def people_for_sign_in(
    conn: AsyncConnection,
    tenant_id: int,
    *,
    email_lower: str | None = None,
    employee_number: str | None = None,
) -> list[dict[str, Any]]:
    """People of this company matching the NameID, tombstones included (the caller
    refuses those): by primary email, else userName; or by employee number."""
    columns = (
        people.c.id,
        people.c.user_name,
        people.c.email,
        people.c.employee_number,
        people.c.active,
        people.c.deleted_at,
    )
    base = sa.select(*columns).where(people.c.tenant_id == tenant_id)
    if employee_number is not None:
        rows = await conn.execute(base.where(people.c.employee_number == employee_number))
        return [dict(r._mapping) for r in rows]
    if not email_lower:
        return []
    rows = await conn.execute(base.where(people.c.email_lower == email_lower))
    found = [dict(r._mapping) for r in rows]
    if not any(p["deleted_at"] is None for p in found):
        rows = await conn.execute(base.where(people.c.user_name_lower == email_lower))
        found += [dict(r._mapping) for r in rows if r.id not in {p["id"] for p in found}]
    return found


async def console_user_for_sign_in(
    conn: AsyncConnection, tenant_id: int, nameid_lower: str, *, login_matches: bool
) -> str | None:
    """The console user a signed NameID reaches: the one an admin linked to it, else
    (`login_matches`, the email NameID format) the one whose login it is. A person's
    fields play no part."""
    linked = (
        await conn.execute(
            sa.select(console_users.c.id).where(
                console_users.c.tenant_id == tenant_id,
                console_users.c.sso_nameid_lower == nameid_lower,
            )
        )
    ).scalar_one_or_none()
    if linked is not None or not login_matches:
        return linked
    return (
        await conn.execute(
            sa.select(console_users.c.id).where(
                console_users.c.tenant_id == tenant_id,
                console_users.c.email_lower == nameid_lower,
            )
        )
    ).scalar_one_or_none()


async def console_user_logins(
    conn: AsyncConnection, tenant_id: int, emails_lower: list[str]
) -> list[str]:
    """Which of these addresses are console logins (to explain a refused console
    session in the log)."""
    if not emails_lower:
        return []
    rows = await conn.execute(
        sa.select(console_users.c.email).where(
            console_users.c.tenant_id == tenant_id,
            console_users.c.email_lower.in_(emails_lower),
        )
    )
    return [str(r.email) for r in rows]


async def link_sso_nameid(
    conn: AsyncConnection, tenant_id: int, email_lower: str, nameid: str | None
) -> bool:
    result = await conn.execute(
        console_users.update()
        .where(console_users.c.tenant_id == tenant_id, console_users.c.email_lower == email_lower)
        .values(sso_nameid=nameid, sso_nameid_lower=nameid.lower() if nameid else None)
    )
    return bool(result.rowcount == 1)


async def set_break_glass(
    conn: AsyncConnection, tenant_id: int, email_lower: str, break_glass: bool
) -> bool:
    result = await conn.execute(
        console_users.update()
        .where(console_users.c.tenant_id == tenant_id, console_users.c.email_lower == email_lower)
        .values(break_glass=break_glass)
    )
    return bool(result.rowcount == 1)


async def console_user_email(conn: AsyncConnection, tenant_id: int, user_id: str) -> str | None:
    return (
        await conn.execute(
            sa.select(console_users.c.email).where(
                console_users.c.tenant_id == tenant_id, console_users.c.id == user_id
            )
        )
    ).scalar_one_or_none()


async def touch_console_user(
    conn: AsyncConnection, tenant_id: int, user_id: str, at: datetime
) -> None:
    await conn.execute(
        console_users.update()
        .where(console_users.c.tenant_id == tenant_id, console_users.c.id == user_id)
        .values(last_login_at=at)
    )
