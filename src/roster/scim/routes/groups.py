"""/Groups: Okta's Push Groups and group import, Entra's membership shapes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from roster.directory import groups
from roster.model.query import AttrPath, Field, Order, Resolved
from roster.model.registry import CORE_GROUP, GROUP_FILTERABLE, GROUP_SCHEMA, META, Attribute
from roster.model.versions import etag
from roster.scim.documents import (
    ListRequest,
    Projection,
    list_response,
    not_modified,
    precondition,
    search_params,
)
from roster.scim.errors import invalid_value
from roster.scim.filters import parse_attr_path, parse_filter, resolve
from roster.scim.groups import parse_group, parse_group_patch, render_group
from roster.scim.http import ERROR_RESPONSES, NOT_MODIFIED, ScimResponse, json_body, scim_response
from roster.scim.patch import parse_operations
from roster.scim.routes.deps import JSON_BODY, Scim, ScimContext, actor_of, valid_id
from roster.store.groups import Group

router = APIRouter(tags=["groups"], default_response_class=ScimResponse, responses=ERROR_RESPONSES)


def _attribute(path: AttrPath) -> Attribute | None:
    if path.urn is not None and path.urn.lower() != CORE_GROUP.lower():
        return None
    if path.attr.lower() == "meta":
        return META.sub(path.sub) if path.sub else None
    attr = GROUP_SCHEMA.attribute(path.attr)
    if attr is None:
        return None
    if path.sub:
        return attr.sub(path.sub)
    return attr.sub("value") if attr.kind == "complex" else attr


def group_filter(ctx: ScimContext, text: str | None) -> Resolved | None:
    if not text:
        return None
    ast = parse_filter(text, max_length=ctx.settings.max_filter_length)
    return resolve(ast, _attribute, filterable=GROUP_FILTERABLE)


def _order(sort_by: str | None, sort_order: str | None) -> Order:
    order = (sort_order or "ascending").lower()
    if order not in ("ascending", "descending"):
        raise invalid_value("sortOrder must be ascending or descending")
    if not sort_by:
        return Order(None, order == "descending")
    attr = _attribute(parse_attr_path(sort_by, invalid_value))
    if attr is None or attr.field is None or attr.field == "member":
        raise invalid_value(f"sortBy {sort_by!r} is not a sortable attribute")
    return Order(Field(attr.field, attr.kind, attr.case_exact, sort_by), order == "descending")


async def _single(
    ctx: ScimContext, group: Group, status: int = 200, projection: Projection | None = None
) -> ScimResponse:
    projection = projection or Projection(None, None, CORE_GROUP)
    members = None
    if not projection.excludes("members"):
        members = (await groups.members_of(ctx.db, ctx.tenant, [group["id"]]))[group["id"]]
    doc = projection.apply(render_group(group, base_url=ctx.base_url, members=members))
    headers = {
        "ETag": etag(group["version"]),
        "Location": f"{ctx.base_url}/Groups/{group['id']}",
    }
    return scim_response(doc, status, headers)


async def _search(ctx: ScimContext, params: dict[str, Any]) -> ScimResponse:
    ask = ListRequest(
        params,
        core_urn=CORE_GROUP,
        default_count=ctx.settings.default_page_size,
        max_count=ctx.settings.max_page_size,
    )
    page = await groups.list_groups(
        ctx.db,
        ctx.tenant,
        where=group_filter(ctx, params.get("filter")),
        order=_order(params.get("sortBy"), params.get("sortOrder")),
        offset=ask.paging.offset,
        limit=ask.limit,
        after_id=ask.paging.after_id,
        with_members=not ask.projection.excludes("members"),
    )
    rows, extra = ask.trim(page.groups)
    resources = [
        ask.projection.apply(
            render_group(
                g,
                base_url=ctx.base_url,
                members=page.members.get(g["id"], []) if page.members is not None else None,
            )
        )
        for g in rows
    ]
    return scim_response(
        list_response(resources, total=page.total, start_index=ask.start_index, extra=extra)
    )


@router.get("/Groups")
async def list_groups(request: Request, ctx: Scim) -> ScimResponse:
    return await _search(ctx, dict(request.query_params))


@router.post("/Groups/.search", openapi_extra=JSON_BODY)
async def search_groups(request: Request, ctx: Scim) -> ScimResponse:
    params = search_params(await json_body(request, refuse_nul=False))
    return await _search(ctx, params)


@router.post("/Groups", status_code=201, openapi_extra=JSON_BODY)
async def create_group(request: Request, ctx: Scim) -> ScimResponse:
    body = await json_body(request)
    change = parse_group(body, max_members=ctx.settings.max_members_per_request)
    written = await groups.create_group(
        ctx.db, ctx.tenant, change, actor=actor_of(ctx), request=body
    )
    return await _single(ctx, written.group, 201)


@router.get("/Groups/{group_id}", responses=NOT_MODIFIED)
async def get_group(group_id: str, request: Request, ctx: Scim) -> Response:
    group = await groups.get_group(ctx.db, ctx.tenant, valid_id("Group", group_id))
    condition = precondition(request.headers)
    if condition is not None and condition.unchanged("Group", group_id, group["version"]):
        return not_modified(group["version"])
    projection = Projection(
        request.query_params.get("attributes"),
        request.query_params.get("excludedAttributes"),
        CORE_GROUP,
    )
    return await _single(ctx, group, projection=projection)


@router.put("/Groups/{group_id}", openapi_extra=JSON_BODY)
async def replace_group(group_id: str, request: Request, ctx: Scim) -> ScimResponse:
    body = await json_body(request)
    change = parse_group(body, max_members=ctx.settings.max_members_per_request)
    group = await groups.change_group(
        ctx.db,
        ctx.tenant,
        valid_id("Group", group_id),
        change,
        actor=actor_of(ctx),
        action="group.replace",
        request=body,
        condition=precondition(request.headers),
    )
    return await _single(ctx, group)


@router.patch(
    "/Groups/{group_id}",
    openapi_extra=JSON_BODY,
    responses={204: {"description": "changed; no body unless attributes are asked for"}},
)
async def patch_group(group_id: str, request: Request, ctx: Scim) -> ScimResponse:
    body = await json_body(request)
    operations = parse_operations(
        body, extension_urns=(), max_operations=ctx.settings.max_patch_operations
    )
    change = parse_group_patch(
        operations,
        group_id=valid_id("Group", group_id),
        max_members=ctx.settings.max_members_per_request,
    )
    group = await groups.change_group(
        ctx.db,
        ctx.tenant,
        group_id,
        change,
        actor=actor_of(ctx),
        action="group.patch",
        request=body,
        condition=precondition(request.headers),
    )
    attributes = request.query_params.get("attributes")
    excluded = request.query_params.get("excludedAttributes")
    if attributes is None and excluded is None:
        # 204 (RFC 7644 §3.5.2; Okta and Entra accept it): a large group's member list
        # is not worth sending back on every membership change.
        return scim_response(None, 204, {"ETag": etag(group["version"])})
    return await _single(ctx, group, projection=Projection(attributes, excluded, CORE_GROUP))


@router.delete("/Groups/{group_id}", status_code=204)
async def delete_group(group_id: str, request: Request, ctx: Scim) -> ScimResponse:
    await groups.delete_group(
        ctx.db,
        ctx.tenant,
        valid_id("Group", group_id),
        actor=actor_of(ctx),
        condition=precondition(request.headers),
    )
    return scim_response(None, 204)
