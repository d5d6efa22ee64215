"""Manage People's table: the view an admin asks for (filters, sort, direction, page
size) read from the URL and checked, one keyset page of it with its place in the whole
("1-50 of 5,001"), and the whole view, batch by batch, for the CSV export."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from roster.model.errors import invalid
from roster.store import groups_browse as group_store
from roster.store import people_browse as store
from roster.store import person_views as view_store
from roster.store.db import Database
from roster.store.tables import people
from roster.store.tenants import Tenant

PAGE_SIZES = (25, 50, 100)
DEFAULT_SIZE = 50
STATUSES = ("active", "deactivated", "deleted")
SOURCES = ("scim", "console", "csv", "cli", "sso")
SORTS = store.SORTS
DEFAULT_SORT = "name"
# The filters, in the order the form shows them; each is a query parameter.
FILTERS = ("q", "department", "manager", "location", "group", "status", "linked", "source")
EXPORT_BATCH = 500


def _one_of(value: str, allowed: tuple[str, ...], name: str, label: str | None = None) -> str:
    if value and value not in allowed:
        choices = ", ".join(allowed)
        raise invalid(f"{label or name} must be one of {choices} (not {value[:40]!r})", name)
    return value


@dataclass(frozen=True)
class PeopleView:
    """What the admin asked to see: every field checked, nothing of it raw SQL."""

    filters: dict[str, str] = field(default_factory=dict)
    sort: str = DEFAULT_SORT
    descending: bool = False
    size: int = DEFAULT_SIZE

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> PeopleView:
        """The view a URL's query names; a value outside its choices is refused by
        name with the allowed values (the console shows it as a 400 page)."""
        # NUL never matches a stored value, and PostgreSQL refuses it in a parameter.
        filters = {k: query.get(k, "").replace("\x00", "").strip()[:200] for k in FILTERS}
        _one_of(filters["status"], STATUSES, "status")
        _one_of(filters["linked"], ("yes", "no"), "linked")
        _one_of(filters["source"], SOURCES, "source")
        sort = _one_of(query.get("sort", "").strip(), SORTS, "sort") or DEFAULT_SORT
        direction = _one_of(query.get("dir", "").strip(), ("asc", "desc"), "dir")
        size_text = query.get("size", "").strip()
        _one_of(size_text, tuple(str(s) for s in PAGE_SIZES), "size", "page size")
        descending = direction == "desc" if direction else sort == "newest"
        return cls(
            {k: v for k, v in filters.items() if v},
            sort,
            descending,
            int(size_text) if size_text else DEFAULT_SIZE,
        )

    def params(self) -> dict[str, str]:
        """The view as query parameters (defaults left out), for links that keep it."""
        out = dict(self.filters)
        if self.sort != DEFAULT_SORT:
            out["sort"] = self.sort
        if self.descending != (self.sort == "newest"):
            out["dir"] = "desc" if self.descending else "asc"
        if self.size != DEFAULT_SIZE:
            out["size"] = str(self.size)
        return out

    def where(self, tenant: Tenant) -> list[Any]:
        f = self.filters
        return store.conditions(
            tenant.id,
            q=f.get("q"),
            status=f.get("status"),
            linked=f.get("linked"),
            source=f.get("source"),
            department=f.get("department"),
            manager=f.get("manager"),
            location=f.get("location"),
            group=f.get("group"),
        )


def encode_cursor(keys: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(keys).encode()).decode().rstrip("=")


def decode_cursor(view: PeopleView, text: str | None) -> list[Any] | None:
    """A page link's cursor; one that is not this sort's is refused by name."""
    if not text:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, TypeError):
        raw = None
    values = store.cursor_values(view.sort, raw) if isinstance(raw, list) else None
    if values is None:
        raise invalid("the page link is not one of this list's: start again from the first page")
    return values


@dataclass
class PeoplePage:
    people: list[dict[str, Any]]
    total: int
    next_after: str | None
    prev_before: str | None
    sort: str
    managers: dict[str, dict[str, Any]] = field(default_factory=dict)
    first: int = 1  # the 1-based place of the page's first row in the whole view
    departments: list[str] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)

    @property
    def last(self) -> int:
        return self.first + len(self.people) - 1


async def people_page(
    db: Database,
    tenant: Tenant,
    view: PeopleView,
    *,
    after: str | None = None,
    before: str | None = None,
    choices: bool = False,
) -> PeoplePage:
    """One page of the view. `choices` also reads the filter form's suggestions."""
    after_keys = decode_cursor(view, after)
    before_keys = None if after_keys is not None else decode_cursor(view, before)
    where = view.where(tenant)
    limit = view.size
    async with db.read() as conn:
        rows = await store.page(
            conn,
            where,
            sort=view.sort,
            descending=view.descending,
            limit=limit + 1,
            after=after_keys,
            before=before_keys,
        )
        first_page = after_keys is None and before_keys is None
        backwards = before_keys is not None
        more = len(rows) > limit
        rows = rows[-limit:] if backwards else rows[:limit]
        # A first page that is not full is the whole answer: no second scan to count it
        # (a rare search match would otherwise scan the company twice).
        total = len(rows) if first_page and not more else await store.count(conn, where)
        first = 1
        if rows and not first_page:
            head = store.cursor_values(view.sort, store.row_keys(view.sort, rows[0]))
            assert head is not None  # a row's own keys always read back
            ahead = store.before_row(view.sort, view.descending, head)
            first = await store.count(conn, [*where, ahead]) + 1
        managers = await view_store.managers(
            conn, tenant.id, [r["manager_id"] for r in rows if r["manager_id"]]
        )
        departments = await store.departments(conn, tenant.id) if choices else []
        groups = await group_store.choices(conn, tenant.id) if choices else []
    keys = (
        [encode_cursor(store.row_keys(view.sort, r)) for r in (rows[0], rows[-1])] if rows else []
    )
    if backwards:
        next_after = keys[1] if rows else None
        prev_before = keys[0] if more and rows else None
    else:
        next_after = keys[1] if more and rows else None
        prev_before = keys[0] if not first_page and rows else None
    return PeoplePage(
        rows, total, next_after, prev_before, view.sort, managers, first, departments, groups
    )


async def browse_people(
    db: Database,
    tenant: Tenant,
    *,
    q: str | None = None,
    status: str | None = None,
    limit: int = DEFAULT_SIZE,
) -> PeoplePage:
    """A first page of a search (the manager picker's suggestions)."""
    filters = {"q": (q or "").strip()[:200], "status": status or ""}
    view = PeopleView({k: v for k, v in filters.items() if v}, "name", False, limit)
    return await people_page(db, tenant, view)


async def every_person(
    db: Database, tenant: Tenant, view: PeopleView
) -> AsyncIterator[tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]]:
    """The whole view in its order, EXPORT_BATCH people (and their managers) at a time,
    each batch in a short read of its own: 100,000 people never sit in memory at once."""
    view = replace(view, size=EXPORT_BATCH)
    where = view.where(tenant)
    after: list[Any] | None = None
    while True:
        async with db.read() as conn:
            rows = await store.page(
                conn,
                where,
                sort=view.sort,
                descending=view.descending,
                limit=EXPORT_BATCH,
                after=after,
                columns=[c for c in people.c if c.name != "password_hash"],
            )
            managers = await view_store.managers(
                conn, tenant.id, [r["manager_id"] for r in rows if r["manager_id"]]
            )
        if not rows:
            return
        yield rows, managers
        if len(rows) < EXPORT_BATCH:
            return
        after = store.cursor_values(view.sort, store.row_keys(view.sort, rows[-1]))
