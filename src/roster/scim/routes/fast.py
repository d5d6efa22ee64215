"""Okta's and Entra's traffic, dispatched without FastAPI's per-request machinery.

Nearly every request an identity provider sends is one of a dozen SCIM routes
(a lookup, a GET, a PATCH, a membership change ...). For these, FastAPI's routing,
dependency solving and exception middleware cost about a third of the server's CPU
per request (bench/FINDINGS.md). This middleware sits inside the request and
provisioning-log middlewares and answers exactly those routes by calling the same
route functions the FastAPI app declares (so the OpenAPI description, the behaviour
and the tests are the same), with the same bearer-token context and the same
exception answers (`scim/routes/errors.py: error_answer`). Every other request, `/Users/.search`
included, goes on to FastAPI, with its endpoint's name spelled as declared.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from roster.scim.routes import groups, users
from roster.scim.routes.deps import ScimContext, scim_context

PREFIX = "/scim/v2/"
ErrorAnswer = Callable[[Request, Exception], Response | None]


CollectionHandler = Callable[[Request, ScimContext], Awaitable[Response]]
ItemHandler = Callable[[str, Request, ScimContext], Awaitable[Response]]


@dataclass(frozen=True)
class _Route:
    """A route answered here. `path` is what the request middleware labels metrics with
    (FastAPI's route has one too); exactly one of the handlers is set."""

    path: str
    collection: CollectionHandler | None = None
    item: ItemHandler | None = None


_USERS, _USER = "/scim/v2/Users", "/scim/v2/Users/{person_id}"
_GROUPS, _GROUP = "/scim/v2/Groups", "/scim/v2/Groups/{group_id}"

# (method, resource, with an id) -> the route function FastAPI declares for it.
# tests/test_fast_routes.py fails if this table and FastAPI's routes diverge.
ROUTES: dict[tuple[str, str, bool], _Route] = {
    ("GET", "Users", False): _Route(_USERS, collection=users.list_users),
    ("POST", "Users", False): _Route(_USERS, collection=users.create_user),
    ("GET", "Users", True): _Route(_USER, item=users.get_user),
    ("PUT", "Users", True): _Route(_USER, item=users.replace_user),
    ("PATCH", "Users", True): _Route(_USER, item=users.patch_user),
    ("DELETE", "Users", True): _Route(_USER, item=users.delete_user),
    ("GET", "Groups", False): _Route(_GROUPS, collection=groups.list_groups),
    ("POST", "Groups", False): _Route(_GROUPS, collection=groups.create_group),
    ("GET", "Groups", True): _Route(_GROUP, item=groups.get_group),
    ("PUT", "Groups", True): _Route(_GROUP, item=groups.replace_group),
    ("PATCH", "Groups", True): _Route(_GROUP, item=groups.patch_group),
    ("DELETE", "Groups", True): _Route(_GROUP, item=groups.delete_group),
}


# The resource endpoints by their lowercased names. Endpoint names are matched without
# regard to case (Microsoft's Entra Postman collection sends /users): a request spelled
# otherwise is answered as if spelled as declared, by the same route on either path.
ENDPOINTS = {
    name.lower(): name
    for name in ("Users", "Groups", "Schemas", "ResourceTypes", "ServiceProviderConfig")
}


def canonical_path(scope: Scope) -> bool:
    """Respell a SCIM path's endpoint as declared (`/scim/v2/users/1` -> `/Users/1`);
    True when it was respelled. Only asked after the exact spelling found no hot route,
    so Okta's and Entra's everyday paths pay nothing for it."""
    path: str = scope["path"]
    if not path.startswith(PREFIX):
        return False
    endpoint, slash, rest = path[len(PREFIX) :].partition("/")
    declared = ENDPOINTS.get(endpoint.lower())
    if declared is None or declared == endpoint:
        return False
    scope["path"] = f"{PREFIX}{declared}{slash}{rest}"
    scope["raw_path"] = scope["path"].encode()
    return True


class FastScimRoutes:
    def __init__(self, app: ASGIApp, *, error_answer: ErrorAnswer) -> None:
        self.app = app
        self.error_answer = error_answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self._route(scope) if scope["type"] == "http" else None
        if route is None and scope["type"] == "http" and canonical_path(scope):
            route = self._route(scope)
        if route is None:
            await self.app(scope, receive, send)
            return
        resource_id = scope["path"][len(PREFIX) :].partition("/")[2]
        scope["route"] = route
        request = Request(scope, receive)
        try:
            ctx = await scim_context(request)
            if route.item is not None:
                response = await route.item(resource_id, request, ctx)
            else:
                assert route.collection is not None
                response = await route.collection(request, ctx)
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
