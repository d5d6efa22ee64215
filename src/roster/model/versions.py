"""Versions and the preconditions a request puts on them (RFC 7232 §3.1-3.2, as SCIM
uses them in RFC 7644 §3.14).

Every person and group carries a version counter that each write to it bumps (a group's
membership is the group's own attribute, so a member added or removed bumps the group).
Its ETag is the weak validator `W/"<version>"` (decision 0012). A precondition names
versions; an entity-tag Roster never issued names none, so it matches nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from roster.model.errors import DirectoryError

# Any current version: the field-value "*".
ANY: Final = "*"
Tags = frozenset[int] | Literal["*"]

# A version Roster issued: ASCII digits (str.isdigit() also takes "¹", which int()
# refuses) that fit the 64-bit column.
_VERSION = re.compile(r"[0-9]{1,18}")


def etag(version: int) -> str:
    return f'W/"{version}"'


def parse_tags(header: str) -> Tags:
    """`W/"3", "4"` -> {3, 4}; `*` -> ANY. Weak and strong tags compare alike (the weak
    comparison; SCIM's ETags are weak), and a tag Roster never issued is left out."""
    text = header.strip()
    if text == ANY:
        return ANY
    versions: set[int] = set()
    for part in text.split(","):
        tag = part.strip()
        if tag[:2] in ("W/", "w/"):
            tag = tag[2:]
        if len(tag) >= 2 and tag[0] == tag[-1] == '"':
            tag = tag[1:-1]
        if _VERSION.fullmatch(tag):
            versions.add(int(tag))
    return frozenset(versions)


def _matches(tags: Tags, version: int) -> bool:
    return tags == ANY or version in tags


@dataclass(frozen=True)
class Precondition:
    """If-Match and If-None-Match of one request (None: the header was absent)."""

    if_match: Tags | None = None
    if_none_match: Tags | None = None

    def check_write(self, resource: str, resource_id: str, version: int) -> None:
        """PUT, PATCH, DELETE: If-Match must match the current version and If-None-Match
        must not (RFC 7232 §6's order); otherwise nothing is written (412)."""
        if self.if_match is not None and not _matches(self.if_match, version):
            raise DirectoryError(
                "precondition",
                f"{resource} {resource_id} is at version {etag(version)}, which If-Match "
                "does not name: read it again and retry with its ETag",
            )
        if self.if_none_match is not None and _matches(self.if_none_match, version):
            raise DirectoryError(
                "precondition",
                f"{resource} {resource_id} exists at version {etag(version)}, which "
                "If-None-Match names: nothing was changed",
            )

    def unchanged(self, resource: str, resource_id: str, version: int) -> bool:
        """GET: True when the client's copy is current (answer 304 Not Modified); a
        failed If-Match is a 412 for a read too."""
        if self.if_match is not None and not _matches(self.if_match, version):
            raise DirectoryError(
                "precondition",
                f"{resource} {resource_id} is at version {etag(version)}, which If-Match "
                "does not name",
            )
        return self.if_none_match is not None and _matches(self.if_none_match, version)
