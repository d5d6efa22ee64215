"""Groups: type, source and member count; change a group's type; create and edit
Roster groups. A refused form comes back on its own page with the error beside the
field and what was typed still in it (400); only a group that is not there is a 404."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from roster.console.forms import kept_form, sentence
from roster.console.web import Admin, ConsoleError, form_values, redirect
from roster.directory import roster_groups
from roster.model.errors import DirectoryError

router = APIRouter()
LABELS = {"name": "group name", "member": "member to add"}


async def _list_page(
    ctx: Admin,
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
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
        status=status,
        nav="groups",
        page=page,
        params={k: v for k, v in {"q": q, "source": source}.items() if v},
        types=roster_groups.GROUP_TYPES,
        notice=ctx.request.query_params.get("done") if status == 200 else None,
        error=error,
        values=values or {},
    )


@router.get("/groups")
async def groups_list(ctx: Admin) -> Response:
    return await _list_page(ctx)


@router.post("/groups")
async def group_create(ctx: Admin) -> Response:
    kept = await kept_form(ctx.request, "name", "group_type")
    try:
        form = await form_values(ctx.request, LABELS)
        group = await roster_groups.add_roster_group(
            ctx.db,
            ctx.tenant,
            form.get("name", ""),
            form.get("group_type", "") or "Groups",
            actor=ctx.actor,
        )
    except (ConsoleError, DirectoryError) as exc:
        return await _list_page(ctx, error=sentence(exc.message), values=kept, status=400)
    return redirect(f"/admin/groups/{group['id']}?done=created")


async def _group_page(
    ctx: Admin,
    group_id: str,
    *,
    error: str | None = None,
    field: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    try:
        detail = await roster_groups.detail(ctx.db, ctx.tenant, group_id)
    except DirectoryError:
        raise ConsoleError(404, "Group not found", "No such group in your company.") from None
    return ctx.render(
        "groups/detail.html",
        status=status,
        nav="groups",
        detail=detail,
        g=detail.group,
        types=roster_groups.GROUP_TYPES,
        shown=roster_groups.MEMBERS_SHOWN,
        notice=ctx.request.query_params.get("done") if status == 200 else None,
        error=error,
        field=field,
        values=values or {},
    )


@router.get("/groups/{group_id}")
async def group_page(group_id: str, ctx: Admin) -> Response:
    return await _group_page(ctx, group_id)


# The form each action comes from, and the field it names on the page.
FIELDS = {"type": "group_type", "rename": "name", "add": "member", "remove": "person_id"}


async def _edit(ctx: Admin, group_id: str, action: str) -> Response:
    field = FIELDS[action]
    kept = await kept_form(ctx.request, field)
    try:
        form = await form_values(ctx.request, LABELS)
        if action == "type":
            await roster_groups.set_group_type(
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
    except (ConsoleError, DirectoryError) as exc:
        # The group's own page, the error beside the form it came from (404 if the
        # group itself is gone: _group_page says so); 403 for what a rule forbids
        # (renaming a group the identity provider owns), 400 for what was typed.
        status = 403 if isinstance(exc, DirectoryError) and exc.kind == "forbidden" else 400
        return await _group_page(
            ctx, group_id, error=sentence(exc.message), field=field, values=kept, status=status
        )
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
