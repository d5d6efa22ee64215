"""The User resource: SCIM JSON <-> the person's domain fields.

`parse_user` reads a full User (POST, PUT, or the result of a PATCH) into a
`PersonInput`; `render_user` turns a stored person into SCIM JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from roster.model.person import (
    COMPANY_DATES,
    CORE_TEXT,
    ENTERPRISE_TEXT,
    NAME_TEXT,
    PersonInput,
    not_kept,
)
from roster.model.registry import (
    CORE_USER,
    ENTERPRISE_ATTRIBUTES,
    ENTERPRISE_USER,
    MULTI_VALUED,
    USER_CORE_ATTRIBUTES,
    USER_SCHEMA,
    CustomAttribute,
    Stored,
    UserSchemas,
    is_custom_name,
    stored_fields,
)
from roster.model.values import (
    as_date,
    as_email,
    as_text,
    custom_value,
    location,
)
from roster.model.versions import etag
from roster.scim.dialects import rewrite_user
from roster.scim.errors import invalid_value
from roster.scim.multi_valued import parse_kept_lists, render_kept_lists

# What a User document may carry that is no attribute (`schemas`) or that Roster
# computes (`meta`); with the registry's attributes, every other key is noted as not
# kept. (`timezone` is an attribute Roster owns: /Schemas says SCIM's is ignored.)
_CORE_KEYS = frozenset({"schemas", "meta"} | {a.name.lower() for a in USER_CORE_ATTRIBUTES})
_ENTERPRISE_KEYS = frozenset(a.name.lower() for a in ENTERPRISE_ATTRIBUTES)
_NAME_KEYS = frozenset(NAME_TEXT)


def _lower_keys(obj: dict[str, Any]) -> dict[str, Any]:
    return {k.lower(): v for k, v in obj.items() if isinstance(k, str)}


def _object(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid_value(f"{where} must be a JSON object")
    return _lower_keys(value)


def _multi(value: Any, where: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, dict):
        value = [value]  # a single value where an array belongs: accepted
    if not isinstance(value, list):
        raise invalid_value(f"{where} must be an array of objects")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise invalid_value(f"{where}[{i}] must be an object with a value")
        out.append(_lower_keys(item))
    return out


def _boolean(value: Any, where: str) -> bool:
    """A JSON boolean (Entra's quoted ones are rewritten by its dialect first)."""
    if not isinstance(value, bool):
        raise invalid_value(f"{where} must be true or false, got {value!r}")
    return value


def _emails(value: Any) -> list[dict[str, Any]]:
    emails = []
    for i, item in enumerate(_multi(value, "emails")):
        address = as_email(item.get("value"), f"emails[{i}].value")
        if address is None:
            raise invalid_value(f"emails[{i}] needs a value: the email address")
        entry: dict[str, Any] = {"value": address}
        kind = as_text(item.get("type"), f"emails[{i}].type", 32)
        if kind:
            entry["type"] = kind
        if item.get("primary") is not None and _boolean(item["primary"], f"emails[{i}].primary"):
            entry["primary"] = True
        emails.append(entry)
    primaries = [e for e in emails if e.get("primary")]
    for extra in primaries[:-1]:  # a newly added primary replaces the old (RFC 7644 §3.5.2)
        extra.pop("primary")
    if emails and not primaries:
        chosen = next((e for e in emails if e.get("type") == "work"), emails[0])
        chosen["primary"] = True
    return emails


def _phones(value: Any) -> list[dict[str, Any]]:
    phones = []
    for i, item in enumerate(_multi(value, "phoneNumbers")):
        number = as_text(item.get("value"), f"phoneNumbers[{i}].value", 64)
        if number is None:
            raise invalid_value(f"phoneNumbers[{i}] needs a value: the number")
        entry: dict[str, Any] = {"value": number}
        kind = as_text(item.get("type"), f"phoneNumbers[{i}].type", 32)
        if kind:
            entry["type"] = kind
        if item.get("primary") is not None and _boolean(
            item["primary"], f"phoneNumbers[{i}].primary"
        ):
            entry["primary"] = True
        phones.append(entry)
    return phones


def _manager_ref(value: Any, where: str) -> str | None:
    """The enterprise manager, a complex attribute: {"value": "<id, email or number>"},
    as sent (its case kept: a reference that matches nobody yet is echoed back so)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid_value(f'{where[: -len(".value")]} must be an object: {{"value": "<id>"}}')
    return as_text(_lower_keys(value).get("value"), where, 320) or None


def parse_user(body: dict[str, Any], schemas: UserSchemas) -> PersonInput:
    """A full User document -> PersonInput. Unknown attributes are noted, not rejected."""
    out = PersonInput()
    body = rewrite_user(body)
    top = _lower_keys(body)
    user_name = as_text(top.get("username"), "userName", 320)
    if user_name is None:
        raise invalid_value("userName is required (usually the person's work email)")
    out.fields["user_name"] = user_name
    for key, (fname, size) in CORE_TEXT.items():
        out.fields[fname] = as_text(top.get(key), key_name(key), size)
    name_raw = top.get("name")
    name = _object(name_raw, "name")
    for key, (fname, size) in NAME_TEXT.items():
        out.fields[fname] = as_text(name.get(key), f"name.{key_name(key)}", size)
    _note_unknown(name_raw, _NAME_KEYS, "name.", out.notes)
    if "active" in top and top["active"] is not None:
        out.fields["active"] = _boolean(top["active"], "active")
    emails = _emails(top.get("emails"))
    out.fields["emails"] = emails
    out.fields["email"] = next((e["value"] for e in emails if e.get("primary")), None)
    out.fields["phone_numbers"] = _phones(top.get("phonenumbers"))
    out.fields[MULTI_VALUED] = parse_kept_lists(top, out.notes)
    password = top.get("password")
    if password is not None and password != "":
        if not isinstance(password, str) or len(password) > 1024:
            raise invalid_value("password must be a string of at most 1024 characters")
        out.password = password

    enterprise_urn = ENTERPRISE_USER.lower()
    company_urn = schemas.company_urn.lower()
    known_urns = {CORE_USER.lower(), enterprise_urn, company_urn}
    for key, value in body.items():
        if not isinstance(key, str) or value is None:
            continue
        lkey = key.lower()
        if lkey in known_urns or lkey in _CORE_KEYS:
            continue
        if lkey.startswith("urn:") and isinstance(value, dict):
            # An extension Roster does not know: each of its attributes, by its full name.
            out.notes.extend(not_kept(f"{key}:{sub}") for sub, v in value.items() if v is not None)
        else:
            out.notes.append(not_kept(key))

    ent_raw = top.get(enterprise_urn)
    ent = _object(ent_raw, ENTERPRISE_USER)
    _note_unknown(ent_raw, _ENTERPRISE_KEYS, f"{ENTERPRISE_USER}:", out.notes)
    for key, (fname, size) in ENTERPRISE_TEXT.items():
        out.fields[fname] = as_text(ent.get(key), f"{ENTERPRISE_USER}:{key_name(key)}", size)
    out.manager_ref = _manager_ref(ent.get("manager"), f"{ENTERPRISE_USER}:manager.value")
    out.manager_sent = "manager" in ent

    company_raw = body.get(_original_key(body, company_urn))
    company = _object(company_raw, schemas.company_urn)
    original_keys = {k.lower(): k for k in company_raw} if isinstance(company_raw, dict) else {}
    for key, fname in COMPANY_DATES.items():
        out.fields[fname] = as_date(company.get(key), f"{schemas.company_urn}:{key_name(key)}")
    out.fields["location"] = location(company.get("location"), f"{schemas.company_urn}:location")
    # 15Five's managerId/managerEmail win over the enterprise manager: Roster never
    # returns them, so when present they were mapped by the admin, while the enterprise
    # manager of a PUT may be an echo of the GET that preceded it.
    out.manager_sent = out.manager_sent or "managerid" in company or "manageremail" in company
    for alias in ("managerid", "manageremail"):
        alias_ref = as_text(company.get(alias), f"{schemas.company_urn}:{alias}", 320) or None
        if alias_ref is not None:
            out.manager_ref = alias_ref
            break
    custom_by_name = {c.name.lower(): c for c in schemas.custom}
    for key, value in company.items():
        if key in COMPANY_DATES or key in ("location", "managerid", "manageremail"):
            continue
        original = original_keys.get(key, key)
        attr = custom_by_name.get(key)
        if attr is None:
            if not is_custom_name(original):
                if value is not None:
                    out.notes.append(
                        not_kept(
                            f"{schemas.company_urn}:{original}",
                            "custom attribute names are 'custom' followed by letters, "
                            "digits or '_' (e.g. customDepartmentCode)",
                        )
                    )
                continue
            attr = CustomAttribute(original, "string")  # registered on first use
            out.new_custom.append(attr)
            custom_by_name[key] = attr
        out.custom[attr.name] = custom_value(attr, value, f"{schemas.company_urn}:{original}")
    for attr in schemas.custom:
        out.custom.setdefault(attr.name, None)
    out.custom = {k: v for k, v in out.custom.items() if v is not None}
    return out


def _note_unknown(raw: Any, known: frozenset[str], prefix: str, notes: list[str]) -> None:
    """A note for each attribute of a complex value (name, an extension) that its schema
    lacks, as the request spelled it."""
    if isinstance(raw, dict):
        notes.extend(
            not_kept(f"{prefix}{key}")
            for key, value in raw.items()
            if isinstance(key, str) and key.lower() not in known and value is not None
        )


def extension_owner(schemas: UserSchemas) -> Callable[[str], str | None]:
    """For PATCH paths: the extension URN of a bare attribute name that the core User
    schema lacks (`manager`, `employeeNumber`, `startDate`), as filters resolve them."""

    def owner(attr: str) -> str | None:
        if schemas.core.attribute(attr) is not None:
            return None
        for ext in schemas.extensions:
            if ext.attribute(attr) is not None:
                return ext.id
        return None

    return owner


def _original_key(body: dict[str, Any], lower: str) -> str:
    return next((k for k in body if isinstance(k, str) and k.lower() == lower), lower)


_CANONICAL = {
    k.lower(): k
    for k in [
        "externalId",
        "displayName",
        "title",
        "locale",
        "preferredLanguage",
        "formatted",
        "familyName",
        "givenName",
        "middleName",
        "honorificPrefix",
        "honorificSuffix",
        "nickName",
        "profileUrl",
        "userType",
        "employeeNumber",
        "costCenter",
        "organization",
        "division",
        "department",
        "startDate",
        "hireDate",
        "terminationDate",
    ]
}


def key_name(lower: str) -> str:
    return _CANONICAL.get(lower, lower)


# name.givenName and its siblings, from the registry's `name` attribute.
_NAME = USER_SCHEMA.attribute("name")
_NAME_FIELDS = stored_fields(_NAME.sub_attributes if _NAME else ())


def _put(
    into: dict[str, Any], person: dict[str, Any], stored: tuple[Stored, ...]
) -> dict[str, Any]:
    """Each stored attribute the person has a value for, dates as YYYY-MM-DD."""
    for key, field, is_date in stored:
        value = person.get(field)
        if value:
            into[key] = value.isoformat() if is_date else value
    return into


def render_user(
    person: dict[str, Any],
    *,
    base_url: str,
    schemas: UserSchemas,
    groups: list[dict[str, Any]] | None = None,
    manager: dict[str, Any] | None = None,
    for_patch: bool = False,
) -> dict[str, Any]:
    """A stored person -> SCIM User. `for_patch`: a document a PATCH will edit (its
    lists are copies)."""
    pid = person["id"]
    doc: dict[str, Any] = {"schemas": [CORE_USER], "id": pid}
    # Every stored attribute comes from the registry (model/registry.py): a new entry
    # there is rendered here with no change to this function. (`id` is among them and
    # gets the same value again; `active` is set below, false included.)
    _put(doc, person, schemas.core.stored)
    name = _put({}, person, _NAME_FIELDS)
    if name:
        doc["name"] = name
    doc["active"] = bool(person["active"])
    # For a PATCH, copies: it edits the rendered document in place, and the stored
    # record must stay as it was for the change to be seen. A document that is only
    # sent (every user of an import page) shares the lists.
    if person.get("emails"):
        emails = person["emails"]
        doc["emails"] = [dict(e) for e in emails] if for_patch else emails
    if person.get("phone_numbers"):
        phones = person["phone_numbers"]
        doc["phoneNumbers"] = [dict(p) for p in phones] if for_patch else phones
    render_kept_lists(doc, person.get(MULTI_VALUED), for_patch=for_patch)
    doc["groups"] = [
        {
            "value": g["id"],
            "$ref": f"{base_url}/Groups/{g['id']}",
            "display": g["display_name"],
            "type": "direct",
        }
        for g in groups or []
    ]
    enterprise = _put({}, person, schemas.enterprise.stored)
    if manager is not None:
        entry = {"value": manager["id"], "$ref": f"{base_url}/Users/{manager['id']}"}
        if manager.get("display_name"):
            entry["displayName"] = manager["display_name"]
        enterprise["manager"] = entry
    elif person.get("manager_pending"):
        # A reference that matches nobody yet, echoed as the IdP sent it (no $ref or
        # displayName: it names no User yet), so that an IdP reading back what it
        # wrote sees it; and kept by a PATCH of other attributes.
        sent = person.get("manager_pending_as_sent") or person["manager_pending"]
        enterprise["manager"] = {"value": sent}
    if enterprise:
        doc["schemas"].append(ENTERPRISE_USER)
        doc[ENTERPRISE_USER] = enterprise
    company = _put({}, person, schemas.company.stored)
    known = schemas.custom_names
    for key, value in (person.get("custom") or {}).items():
        if key in known and value is not None:
            company[key] = value
    if company:
        doc["schemas"].append(schemas.company_urn)
        doc[schemas.company_urn] = company
    doc["meta"] = {
        "resourceType": "User",
        "created": person["created_at"].isoformat().replace("+00:00", "Z"),
        "lastModified": person["updated_at"].isoformat().replace("+00:00", "Z"),
        "location": f"{base_url}/Users/{pid}",
        "version": etag(person["version"]),
    }
    return doc
