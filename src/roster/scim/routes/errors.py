"""Domain errors, and the database's "cannot serve now", shown as SCIM errors."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.requests import Request
from starlette.responses import Response

from roster.logging import get_logger
from roster.model.errors import DirectoryError
from roster.scim.errors import ScimError
from roster.scim.http import error_response
from roster.store.db import is_unavailable

log = get_logger("roster.app")  # the name the "database unavailable" line always had

_STATUS = {
    "not_found": (404, None),
    "conflict": (409, "uniqueness"),
    "invalid": (400, "invalidValue"),
    "invalid_filter": (400, "invalidFilter"),
    "forbidden": (403, None),
    "precondition": (412, None),
    "unavailable": (503, None),
}


def directory_to_scim(exc: DirectoryError) -> ScimError:
    status, scim_type = _STATUS[exc.kind]
    headers = {"Retry-After": "5"} if status == 503 else None
    return ScimError(status, exc.message, scim_type, headers=headers)


def error_answer(request: Request, exc: Exception) -> Response | None:
    """The SCIM answer to an exception a request may end with, or None for a bug (the
    500 guard in the request middleware answers those). Shared by the app's exception
    handlers and the hot routes (scim/routes/fast.py); the console and SSO pages
    answer the same exceptions with HTML."""
    if isinstance(exc, ScimError):
        return error_response(exc)
    if isinstance(exc, DirectoryError):
        return error_response(directory_to_scim(exc))
    if isinstance(exc, DBAPIError) and not (
        isinstance(exc, OperationalError | InterfaceError) or is_unavailable(exc)
    ):
        return None
    if isinstance(exc, DBAPIError | OSError | TimeoutError | PoolTimeoutError):
        # PostgreSQL down or restarting, SQLite read-only or its disk full: nothing was
        # written; the IdP retries later. The pool replaces broken connections itself.
        # (A database that stops answering holds every pooled connection until its
        # command timeout; requests waiting for one end with the pool's timeout.)
        log.warning("database unavailable", error=type(exc).__name__, path=request.url.path)
        return error_response(
            ScimError(
                503,
                "the directory's database is unavailable; nothing was changed. Retry shortly",
                headers={"Retry-After": "5"},
            )
        )
    return None
