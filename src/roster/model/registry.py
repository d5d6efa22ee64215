"""The attribute registry: every attribute of a person and a group, in the domain's
words and under the names the doors know them by (RFC 7643's schemas and URNs).

It drives validation, the filter whitelist, projection, /Schemas, CSV columns and
console forms. Each attribute names the domain field it is stored in (`field`);
a company's custom attributes are added per request (`UserSchemas(urn, custom)`).
No I/O, and nothing above the model is imported.

Longer than ~400 lines on purpose: it is one table of every attribute (the point is to
read them all in one place), and the table is most of the file.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, NamedTuple

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"

# Who changes an attribute's value while SCIM is on: the identity provider (over SCIM;
# read-only in the console and the CLI then), or Roster (an admin in the console or the
# CLI, at any time; what SCIM sends for it is ignored).
Owner = Literal["identity provider", "Roster"]
# How a text value reads beyond its kind, for the doors that ask for one (the console's
# inputs, the CLI's checks): an email address, an IANA timezone name, a reference to
# another person of the company.
ValueFormat = Literal["", "email", "timezone", "person"]

# How a value is validated and compared; SCIM's own type is `Attribute.type`.
Kind = Literal[
    "string",
    "boolean",
    "integer",
    "decimal",
    "dateTime",
    "date",
    "reference",
    "binary",
    "complex",
]
CUSTOM_TYPES: dict[str, Kind] = {
    "string": "string",
    "number": "decimal",
    "boolean": "boolean",
    "date": "date",
}


@dataclass(frozen=True)
class Attribute:
    name: str
    kind: Kind = "string"
    description: str = ""
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: Literal["readOnly", "readWrite", "immutable", "writeOnly"] = "readWrite"
    returned: Literal["always", "never", "default", "request"] = "default"
    uniqueness: Literal["none", "server", "global"] = "none"
    sub_attributes: tuple[Attribute, ...] = ()
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    # The domain field this attribute is stored in; None for computed or composite ones.
    field: str | None = None
    # The longest text value accepted (characters), for the attributes that are text.
    max_length: int | None = None
    # Values sent by a client are dropped without error (Roster owns the attribute).
    ignored_on_input: bool = False
    # Filterable and sortable (a whitelisted column or custom value behind it); a
    # sub-attribute of a multi-valued attribute kept value by value is filterable only.
    filterable: bool = False
    # A multi-valued attribute whose every value is kept as a row of its own, under
    # this kind ("email", "phone"), so that filters match any value (RFC 7644 §3.4.2.2).
    values: str | None = None
    # What people call it (the console); empty: the name in words ("costCenter" ->
    # "Cost center"), see model/profile.py.
    label: str = ""
    owner: Owner = "identity provider"
    value_format: ValueFormat = ""

    @property
    def scim_type(self) -> str:
        if self.kind == "date":
            return "string"
        if self.kind == "string" and self.reference_types:
            # A URL kept and compared as text (profileUrl, photos.value): SCIM calls it a
            # reference, the filters and the length rule treat it as any string.
            return "reference"
        return self.kind

    def sub(self, name: str) -> Attribute | None:
        lname = name.lower()
        for attr in self.sub_attributes:
            if attr.name.lower() == lname:
                return attr
        return None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.scim_type,
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
            "mutability": self.mutability,
            "returned": self.returned,
        }
        if self.kind != "complex":
            out["caseExact"] = self.case_exact
            out["uniqueness"] = self.uniqueness
        if self.sub_attributes:
            out["subAttributes"] = [a.describe() for a in self.sub_attributes]
        if self.canonical_values:
            out["canonicalValues"] = list(self.canonical_values)
        if self.reference_types:
            out["referenceTypes"] = list(self.reference_types)
        return out


@dataclass(frozen=True)
class Schema:
    id: str
    name: str
    description: str
    attributes: tuple[Attribute, ...]
    extension: bool = False

    def attribute(self, name: str) -> Attribute | None:
        lname = name.lower()
        for attr in self.attributes:
            if attr.name.lower() == lname:
                return attr
        return None

    @functools.cached_property
    def stored(self) -> tuple[Stored, ...]:
        """The attributes kept in one domain field each, in registry order: what a door
        renders and reads by walking the registry instead of listing fields itself."""
        return stored_fields(self.attributes)

    def describe(self, location: str) -> dict[str, Any]:
        return {
            "schemas": [SCHEMA_SCHEMA],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": [a.describe() for a in self.attributes],
            "meta": {"resourceType": "Schema", "location": f"{location}/Schemas/{self.id}"},
        }


class Stored(NamedTuple):
    """A single-valued attribute kept in one domain field (`Schema.stored`); a tuple,
    as rendering every person of an import page unpacks it."""

    name: str
    field: str
    is_date: bool


def stored_fields(attributes: Sequence[Attribute]) -> tuple[Stored, ...]:
    """Of `attributes`, those a person keeps in a field of their own: not complex, not
    multi-valued, not write-only (a password is never shown), not custom (kept apart)."""
    return tuple(
        Stored(a.name, a.field, a.kind == "date")
        for a in attributes
        if a.field is not None
        and not a.field.startswith("custom:")
        and a.kind != "complex"
        and not a.multi_valued
        and a.mutability != "writeOnly"
    )


def filterable_paths(attributes: Sequence[Attribute], prefix: str = "") -> tuple[str, ...]:
    """The attribute paths of `attributes` a filter may name, in registry order
    (`emails.value`, `meta.lastModified`): what invalidFilter lists."""
    out: list[str] = []
    for attr in attributes:
        if attr.filterable and attr.field is not None:
            out.append(f"{prefix}{attr.name}")
        if attr.values:
            subs = (f"{prefix}{attr.name}.{s.name}" for s in attr.sub_attributes if s.filterable)
            out.extend(subs)
            continue
        out.extend(filterable_paths(attr.sub_attributes, f"{prefix}{attr.name}."))
    return tuple(out)


# The domain field that keeps the core User's complex multi-valued attributes other
# than emails, phoneNumbers and groups (addresses, ims, photos, entitlements, roles,
# x509Certificates): one JSON object per person, {attribute name: [values]}
# (decision 0017).
MULTI_VALUED = "multi_valued"
# At most this many values of one such attribute per person.
MAX_VALUES = 50


def kept_lists(attributes: Sequence[Attribute]) -> tuple[Attribute, ...]:
    """Of `attributes`, the complex multi-valued ones kept in the MULTI_VALUED field."""
    return tuple(a for a in attributes if a.field == MULTI_VALUED)


def _s(name: str, field_name: str | None = None, **kw: Any) -> Attribute:
    return Attribute(name=name, field=field_name, **kw)


_TYPE_PRIMARY = (
    _s(
        "type",
        description="A label: work, home, other.",
        canonical_values=("work", "home", "other"),
        filterable=True,
    ),
    _s("primary", kind="boolean", description="The one primary value.", filterable=True),
)

ID = _s(
    "id",
    "id",
    owner="Roster",
    description="Stable identifier assigned by Roster.",
    mutability="readOnly",
    returned="always",
    case_exact=True,
    uniqueness="server",
    filterable=True,
)
EXTERNAL_ID = _s(
    "externalId",
    "external_id",
    max_length=320,
    description="The identity provider's id for this resource.",
    case_exact=True,
    filterable=True,
)
META = _s(
    "meta",
    kind="complex",
    mutability="readOnly",
    description="Resource metadata.",
    sub_attributes=(
        _s("resourceType", mutability="readOnly", case_exact=True),
        _s("created", "created_at", kind="dateTime", mutability="readOnly", filterable=True),
        _s("lastModified", "updated_at", kind="dateTime", mutability="readOnly", filterable=True),
        _s("location", kind="reference", mutability="readOnly", case_exact=True),
        _s("version", mutability="readOnly", case_exact=True),
    ),
)


def _values(
    name: str,
    description: str,
    *subs: Attribute,
    canonical: tuple[str, ...] = (),
) -> Attribute:
    """A complex multi-valued attribute kept as it is sent (in the MULTI_VALUED field),
    with a type (its canonical values RFC 7643's), at most one primary value, and
    `display` where the RFC has one. Not filterable (decision 0017)."""
    return _s(
        name,
        MULTI_VALUED,
        kind="complex",
        multi_valued=True,
        description=description,
        sub_attributes=(
            *subs,
            _s("type", max_length=64, description="A label.", canonical_values=canonical),
            _s("primary", kind="boolean", description="The one primary value."),
        ),
    )


def _display() -> Attribute:
    return _s("display", max_length=400, description="A human-readable name.")


ADDRESSES = _values(
    "addresses",
    "Physical mailing addresses.",
    _s("formatted", max_length=1000, description="The full address, for display."),
    _s("streetAddress", max_length=400, description="Street, house number, suite."),
    _s("locality", max_length=200, description="City or locality."),
    _s("region", max_length=200, description="State or region."),
    _s("postalCode", max_length=40, description="Zip or postal code."),
    _s("country", max_length=100, description="Country, as an ISO 3166-1 alpha-2 code."),
    canonical=("work", "home", "other"),
)
IMS = _values(
    "ims",
    "Instant messaging addresses.",
    _s("value", max_length=400, description="The instant messaging address."),
    _display(),
    canonical=("aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"),
)
PHOTOS = _values(
    "photos",
    "URLs of photos of the person.",
    _s(
        "value",
        max_length=2048,
        reference_types=("external",),
        description="The URL of a photo (an image file, not a web page).",
    ),
    _display(),
    canonical=("photo", "thumbnail"),
)
ENTITLEMENTS = _values(
    "entitlements",
    "Things the person is entitled to, as the identity provider names them.",
    _s("value", max_length=400, description="The entitlement."),
    _display(),
)
ROLES = _values(
    "roles",
    "Roles of the person, as the identity provider names them (not Roster's admin roles).",
    _s("value", max_length=400, description="The role."),
    _display(),
)
X509_CERTIFICATES = _values(
    "x509Certificates",
    "The person's X.509 certificates (DER, base64).",
    _s(
        "value",
        kind="binary",
        max_length=16384,
        case_exact=True,
        description="A DER-encoded certificate, base64.",
    ),
    _display(),
)

USER_CORE_ATTRIBUTES: tuple[Attribute, ...] = (
    ID,
    EXTERNAL_ID,
    _s(
        "userName",
        "user_name",
        label="Username",
        max_length=320,
        required=True,
        uniqueness="server",
        filterable=True,
        description="Unique within the company, compared without regard to case; "
        "usually the work email.",
    ),
    _s(
        "name",
        kind="complex",
        description="The person's name.",
        sub_attributes=(
            _s("formatted", "formatted_name", max_length=400, filterable=True, label="Full name"),
            _s("familyName", "family_name", max_length=200, filterable=True, label="Last name"),
            _s("givenName", "given_name", max_length=200, filterable=True, label="First name"),
            _s("middleName", "middle_name", max_length=200, filterable=True),
            _s(
                "honorificPrefix",
                "honorific_prefix",
                max_length=60,
                filterable=True,
                description="e.g. Ms., Dr.",
            ),
            _s(
                "honorificSuffix",
                "honorific_suffix",
                max_length=60,
                filterable=True,
                description="e.g. III, PhD.",
            ),
        ),
    ),
    _s(
        "displayName",
        "display_name",
        max_length=400,
        filterable=True,
        description="Name shown in the product.",
    ),
    _s(
        "nickName",
        "nick_name",
        max_length=200,
        filterable=True,
        description="The casual way to address the person (e.g. Bob for Robert).",
    ),
    _s(
        "profileUrl",
        "profile_url",
        max_length=2048,
        filterable=True,
        reference_types=("external",),
        description="A URL of the person's online profile.",
    ),
    _s("title", "title", max_length=200, filterable=True, description="Job title."),
    _s(
        "userType",
        "user_type",
        max_length=200,
        filterable=True,
        description="The person's relation to the company, e.g. Employee, Contractor.",
    ),
    _s("locale", "locale", max_length=35, filterable=True, description="e.g. en-US."),
    _s(
        "preferredLanguage",
        "preferred_language",
        max_length=35,
        filterable=True,
        description="The preferred written or spoken language, e.g. en-US.",
    ),
    _s(
        "timezone",
        "timezone",
        ignored_on_input=True,
        owner="Roster",
        value_format="timezone",
        mutability="readOnly",
        filterable=True,
        description="Set in Roster by the person or an admin; never changed over SCIM "
        "(values sent by the identity provider are ignored).",
    ),
    _s(
        "active",
        "active",
        kind="boolean",
        filterable=True,
        description="false when deactivated; the person keeps their data.",
    ),
    _s(
        "password",
        mutability="writeOnly",
        returned="never",
        description="Kept as the product password only when the company accepts "
        "passwords from the identity provider (never while SSO is on); otherwise "
        "discarded. Never returned.",
    ),
    _s(
        "emails",
        kind="complex",
        multi_valued=True,
        values="email",
        description="Email addresses; one primary. Filters match any of them; the "
        "primary one is the person's work email (sign-in, matching), unique in the company "
        "among everyone's emails.",
        sub_attributes=(
            _s(
                "value",
                "email",
                filterable=True,
                description="The address.",
                label="Email",
                value_format="email",
                max_length=320,
            ),
            *_TYPE_PRIMARY,
        ),
    ),
    _s(
        "phoneNumbers",
        kind="complex",
        multi_valued=True,
        values="phone",
        description="Phone numbers. Filters match any of them.",
        sub_attributes=(_s("value", filterable=True, max_length=64), *_TYPE_PRIMARY),
    ),
    IMS,
    PHOTOS,
    ADDRESSES,
    _s(
        "groups",
        kind="complex",
        multi_valued=True,
        mutability="readOnly",
        description="Groups the person belongs to (change them through /Groups).",
        sub_attributes=(
            _s("value", mutability="readOnly", case_exact=True),
            _s("$ref", kind="reference", mutability="readOnly", reference_types=("Group",)),
            _s("display", mutability="readOnly"),
            _s("type", mutability="readOnly", canonical_values=("direct",)),
        ),
    ),
    ENTITLEMENTS,
    ROLES,
    X509_CERTIFICATES,
)

ENTERPRISE_ATTRIBUTES: tuple[Attribute, ...] = (
    _s("employeeNumber", "employee_number", max_length=100, filterable=True, case_exact=True),
    _s("costCenter", "cost_center", max_length=200, filterable=True),
    _s("organization", "organization", max_length=200, filterable=True),
    _s("division", "division", max_length=200, filterable=True),
    _s("department", "department", max_length=200, filterable=True),
    _s(
        "manager",
        kind="complex",
        description="The person's manager. value may be the manager's SCIM id, Roster user "
        "id, email or employee number; a manager not yet in Roster is linked when they "
        "arrive.",
        sub_attributes=(
            _s("value", "manager_id", filterable=True, case_exact=True, value_format="person"),
            _s("$ref", kind="reference", mutability="readOnly", reference_types=("User",)),
            _s("displayName", mutability="readOnly"),
        ),
    ),
)

COMPANY_BASE_ATTRIBUTES: tuple[Attribute, ...] = (
    _s(
        "startDate",
        "start_date",
        kind="date",
        filterable=True,
        description="First day of access, YYYY-MM-DD (also accepts ISO 8601 and MM/DD/YYYY).",
    ),
    _s(
        "hireDate",
        "hire_date",
        kind="date",
        filterable=True,
        description="Tenure start, YYYY-MM-DD (also accepts ISO 8601 and MM/DD/YYYY).",
    ),
    _s(
        "terminationDate",
        "termination_date",
        kind="date",
        filterable=True,
        description="Last day, YYYY-MM-DD (also accepts ISO 8601 and MM/DD/YYYY).",
    ),
    _s(
        "location",
        "location",
        filterable=True,
        description='"City, State, CC"; empty parts are dropped.',
    ),
    # Input aliases of the enterprise manager: written, never returned (the manager is).
    _s(
        "managerId",
        mutability="writeOnly",
        returned="never",
        description="The manager reference, as for the enterprise manager.value.",
    ),
    _s(
        "managerEmail",
        mutability="writeOnly",
        returned="never",
        description="The manager's email, as a manager reference.",
    ),
)

GROUP_ATTRIBUTES: tuple[Attribute, ...] = (
    ID,
    EXTERNAL_ID,
    _s(
        "displayName",
        "display_name",
        required=True,
        filterable=True,
        description="The group's name, unique in the company.",
    ),
    _s(
        "members",
        kind="complex",
        multi_valued=True,
        description="People in the group.",
        sub_attributes=(
            _s("value", "member", case_exact=True, mutability="immutable", filterable=True),
            _s("$ref", kind="reference", mutability="immutable", reference_types=("User",)),
            _s("display", mutability="readOnly"),
            _s("type", mutability="immutable", canonical_values=("User",)),
        ),
    ),
)

GROUP_SCHEMA = Schema(CORE_GROUP, "Group", "A group of people.", GROUP_ATTRIBUTES)
GROUP_FILTERABLE = filterable_paths((*GROUP_ATTRIBUTES, META))
USER_SCHEMA = Schema(CORE_USER, "User", "A person in the company.", USER_CORE_ATTRIBUTES)
ENTERPRISE_SCHEMA = Schema(
    ENTERPRISE_USER, "EnterpriseUser", "Enterprise User", ENTERPRISE_ATTRIBUTES, extension=True
)


@dataclass(frozen=True)
class CustomAttribute:
    name: str
    type: str  # string number boolean date

    def attribute(self) -> Attribute:
        return Attribute(
            name=self.name,
            kind=CUSTOM_TYPES[self.type],
            field=f"custom:{self.name}",
            filterable=True,
            description=f"Custom attribute ({self.type}) defined by the company.",
        )


@functools.lru_cache(maxsize=4096)
def company_schema(urn: str, custom: tuple[CustomAttribute, ...] = ()) -> Schema:
    """Built once per set of custom attributes (every SCIM request needs it)."""
    attrs = COMPANY_BASE_ATTRIBUTES + tuple(c.attribute() for c in custom)
    return Schema(urn, "CompanyUser", "The company's own attributes", attrs, extension=True)


@dataclass(frozen=True)
class UserSchemas:
    """The User schemas a company sees: core, enterprise and its company extension."""

    company_urn: str
    custom: tuple[CustomAttribute, ...] = ()
    core: Schema = USER_SCHEMA
    enterprise: Schema = ENTERPRISE_SCHEMA
    company: Schema = field(init=False)
    custom_names: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "company", company_schema(self.company_urn, tuple(self.custom)))
        object.__setattr__(self, "custom_names", frozenset(c.name for c in self.custom))

    @property
    def all(self) -> tuple[Schema, Schema, Schema]:
        return (self.core, self.enterprise, self.company)

    @property
    def extensions(self) -> tuple[Schema, Schema]:
        return (self.enterprise, self.company)

    def extension(self, urn: str) -> Schema | None:
        lurn = urn.lower()
        for schema in self.extensions:
            if schema.id.lower() == lurn:
                return schema
        return None

    def find(self, urn: str | None, attr: str, sub: str | None) -> Attribute | None:
        """The attribute a (possibly URN-qualified) path names; a complex attribute
        without a sub-attribute stands for its `value` (RFC 7644 §3.4.2.2)."""
        if attr.lower() == "meta" and (urn is None or urn.lower() == CORE_USER.lower()):
            return META.sub(sub) if sub else None
        if urn is None:
            candidates = [self.core, *self.extensions]
        elif urn.lower() == CORE_USER.lower():
            candidates = [self.core]
        else:
            ext = self.extension(urn)
            candidates = [ext] if ext else []
        for schema in candidates:
            found = schema.attribute(attr)
            if found is None:
                continue
            if sub:
                return found.sub(sub)
            if found.kind == "complex":
                return found.sub("value")
            return found
        return None

    def values_of(self, urn: str | None, attr: str) -> str | None:
        """The kind of values (email, phone) a path's multi-valued attribute keeps row by
        row, or None: filters on it match any value."""
        if urn is not None and urn.lower() != CORE_USER.lower():
            return None
        found = self.core.attribute(attr)
        return found.values if found is not None else None

    @functools.cached_property
    def filterable(self) -> tuple[str, ...]:
        """Every attribute a User filter may name, the company's custom ones included
        (extension attributes by their short name, which `find` accepts)."""
        names = filterable_paths((*self.core.attributes, META))
        for schema in self.extensions:
            names += filterable_paths(schema.attributes)
        return names

    def with_custom(self, extra: Sequence[CustomAttribute]) -> UserSchemas:
        return replace(self, custom=self.custom + tuple(extra))


# What `roster attribute add` accepts: usable in filters, sortBy and PATCH paths.
CUSTOM_NAME = re.compile(r"^custom[A-Za-z0-9_]{1,94}$", re.IGNORECASE | re.ASCII)


def is_custom_name(name: str) -> bool:
    return CUSTOM_NAME.match(name) is not None
