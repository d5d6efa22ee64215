"""Manage People: search, filters, keyset paging; a person's page; add a person while
SCIM is off; Roster-owned fields (timezone) editable always. Editing and offboarding a
person: people_edit.py."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from roster.console.web import Admin, ConsoleError, form_values, redirect, whole_number
from roster.directory import browse, people, tenants
from roster.model.errors import DirectoryError
from roster.model.person import new_person
from roster.model.person_edit import freed_address
from roster.model.profile import ProfileField, profile_fields
from roster.model.registry import UserSchemas

router = APIRouter()

FILTERS = ("q", "status", "linked", "sort", "size")


@router.get("/people")
async def people_list(ctx: Admin) -> Response:
    params = {k: ctx.request.query_params.get(k, "") for k in FILTERS}
    size = whole_number(params["size"], "page size", minimum=1, maximum=max(browse.PAGE_SIZES))
    page = await browse.browse_people(
        ctx.db,
        ctx.tenant,
        q=params["q"] or None,
        status=params["status"] or None,
        linked=params["linked"] or None,
        sort=params["sort"] or "email",
        after=ctx.request.query_params.get("after"),
        before=ctx.request.query_params.get("before"),
        limit=size or 50,
    )
    template = (
        "people/results.html"
        if ctx.request.headers.get("hx-target") == "results"
        else "people/list.html"
    )
    return ctx.render(
        template,
        nav="people",
        page=page,
        params={k: v for k, v in params.items() if v},
        notice=ctx.request.query_params.get("done"),
    )


def _add_refusal(ctx: Admin) -> str | None:
    if ctx.tenant.scim_enabled:
        return (
            "SCIM is on: people are created by your identity provider. Assign the person to "
            "Roster in Okta (or your IdP) and they appear here within seconds."
        )
    return None


@router.get("/people/new")
async def person_new(ctx: Admin) -> Response:
    return ctx.render("people/new.html", nav="people", refusal=_add_refusal(ctx), values={})


@router.post("/people")
async def person_create(ctx: Admin) -> Response:
    form = await form_values(ctx.request)
    values = {k: form.get(k, "").strip() for k in ("email", "given_name", "family_name", "title")}
    try:
        data = new_person(
            values["email"],
            email=values["email"],
            given_name=values["given_name"],
            family_name=values["family_name"],
            title=values["title"],
        )
        written = await people.create_person(
            ctx.db, ctx.tenant, data, actor=ctx.actor, source="console"
        )
    except DirectoryError as exc:
        message = exc.message
        status = 403 if exc.kind == "forbidden" else 400
        return ctx.render(
            "people/new.html",
            status=status,
            nav="people",
            refusal=_add_refusal(ctx),
            values=values,
            error=message,
        )
    return redirect(f"/admin/people/{written.person['id']}?done=created")


# Shown on the person page in cards of their own (status badge, the ids, the timezone
# form, manager and reports), not among the attributes.
SHOWN_APART = frozenset({"id", "active", "timezone", "manager_id"})


def attribute_rows(schemas: UserSchemas) -> list[ProfileField]:
    """The person page's attributes: every one the registry stores, in its order."""
    return [f for f in profile_fields(schemas) if f.field not in SHOWN_APART]


@router.get("/people/{person_id}")
async def person_page(person_id: str, ctx: Admin) -> Response:
    try:
        profile = await browse.profile(ctx.db, ctx.tenant, person_id)
    except DirectoryError:
        raise ConsoleError(404, "Person not found", "No such person in your company.") from None
    schemas = UserSchemas(ctx.settings.company_extension_urn, tenants.custom_attributes(ctx.tenant))
    return ctx.render(
        "people/detail.html",
        nav="people",
        p=profile.person,
        profile=profile,
        fields=attribute_rows(schemas),
        timezones=browse.timezones(),
        notice=ctx.request.query_params.get("done"),
        email_freed=profile.person["email"] == freed_address(person_id),
    )


@router.post("/people/{person_id}/timezone")
async def person_timezone(person_id: str, ctx: Admin) -> Response:
    form = await form_values(ctx.request)
    try:
        await browse.set_timezone(
            ctx.db, ctx.tenant, person_id, form.get("timezone"), actor=ctx.actor
        )
    except DirectoryError as exc:
        raise ConsoleError(400, "Timezone not saved", exc.message) from None
    return redirect(f"/admin/people/{person_id}?done=timezone")


@router.post("/people/{person_id}/restore")
async def person_restore(person_id: str, ctx: Admin) -> Response:
    try:
        await people.restore_person(ctx.db, ctx.tenant, person_id, actor=ctx.actor)
    except DirectoryError as exc:
        raise ConsoleError(409, "Not restored", exc.message) from None
    return redirect(f"/admin/people/{person_id}?done=restored")
