"""People as the doors show them: a PersonView is the person with their groups and
their manager's name and email, read in one statement; one person at a time, or a page
at a time for SCIM's list and search. An identity provider importing page after page
continues after the previous page's last id, so every page costs what the first does.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from roster.model.errors import not_found
from roster.model.query import BY_ID, Order, Resolved
from roster.store import people as store
from roster.store import person_views as view_store
from roster.store.db import Database
from roster.store.people import Person
from roster.store.tenants import Tenant

PersonView = tuple[Person, list[dict[str, Any]], dict[str, Any] | None]


async def get_person(db: Database, tenant: Tenant, person_id: str) -> Person:
    async with db.read() as conn:
        person = await store.get_person(conn, tenant.id, person_id)
    if person is None:
        raise not_found(f"User {person_id} not found")
    return person


_FRESH_TOTAL = 5.0


@dataclass(frozen=True)
class _Continuation:
    last_id: str
    total: int
    counted_at: float


class _Continuations:
    """Where a page of a company's people in id order ended, by the offset the next
    page starts at. Identity providers import page after page (startIndex 1, 101,
    201, ...): the next page then starts after the last id seen (an index seek)
    instead of skipping `startIndex` rows, so every page costs what the first does.
    The import's total is counted again at most every _FRESH_TOTAL seconds (counting a
    company of 100,000 costs more than the page itself); the last page's total is
    always exact. Per worker and bounded: a page asked of another worker, or out of
    sequence, skips rows and counts as before."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._ends: OrderedDict[tuple[Any, ...], _Continuation] = OrderedDict()

    def take(self, key: tuple[Any, ...], offset: int) -> _Continuation | None:
        return self._ends.pop((*key, offset), None)

    def put(self, key: tuple[Any, ...], offset: int, ended: _Continuation) -> None:
        self._ends[(*key, offset)] = ended
        while len(self._ends) > self.size:
            self._ends.popitem(last=False)


_CONTINUATIONS = _Continuations()


@dataclass
class Page:
    total: int
    people: list[Person]
    groups: dict[str, list[dict[str, Any]]]
    managers: dict[str, dict[str, Any]]


async def list_people(
    db: Database,
    tenant: Tenant,
    *,
    where: Resolved | None,
    order: Order = BY_ID,
    offset: int,
    limit: int,
    after_id: str | None = None,
    with_groups: bool = True,
    with_total: bool = True,
) -> Page:
    """A page of people: `where` a filter resolved against the registry, `order` by a
    field or by id (see store.person_views.list_people)."""
    equal = store.equality(where)
    continuing = order == BY_ID and after_id is None and (where is None or equal is not None)
    key = (tenant.id, equal, with_groups)
    by_index = after_id is None  # startIndex paging, not a cursor
    previous = _CONTINUATIONS.take(key, offset) if continuing and offset > 0 else None
    if previous is not None:
        after_id = previous.last_id
    async with db.read() as conn:
        views = (
            await view_store.list_people(
                conn,
                tenant.id,
                where=where,
                order=order,
                offset=offset if previous is None else 0,
                limit=limit,
                after_id=after_id,
                with_groups=with_groups,
            )
            if limit > 0
            else []
        )
        counted_at = time.monotonic()
        if not with_total:
            total = -1
        elif by_index and len(views) < limit and (views or offset == 0):
            total = offset + len(views)  # the last page: no COUNT needed
        elif previous is not None and counted_at - previous.counted_at < _FRESH_TOTAL:
            total, counted_at = previous.total, previous.counted_at
        else:
            total = await view_store.count_people(conn, tenant.id, where=where)
        if continuing and len(views) == limit > 0:
            _CONTINUATIONS.put(
                key, offset + limit, _Continuation(views[-1][0]["id"], total, counted_at)
            )
    rows = [person for person, _, _ in views]
    groups = {person["id"]: person_groups for person, person_groups, _ in views}
    managers = {manager["id"]: manager for _, _, manager in views if manager is not None}
    return Page(total, rows, groups, managers)


async def get_person_view(db: Database, tenant: Tenant, person_id: str) -> PersonView:
    """A person with the groups and manager they are shown with (one statement)."""
    async with db.read() as conn:
        view = await view_store.get_person_view(conn, tenant.id, person_id)
    if view is None:
        raise not_found(f"User {person_id} not found")
    return view
