"""The console's templates and the filters they use: times, names, an audit row's
changes in the admin's words, the person a 409 names, query strings that keep a view."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape

from roster import __version__
from roster.config import DEFAULT_COMPANY_EXTENSION
from roster.directory.csv_columns import HIDDEN_FIELDS, field_labels
from roster.directory.provisioning_log import last_seen
from roster.model.profile import profile_fields
from roster.model.registry import UserSchemas
from roster.scim.dialects import idp_name

HERE = Path(__file__).parent


def _fmt_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def _fmt_seconds(value: datetime | None) -> str:
    """The provisioning log's times: to the second, as an admin matches them to the
    identity provider's own log."""
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def _fmt_date(value: date | None) -> str:
    return value.isoformat() if value else "—"


def _person_name(p: dict[str, Any] | None) -> str:
    if not p:
        return "—"
    full = " ".join(x for x in (p.get("given_name"), p.get("family_name")) if x)
    return p.get("display_name") or full or p.get("user_name") or p.get("email") or "—"


env = Environment(
    loader=FileSystemLoader(str(HERE / "templates")),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["time"] = _fmt_time
env.filters["seconds"] = _fmt_seconds
env.filters["date"] = _fmt_date
env.filters["person_name"] = _person_name
env.filters["idp"] = idp_name
env.filters["ago"] = last_seen
env.filters["urlquote"] = lambda v: quote(str(v), safe="")
env.globals["version"] = __version__


def _change_text(value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "∅"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_change_text(v.get("value") if isinstance(v, dict) else v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_change_text(v)}" for k, v in value.items())
    return str(value)


# What the person page calls each field ("Username", "Last name"), over the SCIM names
# the CSV import uses ("userName"); a custom attribute goes by its own name.
_CHANGE_LABELS: dict[str, str] = {
    **field_labels(UserSchemas(DEFAULT_COMPANY_EXTENSION)),
    **{f.field: f.label for f in profile_fields(UserSchemas(DEFAULT_COMPANY_EXTENSION))},
    "manager_pending": "Manager (pending)",
}


def changes_view(changes: Any) -> list[tuple[str, str]]:
    """An audit row's changes as (attribute, "old → new" or value) for people to read."""
    if not isinstance(changes, dict):
        return []
    labels = _CHANGE_LABELS
    out = []
    for key, value in changes.items():
        if key in HIDDEN_FIELDS:
            continue
        label = str(labels.get(key, key.removeprefix("custom:")))
        if isinstance(value, list) and len(value) == 2 and key not in ("added", "removed"):
            out.append((label, f"{_change_text(value[0])} → {_change_text(value[1])}"))
        else:
            out.append((label, _change_text(value)))
    return out


env.filters["changes"] = changes_view
_PERSON_IN_DETAIL = re.compile(
    r"person ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
)


def holder_id(detail: str | None) -> str | None:
    """The person a 409's detail names as holding the email or userName."""
    match = _PERSON_IN_DETAIL.search(detail or "")
    return match.group(1) if match else None


env.filters["holder"] = holder_id


def query(params: dict[str, Any], **changes: Any) -> str:
    """A query string with `changes` applied (None removes a key)."""
    merged = {**params, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


env.globals["query"] = query
