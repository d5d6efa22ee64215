"""Identity-provider dialects: where an IdP deviates from RFC 7643/7644, the deviation
is accepted here, at the edge, and nowhere else.

Each dialect is one module (`okta.py`, `entra.py`) holding that IdP's tolerances as
rewrites into the RFC form, with the recorded payloads that prove them in
`tests/idp/<idp>/` and `tests/unit/scim/dialects/`. The SCIM codec (`scim/patch.py`,
`scim/users.py`, `scim/filters.py`) then reads only the RFC form.

Every dialect's rewrites apply to every request, whoever sent it: each one turns a
shape that is invalid under the RFC into the one the IdP meant, so it cannot change
the meaning of a request that was valid already, and a proxied or renamed client
(a User-Agent Roster does not know) keeps working. The User-Agent only names the IdP
for people: the provisioning log, the console and Troubleshooting.

What the codec itself is lenient about, for every client, is RFC-level: attribute
names and URNs are case-insensitive (RFC 7643 §2.1), a path-less PATCH value object's
keys may be attribute paths (`name.givenName`), and one value where an array belongs
is read as an array of one.

To add an IdP: a module here with its `DIALECT`, listed in `DIALECTS`; its recorded
payloads under `tests/idp/`; a test module beside the others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from roster.scim.dialects import entra, okta
from roster.scim.dialects.common import Dialect

__all__ = [
    "DIALECTS",
    "Dialect",
    "identify",
    "idp_name",
    "rewrite_filter_literal",
    "rewrite_operation",
    "rewrite_user",
]

# IdPs Roster recognises by User-Agent but that need no rewrite (so far).
_RECOGNISED = (
    Dialect("OneLogin", ("onelogin",)),
    Dialect("Google Workspace", ("google",)),
    Dialect("JumpCloud", ("jumpcloud",)),
    Dialect("Rippling", ("rippling",)),
)
DIALECTS: tuple[Dialect, ...] = (okta.DIALECT, entra.DIALECT, *_RECOGNISED)

_OPERATION_REWRITES = tuple(d.operation for d in DIALECTS if d.operation is not None)
_USER_REWRITES = tuple(d.user for d in DIALECTS if d.user is not None)
_LITERAL_REWRITES = tuple(d.filter_literal for d in DIALECTS if d.filter_literal is not None)


def _chain(rewrites: tuple[Callable[[Any], Any], ...], value: Any) -> Any:
    for rewrite in rewrites:
        value = rewrite(value)
    return value


def rewrite_operation(operation: dict[str, Any]) -> dict[str, Any]:
    """One PatchOp operation (keys lower-cased) in its RFC 7644 form."""
    result: dict[str, Any] = _chain(_OPERATION_REWRITES, operation)
    return result


def rewrite_user(document: dict[str, Any]) -> dict[str, Any]:
    """A User document (top-level keys lower-cased) in its RFC 7643 form."""
    result: dict[str, Any] = _chain(_USER_REWRITES, document)
    return result


def rewrite_filter_literal(kind: str, value: Any) -> Any:
    """A filter's comparison value for an attribute of `kind` (RFC 7643 type name)."""
    for rewrite in _LITERAL_REWRITES:
        value = rewrite(kind, value)
    return value


def identify(user_agent: str | None) -> Dialect | None:
    """The IdP a User-Agent belongs to ("Okta SCIM Client 1.0.0" -> Okta), or None."""
    if not user_agent:
        return None
    lowered = user_agent.lower()
    for dialect in DIALECTS:
        if any(marker in lowered for marker in dialect.user_agents):
            return dialect
    return None


def idp_name(user_agent: str | None) -> str:
    """What to call the client of a request, for people: the IdP's name, or the first
    word of an unknown User-Agent."""
    dialect = identify(user_agent)
    if dialect is not None:
        return dialect.name
    if not user_agent:
        return "unknown client"
    return user_agent.split(" ", 1)[0][:40]
