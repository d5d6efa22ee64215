"""/Users: Okta's and Entra's whole user lifecycle."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from roster.directory import people, person_views, tombstones
from roster.directory.person_views import Page, PersonView
from roster.model.person import PersonInput
from roster.model.query import AttrPath, Field, Order, Resolved
from roster.model.registry import CORE_USER, UserSchemas
from roster.model.versions import etag
from roster.scim.documents import (
    ListRequest,
    Projection,
    list_response,
    not_modified,
    precondition,
    search_params,
)
from roster.scim.errors import ScimError, invalid_value
from roster.scim.filters import parse_attr_path, parse_filter, resolve
from roster.scim.http import ERROR_RESPONSES, NOT_MODIFIED, ScimResponse, json_body, scim_response
from roster.scim.patch import apply_to_document, parse_operations
from roster.scim.routes.deps import JSON_BODY, Scim, ScimContext, actor_of, valid_id
from roster.scim.users import extension_owner, parse_user, render_user
from roster.store.people import Person

router = APIRouter(tags=["users"], default_response_class=ScimResponse, responses=ERROR_RESPONSES)


def render_person(
    ctx: ScimContext,
    person: Person,
    groups: list[dict[str, Any]],
    manager: dict[str, Any] | None,
) -> dict[str, Any]:
    return render_user(
        person, base_url=ctx.base_url, schemas=ctx.schemas, groups=groups, manager=manager
    )


async def _single(
    ctx: ScimContext,
    person_id: str,
    status: int = 200,
    projection: Projection | None = None,
    data: PersonInput | None = None,
    view: PersonView | None = None,
) -> ScimResponse:
    projection = projection or Projection(None, None, CORE_USER)
    if view is None:
        view = await person_views.get_person_view(ctx.db, ctx.tenant, person_id)
    person, groups, manager = view
    if data is not None and data.new_custom:  # registered by this very request
        ctx = replace(ctx, schemas=ctx.schemas.with_custom(data.new_custom))
    doc = projection.apply(render_person(ctx, person, groups, manager))
    headers = {"ETag": etag(person["version"]), "Location": f"{ctx.base_url}/Users/{person['id']}"}
    return scim_response(doc, status, headers)


def _lookup(schemas: UserSchemas) -> Any:
    return lambda path: schemas.find(path.urn, path.attr, path.sub)


def user_filter(ctx: ScimContext, filter_text: str | None) -> Resolved | None:
    if filter_text is None or filter_text == "":
        return None
    ast = parse_filter(filter_text, max_length=ctx.settings.max_filter_length)
    schemas = ctx.schemas
    return resolve(
        ast,
        _lookup(schemas),
        filterable=schemas.filterable,
        values_of=lambda path: schemas.values_of(path.urn, path.attr),
    )


def _order(ctx: ScimContext, sort_by: str | None, sort_order: str | None) -> Order:
    """sortBy and sortOrder (RFC 7644 §3.4.2.3); people without the value come last."""
    order = (sort_order or "ascending").lower()
    if order not in ("ascending", "descending"):
        raise invalid_value("sortOrder must be ascending or descending")
    if not sort_by:
        return Order(None, order == "descending")
    path: AttrPath = parse_attr_path(sort_by, invalid_value)
    attr = ctx.schemas.find(path.urn, path.attr, path.sub)
    if attr is None or not attr.filterable or attr.field is None:
        raise invalid_value(f"sortBy {sort_by!r} is not a sortable attribute")
    return Order(Field(attr.field, attr.kind, attr.case_exact, sort_by), order == "descending")


async def _search(ctx: ScimContext, params: dict[str, Any]) -> ScimResponse:
    ask = ListRequest(
        params,
        core_urn=CORE_USER,
        default_count=ctx.settings.default_page_size,
        max_count=ctx.settings.max_page_size,
    )
    resolved = user_filter(ctx, params.get("filter"))
    page: Page = await person_views.list_people(
        ctx.db,
        ctx.tenant,
        where=resolved,
        order=_order(ctx, params.get("sortBy"), params.get("sortOrder")),
        offset=ask.paging.offset,
        limit=ask.limit,
        after_id=ask.paging.after_id,
        with_groups=not ask.projection.excludes("groups"),
    )
    rows, extra = ask.trim(page.people)
    resources = [
        ask.projection.apply(
            render_person(
                ctx, p, page.groups.get(p["id"], []), page.managers.get(p["manager_id"] or "")
            )
        )
        for p in rows
    ]
    return scim_response(
        list_response(resources, total=page.total, start_index=ask.start_index, extra=extra)
    )


@router.get("/Users")
async def list_users(request: Request, ctx: Scim) -> ScimResponse:
    return await _search(ctx, dict(request.query_params))


@router.post("/Users/.search", openapi_extra=JSON_BODY)
async def search_users(request: Request, ctx: Scim) -> ScimResponse:
    params = search_params(await json_body(request, refuse_nul=False))
    return await _search(ctx, params)


@router.post("/Users", status_code=201, openapi_extra=JSON_BODY)
async def create_user(request: Request, ctx: Scim) -> ScimResponse:
    body = await json_body(request)
    data = parse_user(body, ctx.schemas)
    written = await people.create_person(
        ctx.db, ctx.tenant, data, actor=actor_of(ctx), source="scim", request=body
    )
    return await _single(ctx, written.person["id"], 201, data=data, view=written.view)


@router.get("/Users/{person_id}", responses=NOT_MODIFIED)
async def get_user(person_id: str, request: Request, ctx: Scim) -> Response:
    view = await person_views.get_person_view(ctx.db, ctx.tenant, valid_id("User", person_id))
    condition = precondition(request.headers)
    if condition is not None and condition.unchanged("User", person_id, view[0]["version"]):
        return not_modified(view[0]["version"])
    projection = Projection(
        request.query_params.get("attributes"),
        request.query_params.get("excludedAttributes"),
        CORE_USER,
    )
    return await _single(ctx, person_id, projection=projection, view=view)


@router.put("/Users/{person_id}", openapi_extra=JSON_BODY)
async def replace_user(person_id: str, request: Request, ctx: Scim) -> ScimResponse:
    body = await json_body(request)
    data = parse_user(body, ctx.schemas)

    async def replacement(current: Person) -> PersonInput:
        # A PUT with no manager at all keeps a pending reference (a PUT echoing a GET
        # from before pending references were shown cannot carry it).
        if not data.manager_sent and current["manager_pending"]:
            data.manager_ref = current["manager_pending_as_sent"] or current["manager_pending"]
        return data

    written = await people.update_person(
        ctx.db,
        ctx.tenant,
        valid_id("User", person_id),
        replacement,
        actor=actor_of(ctx),
        action="person.replace",
        request=body,
        condition=precondition(request.headers),
    )
    return await _single(ctx, written.person["id"], data=data, view=written.view)


@router.patch("/Users/{person_id}", openapi_extra=JSON_BODY)
async def patch_user(person_id: str, request: Request, ctx: Scim) -> ScimResponse:
    body = await json_body(request)
    urns = tuple(s.id for s in ctx.schemas.extensions)
    operations = parse_operations(
        body, extension_urns=urns, max_operations=ctx.settings.max_patch_operations
    )

    parsed: list[PersonInput] = []

    async def patched(current: Person) -> PersonInput:
        manager = {"id": current["manager_id"]} if current["manager_id"] else None
        doc = render_user(
            current, base_url=ctx.base_url, schemas=ctx.schemas, manager=manager, for_patch=True
        )
        doc = apply_to_document(
            doc, operations, core_urns=(CORE_USER,), owner_of=extension_owner(ctx.schemas)
        )
        parsed.append(parse_user(doc, ctx.schemas))
        return parsed[-1]

    written = await people.update_person(
        ctx.db,
        ctx.tenant,
        valid_id("User", person_id),
        patched,
        actor=actor_of(ctx),
        action="person.patch",
        request=body,
        condition=precondition(request.headers),
    )
    return await _single(
        ctx, written.person["id"], data=parsed[-1] if parsed else None, view=written.view
    )


@router.delete("/Users/{person_id}", status_code=204)
async def delete_user(person_id: str, request: Request, ctx: Scim) -> ScimResponse:
    await tombstones.delete_person(
        ctx.db,
        ctx.tenant,
        valid_id("User", person_id),
        actor=actor_of(ctx),
        condition=precondition(request.headers),
    )
    return scim_response(None, 204)


__all__ = ["ScimError", "router"]
