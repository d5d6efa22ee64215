"""Manage People: search, filters, sort, page size, keyset paging (the view lives in
the URL: directory/people_table.py); a person's page; add a person while
SCIM is off; Roster-owned fields (timezone) editable always. Editing and offboarding a
person: people_edit.py."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from roster.console.web import Admin, ConsoleError, form_values, redirect
from roster.directory import browse, people, people_table, tenants, tombstones
from roster.model.errors import DirectoryError
from roster.model.person import new_person
from roster.model.person_edit import freed_address
from roster.model.profile import ProfileField, profile_fields
from roster.model.registry import UserSchemas

router = APIRouter()


def people_view(ctx: Admin) -> people_table.PeopleView:
    """The view the URL asks for; a value outside its choices is a 400 page naming them."""
    try:
        return people_table.PeopleView.from_query(ctx.request.query_params)
    except DirectoryError as exc:
        raise ConsoleError(400, "Manage People: that view does not exist", exc.message) from None


@router.get("/people")
async def people_list(ctx: Admin) -> Response:
    view = people_view(ctx)
    partial = ctx.request.headers.get("hx-target") == "results"
    try:
        page = await people_table.people_page(
            ctx.db,
            ctx.tenant,
            view,
            after=ctx.request.query_params.get("after"),
            before=ctx.request.query_params.get("before"),
            choices=not partial,
        )
    except DirectoryError as exc:
        raise ConsoleError(400, "Manage People: a broken page link", exc.message) from None
    return ctx.render(
        "people/results.html" if partial else "people/list.html",
        nav="people",
        page=page,
        view=view,
        params=view.params(),
        filtered=bool(view.filters),
        clear_params={k: v for k, v in view.params().items() if k not in view.filters},
        sorts=SORT_HEADERS,
        sizes=people_table.PAGE_SIZES,
        sources=SOURCE_LABELS,
        notice=ctx.request.query_params.get("done"),
    )


# The sortable columns, as (sort name, header); the other columns do not sort.
SORT_HEADERS = {
    "name": "Name",
    "department": "Department",
    "title": "Title",
    "start_date": "Start date",
    "status": "Status",
}
SOURCE_LABELS = {
    "scim": "SCIM (identity provider)",
    "console": "Console",
    "csv": "CSV import",
    "cli": "Command line",
    "sso": "SSO sign-in",
}


def _add_refusal(ctx: Admin) -> str | None:
    if ctx.tenant.scim_enabled:
        return (
            "SCIM is on: people are created by your identity provider. Assign the person to "
            "Roster in Okta (or your identity provider) and they appear here within seconds."
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
        await tombstones.restore_person(ctx.db, ctx.tenant, person_id, actor=ctx.actor)
    except DirectoryError as exc:
        raise ConsoleError(409, "Not restored", exc.message) from None
    return redirect(f"/admin/people/{person_id}?done=restored")
