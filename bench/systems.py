"""The systems under test: Roster (SQLite / PostgreSQL, 1 or 2 workers), the peers
(django-scim2, scim2-server) and the bare-uvicorn ceiling. Each one is started, seeded
over its own SCIM API with the same people and groups, and described by a data file
that bench/okta.lua reads."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from common import BENCH, BIN, PEERS, RAW, Server, create_database, free_port, log, pg_url

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


@dataclass
class Target:
    """A started, seeded system: where it listens and what the load generator sends."""

    name: str
    label: str
    kind: str  # roster | peer | ceiling
    server: Server
    base: str  # path prefix of the SCIM endpoints
    token: str
    database: str | None = None  # PostgreSQL database name, for backend CPU
    style: str = "okta"  # membership PATCH dialect the system can serve
    unsupported: dict[str, str] = field(default_factory=dict)  # op -> why
    notes: list[str] = field(default_factory=list)
    datafile: Path | None = None
    cleanup: list[Callable[[], None]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def stop(self) -> None:
        self.server.stop()
        for fn in self.cleanup:
            fn()


# --- seeding over SCIM -------------------------------------------------------------


async def _seed(
    target: Target, people: int, group_size: int, users: list[tuple[str, str]] | None
) -> None:
    headers = {
        "Authorization": f"Bearer {target.token}",
        "Content-Type": "application/scim+json",
    }
    tag = secrets.token_hex(3)
    limits = httpx.Limits(max_connections=8)
    async with httpx.AsyncClient(
        base_url=target.url + target.base, headers=headers, timeout=120, limits=limits
    ) as client:
        sem = asyncio.Semaphore(8)

        async def create(i: int) -> tuple[str, str]:
            user_name = f"user{i}.{tag}@bench.example"
            body = {
                "schemas": [USER],
                "userName": user_name,
                "name": {"givenName": f"Given{i}", "familyName": "Bench"},
                "emails": [{"primary": True, "value": user_name, "type": "work"}],
                "displayName": f"Given{i} Bench",
                "locale": "en-US",
                "externalId": f"00u{tag}{i}",
                "groups": [],
                "active": True,
            }
            async with sem:
                r = await client.post("/Users", json=body)
            if r.status_code != 201:
                raise RuntimeError(f"{target.name}: seeding a user gave {r.status_code} {r.text}")
            return str(r.json()["id"]), user_name

        if users is None:
            users = list(await asyncio.gather(*(create(i) for i in range(people))))

        async def group(name: str, members: list[str]) -> str:
            r = await client.post(
                "/Groups", json={"schemas": [GROUP], "displayName": name, "members": []}
            )
            if r.status_code != 201:
                raise RuntimeError(f"{target.name}: creating a group gave {r.status_code} {r.text}")
            gid = str(r.json()["id"])
            r = await client.patch(
                f"/Groups/{gid}",
                json={
                    "schemas": [PATCH],
                    "Operations": [
                        {"op": "add", "path": "members", "value": [{"value": m} for m in members]}
                    ],
                },
            )
            if r.status_code not in (200, 204):
                raise RuntimeError(f"{target.name}: adding members gave {r.status_code} {r.text}")
            return gid

        ids = [u[0] for u in users]
        big = await group("Big group", ids[:group_size])
        push = await group("Push group", ids[:group_size])
    lines = [f"token\t{target.token}", f"base\t{target.base}"]
    lines += [f"user\t{uid}\t{name}" for uid, name in users]
    lines += [f"extra\t{uid}\t{name}" for uid, name in users[group_size:]]
    lines += [f"group\t{big}", f"push\t{push}"]
    RAW.mkdir(parents=True, exist_ok=True)
    target.datafile = RAW / f"data-{target.name}.tsv"
    target.datafile.write_text("\n".join(lines) + "\n")


def seed(
    target: Target, people: int, group_size: int, users: list[tuple[str, str]] | None = None
) -> Target:
    """People over SCIM (unless `users` were bulk-loaded), then the two groups over SCIM."""
    how = "bulk-loaded" if users else "over SCIM"
    log(f"{target.name}: seeding {people:,} people ({how}) and two {group_size:,}-member groups")
    asyncio.run(_seed(target, people, group_size, users))
    return target


# --- Roster --------------------------------------------------------------------------


def roster_env(database_url: str, src: Path | None = None) -> dict[str, str]:
    """`make run`'s environment for one database. With `src` (another checkout's src/),
    PYTHONPATH puts that checkout's roster package ahead of the one installed in .venv
    (an editable install: a plain path entry in site-packages, which PYTHONPATH precedes)."""
    env = {
        **os.environ,
        "ROSTER_DATABASE_URL": database_url,
        # Throughput is measured with the per-company/per-token rate limits off; they
        # exist to protect a deployment, not to be benchmarked.
        "ROSTER_RATE_LIMIT_PER_COMPANY": "0",
        "ROSTER_RATE_LIMIT_PER_TOKEN": "0",
    }
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    return env


def new_company(env: dict[str, str]) -> tuple[str, str]:
    """A company with SCIM on and a token: what `roster tenant create`, `roster scim
    enable` and `roster scim token create` do, called in-process (each CLI call costs a
    few seconds of imports, which added up to minutes of a quick run)."""
    from roster.directory import tenants, tokens
    from roster.store.db import Database

    sub = f"bench-{secrets.token_hex(3)}"

    async def go() -> str:
        db = Database(env["ROSTER_DATABASE_URL"], pool_size=1)
        try:
            await tenants.create_tenant(db, sub, "Bench Inc")
            await tenants.set_scim_enabled(db, sub, True)
            _, secret = await tokens.create_token(db, sub, "bench")
            return secret
        finally:
            await db.dispose()

    return sub, asyncio.run(go())


def upgrade(env: dict[str, str]) -> None:
    """`roster db upgrade`, in-process."""
    from roster.store import migrate

    migrate.upgrade(env["ROSTER_DATABASE_URL"])


def roster(
    database_url: str,
    backend: str,
    workers: int,
    people: int,
    group_size: int,
    *,
    src: Path | None = None,
    suffix: str = "",
) -> Target:
    """`roster serve` on one database, seeded over SCIM. With `src`, the server runs that
    checkout's code (bench/versus.py); the schema is still written by this checkout's
    migrations in-process, which versus.py allows only when the migrations agree."""
    env = roster_env(database_url, src)
    upgrade(env)
    _sub, token = new_company(env)
    # Roster's people are created over SCIM with Okta's body, as the peers' are and as a
    # user's are: a bulk load followed by ANALYZE measured a Roster nobody gets (issue
    # 17). Nothing here analyzes the tables; Roster's own statistics keeper does.
    port = free_port()
    name = f"roster-{backend}-{workers}w{suffix}"
    server = Server(
        name,
        [str(BIN / "roster"), "serve", "--port", str(port), "--workers", str(workers)],
        env,
        port,
        health="/healthz",
    ).start()
    dbname = database_url.rsplit("/", 1)[-1] if backend == "postgresql" else None
    label = f"Roster, {'PostgreSQL' if backend == 'postgresql' else 'SQLite'}, {workers} worker"
    label += ("s" if workers > 1 else "") + (f" {suffix}" if suffix else "")
    target = Target(name, label, "roster", server, "/scim/v2", token, dbname)
    return seed(target, people, group_size)


# --- peers -----------------------------------------------------------------------------


def peer_venv(name: str) -> Path:
    """bench/.peers/NAME: its own virtualenv, from bench/peers/requirements-NAME.txt."""
    venv = PEERS / name
    requirements = BENCH / "peers" / f"requirements-{name}.txt"
    stamp = venv / ".installed"
    if not stamp.exists() or stamp.read_text() != requirements.read_text():
        log(f"installing {name} into {venv}")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", "-r", str(requirements)],
            check=True,
        )
        stamp.write_text(requirements.read_text())
    return venv


def gunicorn_argv(venv: Path, port: int, app: str) -> list[str]:
    # One worker process, as the issue asks. gthread keeps connections alive (the sync
    # worker closes each one) and overlaps database waits; it was the faster of the two
    # for both peers on this machine.
    threads = os.environ.get("BENCH_GUNICORN_THREADS", "4")
    return [
        str(venv / "bin" / "gunicorn"),
        "--workers",
        "1",
        "--worker-class",
        "gthread",
        "--threads",
        threads,
        "--bind",
        f"127.0.0.1:{port}",
        "--keep-alive",
        "75",
        "--log-level",
        "warning",
        app,
    ]


def django_scim2(people: int, group_size: int) -> Target:
    venv = peer_venv("django-scim2")
    project = BENCH / "peers" / "djangoproject"
    dbname = create_database("bench_django")
    token = "dj_" + secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "DJANGO_BENCH_DB": dbname,
        "DJANGO_BENCH_TOKEN": token,
        "DJANGO_SETTINGS_MODULE": "benchsite.settings",
        "PYTHONPATH": str(project),
    }
    subprocess.run(
        [str(venv / "bin" / "python"), "manage.py", "migrate", "-v0"],
        cwd=project,
        env=env,
        check=True,
    )
    port = free_port()
    server = Server(
        "django-scim2",
        gunicorn_argv(venv, port, "benchsite.wsgi:application"),
        env,
        port,
        cwd=project,
        health="/scim/v2/ServiceProviderConfig",
    ).start()
    target = Target(
        "django-scim2",
        "django-scim2 0.23 (Django 5.2, PostgreSQL, gunicorn 1 worker)",
        "peer",
        server,
        "/scim/v2",
        token,
        dbname,
        style="entra",
        unsupported={
            "push": "Push Now (`replace` of `members`) answers 501: SCIMGroup.handle_replace "
            "only knows `name`",
        },
        notes=[
            "Okta's membership PATCH (the path-less rename sent with every change, then "
            '`add`) answers 501, and Okta\'s `remove` by `members[value eq "…"]` removes '
            "nothing (django-scim2 reads ids only from `value`). Its membership row is "
            "measured in Entra's shape (`add`/`remove` with a `value` list), which it serves.",
            "Passwords are hashed with Django's default PBKDF2 (1,000,000 iterations), so "
            "Okta's create body (which always carries a password) is bound by hashing.",
        ],
    )
    from common import drop_database

    target.cleanup.append(lambda: drop_database(dbname))
    return seed(target, people, group_size)


def scim2_server(people: int, group_size: int) -> Target:
    venv = peer_venv("scim2-server")
    token = "s2_" + secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "SCIM2_BENCH_TOKEN": token,
        "PYTHONPATH": str(BENCH / "peers"),
    }
    port = free_port()
    server = Server(
        "scim2-server",
        gunicorn_argv(venv, port, "scim2_server_app:application"),
        env,
        port,
        health="/v2/ServiceProviderConfig",
    ).start()
    target = Target(
        "scim2-server",
        "scim2-server 0.8.3 (in memory, gunicorn 1 worker)",
        "peer",
        server,
        "/v2",
        token,
        notes=[
            "Keeps everything in process memory (no database, no durability): its figures "
            "are an upper bound for a Python SCIM stack with storage removed.",
        ],
    )
    return seed(target, people, group_size)


# --- the ceiling ------------------------------------------------------------------------


def ceiling(workers: int, people: int) -> Target:
    port = free_port()
    server = Server(
        f"bare-uvicorn-{workers}w",
        [
            str(BIN / "uvicorn"),
            "--app-dir",
            str(BENCH),
            "ceiling_app:app",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        dict(os.environ),
        port,
        health="/scim/v2/Users/probe",
    ).start()
    target = Target(
        f"bare-uvicorn-{workers}w",
        f"bare Starlette endpoint under uvicorn, {workers} worker" + ("s" if workers > 1 else ""),
        "ceiling",
        server,
        "/scim/v2",
        "none",
    )
    lines = ["token\tnone", "base\t/scim/v2"]
    lines += [f"user\t{secrets.token_hex(8)}\tu{i}@x" for i in range(people)]
    RAW.mkdir(parents=True, exist_ok=True)
    target.datafile = RAW / f"data-{target.name}.tsv"
    target.datafile.write_text("\n".join(lines) + "\n")
    return target


def postgres_database() -> tuple[str, str]:
    """A throw-away database: (name, URL)."""
    name = create_database("roster_bench")
    return name, pg_url(name)


def describe(target: Target) -> dict[str, Any]:
    return {
        "name": target.name,
        "label": target.label,
        "kind": target.kind,
        "style": target.style,
        "unsupported": target.unsupported,
        "notes": target.notes,
    }
