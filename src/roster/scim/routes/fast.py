"""Okta's and Entra's traffic, dispatched without FastAPI's per-request machinery.

Nearly every request an identity provider sends is one of a dozen SCIM routes
(a lookup, a GET, a PATCH, a membership change ...). For these, FastAPI's routing,
dependency solving and exception middleware cost about a third of the server's CPU
per request (bench/FINDINGS.md). This middleware sits inside the request and
provisioning-log middlewares and answers exactly those routes by calling the same
route functions the FastAPI app declares (so the OpenAPI description, the behaviour
and the tests are the same), with the same bearer-token context and the same
exception answers (`app.error_answer`). Every other request, `/Users/.search`
included, goes on to FastAPI.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from roster.scim.routes import groups, users
from roster.scim.routes.deps import scim_context

PREFIX = "/scim/v2/"
ErrorAnswer = Callable[[Request, Exception], Response | None]


@dataclass(frozen=True)
class _Route:
    """What the request middleware labels metrics with (FastAPI's route has a `path`)."""

    path: str
    handler: Callable[..., Awaitable[Response]]


def _routes() -> dict[tuple[str, str, bool], _Route]:
    table: dict[tuple[str, str, bool], _Route] = {}
    for resource, module, one in (
        ("Users", users, "person_id"),
        ("Groups", groups, "group_id"),
    ):
        collection = f"/scim/v2/{resource}"
        item = f"{collection}/{{{one}}}"
        kind = resource[:-1].lower()
        table[("GET", resource, False)] = _Route(
            collection, getattr(module, f"list_{resource.lower()}")
        )
        table[("POST", resource, False)] = _Route(collection, getattr(module, f"create_{kind}"))
        table[("GET", resource, True)] = _Route(item, getattr(module, f"get_{kind}"))
        table[("PUT", resource, True)] = _Route(item, getattr(module, f"replace_{kind}"))
        table[("PATCH", resource, True)] = _Route(item, getattr(module, f"patch_{kind}"))
        table[("DELETE", resource, True)] = _Route(item, getattr(module, f"delete_{kind}"))
    return table


ROUTES = _routes()


class FastScimRoutes:
    def __init__(self, app: ASGIApp, *, error_answer: ErrorAnswer) -> None:
        self.app = app
        self.error_answer = error_answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self._route(scope) if scope["type"] == "http" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        resource_id = scope["path"][len(PREFIX) :].partition("/")[2]
        scope["route"] = route
        request = Request(scope, receive)
        try:
            ctx = await scim_context(request)
            args: tuple[Any, ...] = (resource_id, request, ctx) if resource_id else (request, ctx)
            response = await route.handler(*args)
        except Exception as exc:
            answer = self.error_answer(request, exc)
            if answer is None:
                raise
            response = answer
        await response(scope, receive, send)

    @staticmethod
    def _route(scope: Scope) -> _Route | None:
        path: str = scope["path"]
        if not path.startswith(PREFIX):
            return None
        resource, slash, resource_id = path[len(PREFIX) :].partition("/")
        if slash and (not resource_id or "/" in resource_id or resource_id.startswith(".")):
            return None  # /Users/.search, nested or empty paths: FastAPI answers
        return ROUTES.get((scope["method"], resource, bool(slash)))
