"""Groups: type, source and member count; change a group's type; create and edit
Roster groups."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from roster.console.web import Admin, ConsoleError, form_values, redirect
from roster.directory import groups, roster_groups
from roster.model.errors import DirectoryError

router = APIRouter()
LABELS = {"name": "group name", "member": "member to add"}


@router.get("/groups")
async def groups_list(ctx: Admin) -> Response:
    q = ctx.request.query_params.get("q", "").strip()[:200]
    source = ctx.request.query_params.get("source", "")
    page = await roster_groups.list_page(
        ctx.db,
        ctx.tenant,
        q=q or None,
        source=source or None,
        after=ctx.request.query_params.get("after"),
    )
    return ctx.render(
        "groups/list.html",
        nav="groups",
        page=page,
        params={k: v for k, v in {"q": q, "source": source}.items() if v},
        types=roster_groups.GROUP_TYPES,
        notice=ctx.request.query_params.get("done"),
        error=ctx.request.query_params.get("error"),
    )


@router.post("/groups")
async def group_create(ctx: Admin) -> Response:
    form = await form_values(ctx.request, LABELS)
    try:
        group = await groups.add_roster_group(
            ctx.db,
            ctx.tenant,
            form.get("name", ""),
            form.get("group_type", "") or "Groups",
            actor=ctx.actor,
        )
    except DirectoryError as exc:
        raise ConsoleError(400, "Group not created", exc.message) from None
    return redirect(f"/admin/groups/{group['id']}?done=created")


@router.get("/groups/{group_id}")
async def group_page(group_id: str, ctx: Admin) -> Response:
    try:
        detail = await roster_groups.detail(ctx.db, ctx.tenant, group_id)
    except DirectoryError:
        raise ConsoleError(404, "Group not found", "No such group in your company.") from None
    return ctx.render(
        "groups/detail.html",
        nav="groups",
        detail=detail,
        g=detail.group,
        types=roster_groups.GROUP_TYPES,
        shown=roster_groups.MEMBERS_SHOWN,
        notice=ctx.request.query_params.get("done"),
    )


async def _edit(ctx: Admin, group_id: str, action: str) -> Response:
    form = await form_values(ctx.request, LABELS)
    try:
        if action == "type":
            await groups.set_group_type(
                ctx.db, ctx.tenant, group_id, form.get("group_type", ""), actor=ctx.actor
            )
        elif action == "rename":
            await roster_groups.rename(
                ctx.db, ctx.tenant, group_id, form.get("name", ""), actor=ctx.actor
            )
        elif action == "add":
            await roster_groups.add_member(
                ctx.db, ctx.tenant, group_id, form.get("member", ""), actor=ctx.actor
            )
        else:
            await roster_groups.remove_member(
                ctx.db, ctx.tenant, group_id, form.get("person_id", ""), actor=ctx.actor
            )
    except DirectoryError as exc:
        status = 404 if exc.kind == "not_found" else 403 if exc.kind == "forbidden" else 400
        raise ConsoleError(status, "Group not changed", exc.message) from None
    return redirect(f"/admin/groups/{group_id}?done={action}")


@router.post("/groups/{group_id}/type")
async def group_type(group_id: str, ctx: Admin) -> Response:
    return await _edit(ctx, group_id, "type")


@router.post("/groups/{group_id}/rename")
async def group_rename(group_id: str, ctx: Admin) -> Response:
    return await _edit(ctx, group_id, "rename")


@router.post("/groups/{group_id}/members")
async def group_add_member(group_id: str, ctx: Admin) -> Response:
    return await _edit(ctx, group_id, "add")


@router.post("/groups/{group_id}/members/remove")
async def group_remove_member(group_id: str, ctx: Admin) -> Response:
    return await _edit(ctx, group_id, "remove")
