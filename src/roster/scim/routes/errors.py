"""Domain errors shown as SCIM errors."""

from __future__ import annotations

from roster.model.errors import DirectoryError
from roster.scim.errors import ScimError

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
