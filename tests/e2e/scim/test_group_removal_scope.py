"""Removing someone from one group removes them from that group only.

A person and a bystander are both in groups A and B; the person is removed from A with
each shape the identity providers send (reference idp-okta-and-15five.md Part 3 items
13-14, scim-landscape.md "Entra remove member by value"), over HTTP, on SQLite and
PostgreSQL. Afterwards A holds only the bystander and B still holds both, seen from the
group (GET /Groups/B) and from each person (GET /Users/{id}, `groups`). A DELETE that
loses its "this group" condition takes the person out of B too; one that loses its
"this person" condition takes the bystander out of A."""

from __future__ import annotations

from typing import Any

import pytest

from roster.store.id_lists import STAGE_ABOVE
from tests.support.harness import Company
from tests.support.helpers import bulk_people

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTRA_HEADERS = {"Content-Type": "application/scim+json", "User-Agent": "Azure AD SCIM"}


def _push(company: Company, name: str, member_ids: list[str]) -> str:
    r = company.client.post(
        "/Groups",
        json={
            "schemas": [GROUP],
            "displayName": name,
            "members": [{"value": i} for i in member_ids],
        },
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _patch(
    company: Company, gid: str, ops: list[dict[str, Any]], headers: dict[str, str] | None = None
) -> None:
    r = company.client.patch(
        f"/Groups/{gid}", json={"schemas": [PATCH], "Operations": ops}, headers=headers
    )
    assert r.status_code in (200, 204), r.text


def _okta_remove(company: Company, gid: str, gone: list[str], kept: list[str]) -> None:
    # Okta Push Groups: one remove per person, a filter path and no value.
    _patch(company, gid, [{"op": "remove", "path": f'members[value eq "{i}"]'} for i in gone])


def _entra_remove(company: Company, gid: str, gone: list[str], kept: list[str]) -> None:
    # Entra: capitalised op, path "members" and the ids in value.
    _patch(
        company,
        gid,
        [{"op": "Remove", "path": "members", "value": [{"value": i} for i in gone]}],
        ENTRA_HEADERS,
    )


def _put_without(company: Company, gid: str, gone: list[str], kept: list[str]) -> None:
    # Okta AIW apps: the whole group, its members without the removed ones.
    r = company.client.put(
        f"/Groups/{gid}",
        json={"schemas": [GROUP], "displayName": "A", "members": [{"value": i} for i in kept]},
    )
    assert r.status_code == 200, r.text


def _replace_members(company: Company, gid: str, gone: list[str], kept: list[str]) -> None:
    # Okta "Push Now": the membership replaced by the remaining list.
    _patch(
        company,
        gid,
        [{"op": "replace", "path": "members", "value": [{"value": i} for i in kept]}],
    )


SHAPES = {
    "okta-remove-filter-path": _okta_remove,
    "entra-remove-by-value": _entra_remove,
    "put-without-the-person": _put_without,
    "patch-replace-members": _replace_members,
}


def _members(company: Company, gid: str) -> set[str]:
    r = company.client.get(f"/Groups/{gid}")
    assert r.status_code == 200, r.text
    return {m["value"] for m in r.json().get("members", [])}


def _groups_of(company: Company, person_id: str) -> set[str]:
    r = company.client.get(f"/Users/{person_id}")
    assert r.status_code == 200, r.text
    return {g["value"] for g in r.json().get("groups", [])}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_removal_from_one_group_leaves_the_other_group_alone(company: Company, shape: str) -> None:
    person, bystander = bulk_people(company, 2)
    a = _push(company, "A", [person, bystander])
    b = _push(company, "B", [person, bystander])
    assert _groups_of(company, person) == {a, b}

    SHAPES[shape](company, a, [person], [bystander])

    assert _members(company, a) == {bystander}
    assert _members(company, b) == {person, bystander}
    assert _groups_of(company, person) == {b}
    assert _groups_of(company, bystander) == {a, b}


@pytest.mark.parametrize("shape", [*SHAPES, "okta-remove-all-members"])
def test_emptying_one_group_leaves_the_other_group_alone(company: Company, shape: str) -> None:
    """The person was A's only member: A ends empty (the remove-everything statements),
    B keeps the person and the bystander."""
    person, bystander = bulk_people(company, 2)
    a = _push(company, "A", [person])
    b = _push(company, "B", [person, bystander])

    if shape == "okta-remove-all-members":
        _patch(company, a, [{"op": "remove", "path": "members"}])
    else:
        SHAPES[shape](company, a, [person], [])

    assert _members(company, a) == set()
    assert _members(company, b) == {person, bystander}
    assert _groups_of(company, person) == {b}
    assert _groups_of(company, bystander) == {b}


@pytest.mark.parametrize(
    "shape", ["entra-remove-by-value", "put-without-the-person", "patch-replace-members"]
)
def test_long_lists_leave_the_other_group_alone(company: Company, shape: str) -> None:
    """More than STAGE_ABOVE ids removed (Entra) or kept (PUT, replace): PostgreSQL stages
    the list in a temporary table and deletes with a statement of its own, which must be
    scoped to the group as well. (Okta's one-operation-per-person remove never carries a
    long list.)"""
    gone = bulk_people(company, STAGE_ABOVE + 1, prefix="gone")
    kept = bulk_people(company, STAGE_ABOVE + 1, prefix="kept")
    a = _push(company, "A", gone + kept)
    b = _push(company, "B", gone + kept)

    SHAPES[shape](company, a, gone, kept)

    assert _members(company, a) == set(kept)
    assert _members(company, b) == set(gone + kept)
    for person in (gone[0], gone[-1]):
        assert _groups_of(company, person) == {b}
    for person in (kept[0], kept[-1]):
        assert _groups_of(company, person) == {a, b}
