"""A person's edit form and offboarding: every field the registry lists (custom
attributes included) with the input its kind calls for, a manager picked by searching
people, and deactivate, reactivate, delete, restore and "free this email", each after a
confirmation page (POST, then a redirect to the person's page). The rules, and what the
identity provider owns while SCIM is on, are directory/person_edits.py's."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from roster import inputs
from roster.console.web import Admin, ConsoleError, redirect, safe_next
from roster.directory import browse, person_edits, tenants, tombstones
from roster.model.errors import DirectoryError, conflict, forbidden
from roster.model.person_edit import FieldErrors, freed_address, read_edit
from roster.model.profile import ProfileField

router = APIRouter()

# Not on the form: Roster's id, and the status (the offboarding buttons change it).
NOT_ON_FORM = frozenset({"id", "active"})
MANAGER_MATCHES = 10
# What no page can show back: NUL and other C0 controls, unpaired surrogates.
_UNSHOWABLE = re.compile(r"[\x00-\x08\x0a-\x1f\ud800-\udfff]")


def form_fields(ctx: Admin) -> list[ProfileField]:
    return [
        f
        for f in person_edits.editable_fields(ctx.tenant)
        if f.editable and f.field not in NOT_ON_FORM
    ]


def _text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "boolean" or isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def current_values(
    fields: list[ProfileField], person: dict[str, Any], manager: Any
) -> dict[str, str]:
    out = {}
    for f in fields:
        if f.field.startswith("custom:"):
            value = (person["custom"] or {}).get(f.field.removeprefix("custom:"))
        elif f.value_format == "person":
            value = (
                (manager or {}).get("email") or person["manager_id"] or person["manager_pending"]
            )
        else:
            value = person.get(f.field)
        out[f.field] = _text(value, f.kind)
    return out


async def _loaded(ctx: Admin, person_id: str) -> browse.Profile:
    try:
        return await browse.profile(ctx.db, ctx.tenant, person_id)
    except DirectoryError:
        raise ConsoleError(404, "Person not found", "No such person in your company.") from None


def _render_form(
    ctx: Admin,
    profile: browse.Profile,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    matches: list[dict[str, Any]] | None = None,
    searched: str | None = None,
    status: int = 200,
) -> Response:
    fields = form_fields(ctx)
    return ctx.render(
        "people/edit.html",
        status=status,
        nav="people",
        p=profile.person,
        fields=fields,
        changeable={f.field: person_edits.changeable_now(ctx.tenant, f) for f in fields},
        values=values,
        errors=errors or {},
        matches=matches,
        searched=searched,
        timezones=browse.timezones(),
    )


@router.get("/people/{person_id}/edit")
async def person_edit(person_id: str, ctx: Admin) -> Response:
    profile = await _loaded(ctx, person_id)
    if profile.person["deleted_at"] is not None:
        raise ConsoleError(409, "Person deleted", "Restore this person before editing them.")
    values = current_values(form_fields(ctx), profile.person, profile.manager)
    return _render_form(ctx, profile, values)


async def _form(ctx: Admin) -> tuple[dict[str, str], dict[str, str]]:
    """The form's fields as sent, and the ones the edge refuses (a NUL byte, a control
    character, too long), named by their labels, so each is shown in place."""
    form = await ctx.request.form()
    labels = {f.field: f.label for f in form_fields(ctx)}
    sent: dict[str, str] = {}
    refused: dict[str, str] = {}
    for key, value in form.multi_items():
        if not isinstance(value, str) or len(key) > 100:
            continue
        try:
            inputs.text(value, labels.get(key, "value"), max_length=inputs.FORM_MAX)
        except inputs.InvalidInput as exc:
            refused[key] = exc.message
            value = _UNSHOWABLE.sub("", value)[: inputs.FORM_MAX]  # kept, minus the culprit
        sent[key] = value
    return sent, refused


async def _manager_matches(ctx: Admin, text: str, person_id: str) -> list[dict[str, Any]]:
    if not text.strip():
        return []
    page = await browse.browse_people(
        ctx.db, ctx.tenant, q=text, status="active", limit=min(browse.PAGE_SIZES)
    )
    return [p for p in page.people if p["id"] != person_id][:MANAGER_MATCHES]


@router.post("/people/{person_id}/edit")
async def person_save(person_id: str, ctx: Admin) -> Response:
    profile = await _loaded(ctx, person_id)
    fields = form_fields(ctx)
    sent, refused = await _form(ctx)
    manager = next((f.field for f in fields if f.value_format == "person"), None)
    if manager and sent.get("manager_pick"):
        sent[manager] = sent["manager_pick"]
    # A disabled input (a field the identity provider owns now) sends nothing; one sent
    # anyway is the directory's to refuse if it changes the value.
    values = {f.field: sent[f.field] for f in fields if f.field in sent}
    shown = {**current_values(fields, profile.person, profile.manager), **values}
    if sent.get("find") == "manager" and manager:
        text = sent.get(manager, "")
        matches = await _manager_matches(ctx, text, person_id)
        return _render_form(ctx, profile, shown, matches=matches, searched=text)
    if refused:
        return _render_form(ctx, profile, shown, errors=refused, status=400)
    try:
        edit = read_edit(fields, values, tenants.custom_attributes(ctx.tenant))
        await person_edits.edit_person(ctx.db, ctx.tenant, person_id, edit, actor=ctx.actor)
    except FieldErrors as exc:
        return _render_form(ctx, profile, shown, errors=exc.errors, status=400)
    except DirectoryError as exc:
        status = 403 if exc.kind == "forbidden" else 404 if exc.kind == "not_found" else 400
        return _render_form(ctx, profile, shown, errors={"": exc.message}, status=status)
    return redirect(f"/admin/people/{person_id}?done=saved")


# What each action does, as its confirmation page says it: (title, button, the notice
# after it, whether the identity provider owns it while SCIM is on).
ACTIONS = {
    "deactivate": ("Deactivate", "deactivated", True),
    "reactivate": ("Reactivate", "reactivated", True),
    "delete": ("Delete", "deleted", True),
    "restore": ("Restore", "restored", False),
    "free-email": ("Free this email", "freed", False),
}


def _why_not(ctx: Admin, action: str, p: dict[str, Any]) -> str | None:
    """Why the action cannot be done to this person now, if it cannot."""
    if ACTIONS[action][2] and ctx.tenant.scim_enabled:
        return person_edits.IDP_OWNS_OFFBOARDING
    deleted = p["deleted_at"] is not None
    if action == "restore":
        return None if deleted else "This person is not deleted."
    if deleted:
        return "This person is deleted: restore them first."
    if action == "deactivate" and not p["active"]:
        return "This person is already deactivated."
    if action == "reactivate" and p["active"]:
        return "This person is already active."
    if action == "free-email" and p["active"]:
        return "Only a deactivated person's email can be freed: deactivate them first."
    if action == "free-email" and p["email"] == freed_address(p["id"]):
        return "This person's email is already freed."
    return None


async def _confirm(ctx: Admin, person_id: str, action: str) -> Response:
    profile = await _loaded(ctx, person_id)
    p = profile.person
    back = ctx.request.query_params.get("next")
    return ctx.render(
        "people/confirm.html",
        status=200,
        nav="people",
        p=p,
        profile=profile,
        action=action,
        button=ACTIONS[action][0],
        refusal=_why_not(ctx, action, p),
        placeholder=freed_address(p["id"]),
        reassign=ctx.tenant.setting("reassign_reporters"),
        back=safe_next(back) if back else f"/admin/people/{person_id}",
    )


async def _do(ctx: Admin, person_id: str, action: str) -> Response:
    profile = await _loaded(ctx, person_id)
    refusal = _why_not(ctx, action, profile.person)
    try:
        if refusal:
            if refusal == person_edits.IDP_OWNS_OFFBOARDING:
                raise forbidden(refusal)
            raise conflict(refusal)
        if action in ("deactivate", "reactivate"):
            await person_edits.set_active(
                ctx.db, ctx.tenant, person_id, action == "reactivate", actor=ctx.actor
            )
        elif action == "delete":
            await person_edits.delete_person(ctx.db, ctx.tenant, person_id, actor=ctx.actor)
        elif action == "restore":
            await tombstones.restore_person(ctx.db, ctx.tenant, person_id, actor=ctx.actor)
        else:
            await person_edits.free_email(ctx.db, ctx.tenant, person_id, actor=ctx.actor)
    except DirectoryError as exc:
        status = 403 if exc.kind == "forbidden" else 409
        return ctx.render(
            "people/confirm.html",
            status=status,
            nav="people",
            p=profile.person,
            profile=profile,
            action=action,
            button=ACTIONS[action][0],
            refusal=exc.message,
            placeholder=freed_address(person_id),
            reassign=ctx.tenant.setting("reassign_reporters"),
            back=f"/admin/people/{person_id}",
        )
    return redirect(f"/admin/people/{person_id}?done={ACTIONS[action][1]}")


def _routes(action: str) -> None:
    async def confirm(person_id: str, ctx: Admin) -> Response:
        return await _confirm(ctx, person_id, action)

    async def do(person_id: str, ctx: Admin) -> Response:
        return await _do(ctx, person_id, action)

    name = action.replace("-", "_")
    confirm.__name__, do.__name__ = f"person_{name}_confirm", f"person_{name}"
    router.add_api_route(f"/people/{{person_id}}/{action}", confirm, methods=["GET"])
    # Restore's POST is people.py's (person_restore), kept for what links to it.
    if action != "restore":
        router.add_api_route(f"/people/{{person_id}}/{action}", do, methods=["POST"])


for _action in ACTIONS:
    _routes(_action)
