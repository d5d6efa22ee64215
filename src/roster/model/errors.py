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
