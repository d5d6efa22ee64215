"""Errors of the domain, independent of how they are shown (SCIM, console, CLI)."""

from __future__ import annotations

from typing import Literal

Kind = Literal[
    "not_found", "conflict", "invalid", "invalid_filter", "forbidden", "precondition", "unavailable"
]


class DirectoryError(Exception):
    def __init__(self, kind: Kind, message: str, *, attribute: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.attribute = attribute


def not_found(message: str) -> DirectoryError:
    return DirectoryError("not_found", message)


def conflict(message: str, attribute: str | None = None) -> DirectoryError:
    return DirectoryError("conflict", message, attribute=attribute)


def invalid(message: str, attribute: str | None = None) -> DirectoryError:
    return DirectoryError("invalid", message, attribute=attribute)


def forbidden(message: str) -> DirectoryError:
    return DirectoryError("forbidden", message)


def check_version(resource: str, resource_id: str, version: int, if_match: int | None) -> None:
    """If-Match: the write applies only to the version the client read (412 otherwise)."""
    if if_match is not None and if_match != version:
        raise DirectoryError(
            "precondition",
            f'{resource} {resource_id} is at version W/"{version}", not W/"{if_match}": '
            "read it again and retry",
        )
