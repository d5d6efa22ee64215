"""The application's route table, flattened: every (method, path) Roster serves.

Tests that must cover every endpoint (tenant isolation, audit immutability) iterate
this instead of a hand-written list, so a route added later is covered by itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI

from roster.app import SCIM_PREFIX, create_app
from roster.config import Settings
from roster.store.db import Database
from roster.store.tables import metadata

_PARAM = re.compile(r"\{([^}:]+)(?::[^}]+)?\}")


@dataclass(frozen=True)
class RouteInfo:
    method: str
    path: str  # e.g. /scim/v2/Users/{person_id}

    @property
    def params(self) -> list[str]:
        return _PARAM.findall(self.path)

    @property
    def resource(self) -> str:
        """The first path segment after the SCIM prefix: Users, Groups, Schemas ..."""
        rest = self.path[len(SCIM_PREFIX) :].strip("/")
        return rest.split("/", 1)[0]

    def url(self, **values: str) -> str:
        """The path under the SCIM base URL with its parameters filled in."""
        filled = _PARAM.sub(lambda m: values[m.group(1)], self.path)
        return filled[len(SCIM_PREFIX) :]


def _flatten(routes: Iterable[Any]) -> Iterator[Any]:
    for route in routes:
        # FastAPI keeps included routers as branches that expand to their routes.
        candidates = getattr(route, "effective_candidates", None)
        if callable(candidates):
            yield from _flatten(candidates())
        else:
            yield route


def all_routes(app: FastAPI | None = None) -> list[RouteInfo]:
    app = app or create_app(Settings(database_url="sqlite:///:memory:", log_level="WARNING"))
    out: set[RouteInfo] = set()
    for route in _flatten(app.routes):
        path = getattr(route, "path", None)
        methods = getattr(route, "methods", None) or set()
        if not path:
            continue
        for method in methods:
            if method != "HEAD":
                out.add(RouteInfo(method, path))
    return sorted(out, key=lambda r: (r.path, r.method))


def scim_routes(app: FastAPI | None = None) -> list[RouteInfo]:
    """Every SCIM endpoint (the OpenAPI description itself excluded)."""
    return [
        r
        for r in all_routes(app)
        if r.path.startswith(SCIM_PREFIX + "/") and not r.path.endswith("/openapi.json")
    ]


async def tenant_rows(db: Database, tenant_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table that belongs to one company, in a stable order: a
    snapshot to compare before and after requests that must change nothing."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with db.read() as conn:
        for table in metadata.sorted_tables:
            if table.name == "tenants":
                query = sa.select(table).where(table.c.id == tenant_id)
            elif "tenant_id" in table.c:
                query = sa.select(table).where(table.c.tenant_id == tenant_id)
            else:
                continue
            rows = (await conn.execute(query)).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out
