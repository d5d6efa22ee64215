"""What a dialect is: the IdP's name, how its User-Agent reads, and its rewrites."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Each rewrite returns its input unchanged when it holds nothing of the dialect's, and
# never raises: a shape it does not recognise is left for the codec to judge.
OperationRewrite = Callable[[dict[str, Any]], dict[str, Any]]
UserRewrite = Callable[[dict[str, Any]], dict[str, Any]]
LiteralRewrite = Callable[[str, Any], Any]


@dataclass(frozen=True)
class Dialect:
    name: str
    user_agents: tuple[str, ...]  # lower-case substrings of its User-Agent
    operation: OperationRewrite | None = None
    user: UserRewrite | None = None
    filter_literal: LiteralRewrite | None = None


def lower_keys(obj: dict[str, Any]) -> dict[str, Any]:
    return {k.lower(): v for k, v in obj.items() if isinstance(k, str)}


def text_boolean(value: Any) -> Any:
    """ "True" / "false " -> True / False; anything else unchanged."""
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
    return value
