"""A change to a group as a command asks for it: name, external id, and membership
steps (add, remove, replace) over person ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from roster.model.person import UNSET


@dataclass
class MembershipStep:
    kind: str  # add, remove, replace
    ids: list[str]


@dataclass
class GroupChange:
    display_name: Any = UNSET
    external_id: Any = UNSET
    steps: list[MembershipStep] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
