"""The hot SCIM routes are dispatched without FastAPI (scim/routes/fast.py): each one
must call the very function FastAPI declares for that method and path, and everything
else must reach FastAPI."""

from __future__ import annotations

from typing import Any

import pytest

from roster.app import _flat, create_app
from roster.config import Settings
from roster.scim.routes.fast import ROUTES, FastScimRoutes, canonical_path


def _declared(app: Any) -> dict[tuple[str, str], Any]:
    out = {}
    for route in _flat(app.routes):
        for method in getattr(route, "methods", None) or ():
            out[(method, route.path)] = route.endpoint
    return out


def test_every_fast_route_calls_the_function_fastapi_declares(tmp_path: Any) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/r.db"))
    declared = _declared(app)
    assert len(ROUTES) == 12
    for (method, _, _), route in ROUTES.items():
        assert declared[(method, route.path)] is (route.item or route.collection), route.path
        # An id-taking path has an item handler; a collection path, a collection one.
        assert (route.item is not None) == ("{" in route.path), route.path


@pytest.mark.parametrize(
    ("method", "path", "fast"),
    [
        ("GET", "/scim/v2/Users", True),
        ("GET", "/scim/v2/Users/abc", True),
        ("PATCH", "/scim/v2/Groups/abc", True),
        ("POST", "/scim/v2/Users", True),
        ("POST", "/scim/v2/Users/.search", False),
        ("GET", "/scim/v2/Users/.search", False),
        ("POST", "/scim/v2/Users/abc", False),
        ("GET", "/scim/v2/Users/abc/def", False),
        ("GET", "/scim/v2/users/abc", True),
        ("DELETE", "/scim/v2/GROUPS/abc", True),
        ("GET", "/scim/v2/users/.search", False),
        ("GET", "/scim/v2/Userss/abc", False),
        ("HEAD", "/scim/v2/Users/abc", False),
        ("GET", "/scim/v2/ServiceProviderConfig", False),
        ("GET", "/admin/people", False),
    ],
)
def test_only_the_hot_routes_are_dispatched(method: str, path: str, fast: bool) -> None:
    scope = {"method": method, "path": path}
    route = FastScimRoutes._route(scope)
    if route is None and canonical_path(scope):  # an endpoint name spelled otherwise
        route = FastScimRoutes._route(scope)
    assert (route is not None) is fast


def test_endpoint_names_are_respelled_as_declared() -> None:
    for path, respelled in (
        ("/scim/v2/users/abc", "/scim/v2/Users/abc"),
        ("/scim/v2/USERS", "/scim/v2/Users"),
        ("/scim/v2/groups/.search", "/scim/v2/Groups/.search"),
        ("/scim/v2/serviceproviderconfig", "/scim/v2/ServiceProviderConfig"),
    ):
        scope = {"path": path}
        assert canonical_path(scope) and scope["path"] == respelled
        assert scope["raw_path"] == respelled.encode()
    for path in ("/scim/v2/Users/abc", "/scim/v2/.search", "/scim/v2/nothing", "/admin/users"):
        assert not canonical_path({"path": path}), path
