"""Secrets never leak, and revocation is immediate.

A scripted Okta session against a real `roster serve` (two workers, DEBUG logging)
sends tokens and passwords every way an IdP can: good, wrong and revoked tokens;
passwords on create, replace, PATCH with and without a path, URN-qualified and oddly
cased, too long, of the wrong type. Then the server's stdout and stderr, every response
body, and every row of every table (audit trail and provisioning log included) are
searched for each token and password: none may appear. Tokens are kept only as
SHA-256 digests, passwords only as argon2 hashes.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from roster.directory import tokens
from roster.model.registry import CORE_USER
from roster.scim.schema import PATCH_OP
from roster.store.db import Database
from roster.store.tables import metadata
from tests.support.harness import BACKENDS
from tests.support.procserver import RosterProcess, Tenant, database, provision


def _all_rows_text(url: str) -> str:
    async def dump() -> str:
        db = Database(url, pool_size=1)
        parts = []
        try:
            async with db.read() as conn:
                for table in metadata.sorted_tables:
                    for row in await conn.execute(sa.select(table)):
                        parts.append(f"{table.name}: {tuple(row)!r}")
        finally:
            await db.dispose()
        return "\n".join(parts)

    return asyncio.run(dump())


@pytest.fixture(scope="module", params=BACKENDS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RosterProcess, str, Tenant]]:
    """One server per database for this module: two workers, DEBUG logging. The last
    test stops it and reads everything it wrote."""
    tmp = tmp_path_factory.mktemp(f"secrets-{request.param}")
    with database(request.param, tmp) as url:
        (company,) = provision(url)
        server = RosterProcess(
            url, tmp / "server.log", workers=2, env={"ROSTER_LOG_LEVEL": "DEBUG"}
        )
        server.start()
        try:
            yield server, url, company
        finally:
            server.stop()


def test_a_revoked_token_fails_at_once_on_every_worker(
    served: tuple[RosterProcess, str, Tenant],
) -> None:
    """Two workers, many keep-alive connections: the first request after the revocation
    commits is refused, whichever worker and connection it lands on."""
    server, url, company = served

    async def run() -> None:
        db = Database(url, pool_size=1)
        token_id, secret = await tokens.create_token(db, company.subdomain, "rotate")
        headers = {**company.headers(), "Authorization": f"Bearer {secret}"}
        async with httpx.AsyncClient(base_url=server.scim_url, headers=headers, timeout=60) as c:
            warm = await asyncio.gather(*(c.get("/ServiceProviderConfig") for _ in range(20)))
            assert {r.status_code for r in warm} == {200}
            await tokens.revoke_token(db, company.subdomain, token_id)
            after = await asyncio.gather(*(c.get("/Users") for _ in range(40)))
            assert {r.status_code for r in after} == {401}
            assert all("revoked" in r.json()["detail"] for r in after)
        await db.dispose()

    asyncio.run(run())
    # The company's other token is untouched.
    ok = httpx.get(f"{server.scim_url}/Users", headers=company.headers(), timeout=60)
    assert ok.status_code == 200


def test_no_token_or_password_is_kept_or_shown_anywhere(
    served: tuple[RosterProcess, str, Tenant],
) -> None:
    server, url, company = served
    passwords = [f"Pw-{secrets.token_urlsafe(12)}" for _ in range(9)]
    wrong_token = "rstr_scim_" + secrets.token_urlsafe(32)
    revoked_id, revoked = asyncio.run(_second_token(url, company.subdomain))
    misplaced = ["rstr_scim_" + secrets.token_urlsafe(32) for _ in range(6)]
    bodies: list[str] = []
    try:
        base = server.scim_url
        with httpx.Client(base_url=base, headers=company.headers(), timeout=60) as c:

            def send(method: str, path: str, **kw: object) -> httpx.Response:
                r = c.request(method, path, **kw)  # type: ignore[arg-type]
                bodies.append(r.text + repr(dict(r.headers)))
                assert r.status_code < 500, r.text
                return r

            p0, p1, p2, p3, p4, p5, p6, p7, p8 = passwords
            user = send(
                "POST", "/Users", json={"userName": "pw@example.com", "password": p0}
            ).json()
            uid = user["id"]
            send("PUT", f"/Users/{uid}", json={"userName": "pw@example.com", "password": p1})
            for op in (
                {"op": "replace", "path": "password", "value": p2},
                {"op": "Replace", "value": {"password": p3}},
                {"op": "replace", "path": f"{CORE_USER}:password", "value": p4},
                {"op": "add", "value": {f"{CORE_USER}:Password": p5}},
                {"op": "replace", "path": "PASSWORD", "value": p6},
            ):
                r = send("PATCH", f"/Users/{uid}", json={"schemas": [PATCH_OP], "Operations": [op]})
                assert r.status_code == 200, r.text
            # Refused requests that carry a password.
            send("POST", "/Users", json={"userName": "pw@example.com", "password": p7})  # 409
            send("POST", "/Users", json={"userName": "x@example.com", "password": [p8]})  # 400
            send("POST", "/Users", content=f'{{"userName": "y@x.com", "password": "{p8}"')
            # (A filter is a URL, kept as sent in the provisioning log; filtering on a
            # password is refused, so no IdP puts one there.)
            send("GET", "/Users", params={"filter": 'password eq "not-a-secret"'})
            send("PUT", f"/Users/{uid}", json={"password": p8})  # no userName: 400
            # Wrong, revoked and malformed tokens.
            for token in (wrong_token, revoked, revoked + "x", "Bearer " + wrong_token):
                r = httpx.get(
                    f"{base}/Users", headers={"Authorization": f"Bearer {token}"}, timeout=60
                )
                bodies.append(r.text + repr(dict(r.headers)))
                assert r.status_code == 401
            r = httpx.get(f"{base}/Users", headers={"Authorization": wrong_token}, timeout=60)
            assert r.status_code == 401
            # Tokens where no token belongs: the URL, a filter, an unknown attribute, a
            # PATCH path, the User-Agent. The IdP knows what it sent, so answers may echo
            # it; nothing written may keep it.
            send("GET", "/Users", params={"access_token": company.token, "count": "1"})
            send("GET", f"/Users/{misplaced[0]}")
            send("GET", "/Users", params={"filter": f'userName eq "{misplaced[1]}"'})
            send("POST", "/Users", json={"userName": "note@example.com", "note": misplaced[2]})
            send(
                "PATCH",
                f"/Users/{uid}",
                json={
                    "schemas": [PATCH_OP],
                    "Operations": [{"op": "replace", "path": misplaced[3], "value": "x"}],
                },
            )
            send("GET", "/Users", headers={"User-Agent": f"Okta SCIM Client {misplaced[4]}"})
            send("DELETE", f"/Groups/{misplaced[5]}")
        time.sleep(1)  # the provisioning log is written in batches
    finally:
        server.stop()
    logs = server.logs()
    assert "request" in logs  # the access log was written, at DEBUG
    rows = _all_rows_text(url)
    assert revoked_id in rows  # the dump does include the token table
    assert "[REDACTED]" in rows  # the misplaced tokens were recorded, redacted
    for secret in [company.token, revoked, wrong_token, *passwords]:
        for where, text in (("server output", logs), ("database", rows)):
            assert secret not in text, f"a secret appears in the {where}"
        for body in bodies:
            assert secret not in body, f"a secret appears in a response: {body[:300]}"
    for secret in misplaced:
        for where, text in (("server output", logs), ("database", rows)):
            assert secret not in text, f"a misplaced token appears in the {where}"


async def _second_token(url: str, subdomain: str) -> tuple[str, str]:
    db = Database(url, pool_size=1)
    try:
        token_id, secret = await tokens.create_token(db, subdomain, "to revoke")
        await tokens.revoke_token(db, subdomain, token_id)
    finally:
        await db.dispose()
    return token_id, secret
