"""Edge checks for what a browser sends the console and SSO, as `valid_id` is for SCIM.

Every path segment, query value and form field is checked here before it reaches the
directory: PostgreSQL cannot store a NUL, a number must fit the 64-bit column it is
compared with, and str.isdigit() accepts digits int() refuses ("¹", "٣"). A refusal is
InvalidInput, whose message names the field and the fix; the console renders it as its
HTML error page and SSO as its own, so no input reaches the 500 guard.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from starlette.convertors import PathConvertor, register_url_convertor

BIGINT_MAX = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")
# C0 controls; tab stays (pasted values carry it), newlines only where text is
# multi-line.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# A multipart form may name any codec; some (raw_unicode_escape) decode to lone
# surrogates, which no database driver can encode.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SHOWN_KEY = re.compile(r"[^A-Za-z0-9_.-]")

ADDRESS_FIX = "correct the address and try again"
FORM_FIX = "remove it and try again"

# What people call the values the console's addresses and forms carry.
PATH_LABELS = {
    "person_id": "person id in the address",
    "group_id": "group id in the address",
    "import_id": "import id in the address",
    "entry_id": "request id in the address",
    "token_id": "token id in the address",
    "name": "attribute name in the address",
    "subdomain": "company name in the address",
    "path": "address",
}
QUERY_LABELS = {
    "q": "search text",
    "after": "page position in the address",
    "before": "page position in the address",
    "status": "status filter",
    "size": "page size",
    "sort": "sort order",
    "linked": "linked filter",
    "outcome": "outcome filter",
    "method": "method filter",
    "type": "type filter",
    "order": "order",
    "source": "source filter",
    "show": "row filter",
    "next": "return address",
    "company": "company name",
}
FORM_LABELS = {
    "company": "company name",
    "email": "email address",
    "name": "name",
    "label": "token label",
    "given_name": "first name",
    "family_name": "last name",
    "title": "title",
    "member": "member",
    "person_id": "person id",
    "timezone": "timezone",
    "group_type": "group type",
    "fingerprint": "certificate fingerprint",
    "nameid": "NameID setting",
    "days": "log retention",
    "metadata_xml": "metadata XML",
    "next": "return address",
}
# Compared, never stored or looked up: a bad one simply does not match.
UNCHECKED_FORM_FIELDS = frozenset({"password", "csrf_token"})
MULTILINE_FORM_FIELDS = frozenset({"metadata_xml"})
QUERY_MAX = 2000
SEARCH_MAX = 200
FORM_MAX = 2000  # a `next` address the sign-in page took from its query comes back
MULTILINE_MAX = 256 * 1024


class AnyPath(PathConvertor):
    """`{name:anypath}`: the rest of the path, newlines included. Starlette's `path`
    stops at a newline (".*"), so a catch-all written with it leaves "/admin/%0A" to
    the app's SCIM 404."""

    regex = "(?s:.*)"


register_url_convertor("anypath", AnyPath())


class InvalidInput(Exception):
    """A value refused at the edge (400): nothing was looked up or changed."""

    def __init__(self, message: str, *, title: str = "Check what you entered") -> None:
        super().__init__(message)
        self.message = message
        self.title = title
        self.status = 400


def problem(value: str, label: str, *, max_length: int, multiline: bool = False) -> str | None:
    """Why `value` cannot be taken as the `label`, without the fix; None when it can."""
    if "\x00" in value:
        return f"The {label} contains a character Roster cannot store (a NUL byte)"
    if _SURROGATE.search(value):
        return f"The {label} contains a character Roster cannot store (an unpaired surrogate)"
    control = (_CONTROL_MULTILINE if multiline else _CONTROL).search(value)
    if control:
        return (
            f"The {label} contains a control character (U+{ord(control.group()):04X}) "
            "Roster does not accept"
        )
    if len(value) > max_length:
        return f"The {label} is longer than {max_length:,} characters"
    return None


def text(
    value: str,
    label: str,
    *,
    max_length: int = FORM_MAX,
    multiline: bool = False,
    fix: str = FORM_FIX,
    title: str = "Check what you entered",
) -> str:
    """`value` when it is text Roster can store and search for; InvalidInput if not."""
    found = problem(value, label, max_length=max_length, multiline=multiline)
    if found:
        raise InvalidInput(f"{found}; {fix}.", title=title)
    return value


def integer(
    value: str,
    label: str,
    *,
    minimum: int = 0,
    maximum: int = BIGINT_MAX,
    fix: str = ADDRESS_FIX,
    title: str = "Check the address",
) -> int | None:
    """A whole number in ASCII digits within [minimum, maximum]; None when empty."""
    value = value.strip()
    if not value:
        return None
    if not _DIGITS.fullmatch(value) or not minimum <= int(value) <= maximum:
        limits = "" if maximum == BIGINT_MAX else f" from {minimum} to {maximum}"
        raise InvalidInput(
            f"The {label} must be a whole number{limits}, in the digits 0-9; {fix}.",
            title=title,
        )
    return int(value)


def served_methods(
    routes: Iterable[Any], path: str, *, besides: Collection[Callable[..., Any]]
) -> set[str]:
    """The methods `path` is served with by routes other than the catch-alls `besides`
    (their endpoints): an address sent the wrong method is a 405 naming them."""
    found: set[str] = set()
    for route in routes:
        candidates = getattr(route, "effective_candidates", None)  # an included router
        if callable(candidates):
            found |= served_methods(candidates(), path, besides=besides)
            continue
        regex = getattr(route, "path_regex", None)
        methods = getattr(route, "methods", None)  # a Mount has none
        endpoint = getattr(route, "endpoint", None)
        if regex is not None and methods and endpoint not in besides and regex.match(path):
            found |= set(methods)
    return found


def _shown(key: str) -> str:
    """A parameter's name as it may appear in a message (it came from the request)."""
    return _SHOWN_KEY.sub("?", key[:40]) or "?"


def check_path(params: Mapping[str, str]) -> None:
    """Every path parameter: an id or name Roster could hold (no NUL, no control
    characters, a bounded length); anything else is a 400 naming the segment."""
    for key, value in params.items():
        label = PATH_LABELS.get(key, f"{_shown(key)} in the address")
        text(str(value), label, max_length=QUERY_MAX, fix=ADDRESS_FIX, title="Check the address")


def check_query(items: Iterable[tuple[str, str]]) -> None:
    """Every query parameter, names and values; the search text has its own limit."""
    for key, value in items:
        text(key, "parameter name in the address", max_length=100, fix=ADDRESS_FIX)
        label = QUERY_LABELS.get(key, f'"{_shown(key)}" value in the address')
        if key == "q":  # typed into a search box, not part of a link
            text(value, label, max_length=SEARCH_MAX, fix="change the search and try again")
        else:
            text(value, label, max_length=QUERY_MAX, fix=ADDRESS_FIX, title="Check the address")


def check_form(
    items: Iterable[tuple[str, str]], labels: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The text fields of a form, each checked; `labels` names fields for this form."""
    named = {**FORM_LABELS, **(labels or {})}
    out: dict[str, str] = {}
    for key, value in items:
        text(key, "field name in the form", max_length=100)
        if key not in UNCHECKED_FORM_FIELDS:
            multiline = key in MULTILINE_FORM_FIELDS
            text(
                value,
                named.get(key, f'"{_shown(key)}" field'),
                max_length=MULTILINE_MAX if multiline else FORM_MAX,
                multiline=multiline,
            )
        out[key] = value
    return out
