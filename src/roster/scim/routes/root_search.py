"""`POST /.search` at the service root (RFC 7644 §3.4.3): Users and Groups together.

"A query against a server root indicates that all resources within the server SHALL
be included, subject to filtering" (§3.4.2.1). The filter is resolved against each
resource type's schema; a type whose schema does not define an attribute the filter
names contributes nothing (`userName eq "x"` finds Users only, `members.value eq …`
Groups only, `displayName sw "A"` both), and a filter valid for neither is a 400
invalidFilter naming what each type can filter. The resources tell themselves apart
by their `schemas` and `meta.resourceType`.

Paging is stable: the result is every matching User in id order, then every matching
Group in id order, so startIndex/count walk it like one list. sortBy is refused here
(no order is shared by two tables whose sort columns differ; sort within /Users/.search
or /Groups/.search), and so are cursors, which continue after one table's id.
Decision: docs/conformance.md, "Search at the service root".
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from roster.directory import groups, person_views
from roster.model.query import BY_ID, Resolved
from roster.model.registry import CORE_GROUP, CORE_USER
from roster.scim.documents import ListRequest, Projection, list_response, search_params
from roster.scim.errors import ScimError, invalid_filter, invalid_value
from roster.scim.groups import render_group
from roster.scim.http import ERROR_RESPONSES, ScimResponse, json_body, scim_response
from roster.scim.routes.deps import JSON_BODY, Scim, ScimContext
from roster.scim.routes.groups import group_filter
from roster.scim.routes.users import render_person, user_filter

router = APIRouter(tags=["search"], default_response_class=ScimResponse, responses=ERROR_RESPONSES)

# Per resource type: whether it is searched (the filter names only attributes its
# schema defines) and the filter resolved against it (None: no filter).
Scope = tuple[bool, Resolved | None]


def _resolve_each(ctx: ScimContext, text: str | None) -> tuple[Scope, Scope]:
    refusals: list[ScimError] = []
    resolved: list[Scope] = []
    for resolve in (user_filter, group_filter):
        try:
            resolved.append((True, resolve(ctx, text)))
        except ScimError as refusal:
            if refusal.scim_type != "invalidFilter":
                raise
            refusals.append(refusal)
            resolved.append((False, None))
    if len(refusals) == 2:
        users, groups_ = refusals
        if users.detail == groups_.detail:  # a syntax error: the same for both
            raise users
        raise invalid_filter(
            f"the filter is valid for neither Users nor Groups. Users: {users.detail}. "
            f"Groups: {groups_.detail}"
        )
    return resolved[0], resolved[1]


@router.post("/.search", openapi_extra=JSON_BODY)
async def search_root(request: Request, ctx: Scim) -> ScimResponse:
    params = search_params(await json_body(request, refuse_nul=False))
    if params.get("sortBy"):
        raise invalid_value(
            "sortBy cannot be used in a search at the service root (Users and Groups have "
            "no order in common); sort with /Users/.search or /Groups/.search"
        )
    if params.get("cursor") is not None:
        raise invalid_value(
            "cursor paging is not available at the service root; page with startIndex, "
            "or use a cursor with /Users/.search or /Groups/.search"
        )
    ask = ListRequest(
        params,
        core_urn=CORE_USER,
        default_count=ctx.settings.default_page_size,
        max_count=ctx.settings.max_page_size,
    )
    group_projection = Projection(
        params.get("attributes"), params.get("excludedAttributes"), CORE_GROUP
    )
    (search_users, user_where), (search_groups, group_where) = _resolve_each(
        ctx, params.get("filter")
    )
    offset, count = ask.paging.offset, ask.paging.count
    resources: list[dict[str, Any]] = []
    users_total = groups_total = 0
    if search_users:
        page = await person_views.list_people(
            ctx.db,
            ctx.tenant,
            where=user_where,
            order=BY_ID,
            offset=offset,
            limit=count,
            with_groups=not ask.projection.excludes("groups"),
        )
        users_total = page.total
        resources.extend(
            ask.projection.apply(
                render_person(
                    ctx, p, page.groups.get(p["id"], []), page.managers.get(p["manager_id"] or "")
                )
            )
            for p in page.people
        )
    if search_groups:
        # The Groups follow the last User: their offset is what is left of startIndex.
        found = await groups.list_groups(
            ctx.db,
            ctx.tenant,
            where=group_where,
            order=BY_ID,
            offset=max(0, offset - users_total),
            limit=count - len(resources),
            with_members=not group_projection.excludes("members"),
        )
        groups_total = found.total
        resources.extend(
            group_projection.apply(
                render_group(
                    g,
                    base_url=ctx.base_url,
                    members=found.members.get(g["id"], []) if found.members is not None else None,
                )
            )
            for g in found.groups
        )
    return scim_response(
        list_response(resources, total=users_total + groups_total, start_index=ask.start_index)
    )
