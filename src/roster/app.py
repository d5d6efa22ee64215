"""create_app(): routers, middleware, lifespan. Wiring only: which exceptions are a
SCIM error or a 503 is scim/routes/errors.py's; which database errors mean "cannot
serve now" is store/db.py's."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from roster import __version__
from roster.api import events as events_api
from roster.api import jwks as jwks_api
from roster.config import Settings, get_settings
from roster.console import http_error_page, is_console_path
from roster.console import install as install_console
from roster.delivery.deliverer import Deliverer
from roster.directory import events_feed
from roster.logging import configure as configure_logging
from roster.logging import get_logger
from roster.metrics import MetricsPort, metrics_response
from roster.middleware import RequestMiddleware
from roster.model.errors import DirectoryError
from roster.ratelimit import make_limiter
from roster.scim.errors import ScimError
from roster.scim.http import error_response
from roster.scim.routes import discovery, groups, root_search, users
from roster.scim.routes.errors import error_answer
from roster.scim.routes.fast import FastScimRoutes
from roster.scim.routes.provisioning_log import ProvisioningLogMiddleware
from roster.services import Services, services
from roster.sso import routes as sso_routes
from roster.store import statistics
from roster.store.db import Database

SCIM_PREFIX = "/scim/v2"


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = database is None
        running.open(
            database or Database(settings.database_url, pool_size=settings.database_pool_size)
        )
        # What is loaded by now (modules, routes, schemas, templates) lives as long as
        # the process: moved out of the collector's sight, full collections under load
        # stay short (they were the 80 ms pauses behind the p99 of every operation).
        gc.collect()
        gc.freeze()
        metrics_port = MetricsPort(settings)
        metrics_port.start()
        purger = asyncio.create_task(
            events_feed.keep_recent(running.db, retention_days=settings.events_retention_days),
            name="roster-events-purge",
        )
        # Plans must not wait for autovacuum (store/statistics.py).
        keeper = (
            asyncio.create_task(
                statistics.keep_forever(running.db, every_seconds=settings.statistics_seconds),
                name=statistics.TASK_NAME,
            )
            if settings.statistics_seconds > 0
            else None
        )
        # Webhooks go out from a task of their own, never from a request's path
        # (ROSTER_DELIVERY=off: `roster events deliver` runs apart).
        deliverer = None
        if settings.delivers_in_serve():
            deliverer = Deliverer.with_own_connections(running.db.url, settings)
            deliverer.start()
        else:
            get_logger("roster.delivery").info(
                "webhook delivery is off here (ROSTER_DELIVERY=off): `roster events deliver` "
                "must run somewhere"
            )
        try:
            async with sso_routes.saml_services(app):
                yield
        finally:
            purger.cancel()
            if keeper is not None:
                keeper.cancel()
            if deliverer is not None:
                await deliverer.stop()
            metrics_port.stop()
            await running.close()
            if owned:
                await running.db.dispose()

    app = FastAPI(
        title="Roster SCIM 2.0",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{SCIM_PREFIX}/openapi.json",
    )
    running = Services(
        settings,
        make_limiter(
            settings.redis_url,
            per_company=settings.rate_limit_per_company,
            per_token=settings.rate_limit_per_token,
            unauthenticated=settings.rate_limit_unauthenticated,
        ),
    )
    app.state.services = running
    if database is not None:
        running.open(database)

    app.include_router(discovery.router, prefix=SCIM_PREFIX)
    app.include_router(users.router, prefix=SCIM_PREFIX)
    app.include_router(groups.router, prefix=SCIM_PREFIX)
    app.include_router(root_search.router, prefix=SCIM_PREFIX)
    app.include_router(sso_routes.router)
    app.include_router(events_api.router)
    app.include_router(jwks_api.router)
    # The innermost middleware: the hot SCIM routes without FastAPI's machinery.
    app.add_middleware(FastScimRoutes, error_answer=error_answer)
    install_console(app)

    @app.exception_handler(ScimError)
    @app.exception_handler(DirectoryError)
    @app.exception_handler(DBAPIError)
    @app.exception_handler(OSError)
    @app.exception_handler(TimeoutError)
    @app.exception_handler(PoolTimeoutError)
    async def known_error(request: Request, exc: Exception) -> Response:
        response = error_answer(request, exc)
        if response is None:
            raise exc  # a genuine bug: the 500 guard in the middleware answers it
        return response

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code in (404, 405) and is_console_path(request.url.path):
            return http_error_page(request)  # a browser's page, not SCIM JSON
        headers = dict(exc.headers or {})
        if exc.status_code == 404:
            detail = f"no such endpoint: {request.url.path}"
        elif exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
            # Routing names only the first route that matched the path; a 405 must list
            # every method the path supports (RFC 9110 §15.5.6).
            headers["Allow"] = ", ".join(_allowed_methods(app.routes, request.url.path))
        else:
            detail = str(exc.detail)
        return error_response(ScimError(exc.status_code, detail, headers=headers))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error_response(
            ScimError(
                400, f"invalid request parameter {where}: {first.get('msg', '')}", "invalidValue"
            )
        )

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> Response:
        try:
            await services(request).db.ping()
        except Exception:
            return JSONResponse({"status": "database unreachable"}, status_code=503)
        return JSONResponse({"status": "ready"})

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        return metrics_response(request, settings)

    app.add_middleware(ProvisioningLogMiddleware)  # inside RequestMiddleware
    app.add_middleware(
        RequestMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_group_body_bytes=settings.max_group_body_bytes,
        max_upload_bytes=settings.max_csv_bytes,
    )
    return app


def _allowed_methods(routes: Iterable[Any], path: str) -> list[str]:
    """The methods of the routes matching `path`; a route spelled out literally wins
    over one with parameters (`/Users/.search` is not `/Users/{person_id}`)."""
    literal: set[str] = set()
    templated: set[str] = set()
    for route in _flat(routes):
        regex = getattr(route, "path_regex", None)
        allowed = getattr(route, "methods", None)  # a Mount has none
        if regex is not None and allowed and regex.match(path):
            (templated if "{" in route.path else literal).update(allowed)
    return sorted(literal or templated)


def _flat(routes: Iterable[Any]) -> Iterable[Any]:
    for route in routes:
        candidates = getattr(route, "effective_candidates", None)  # an included router
        if callable(candidates):
            yield from _flat(candidates())
        else:
            yield route


def app_factory() -> FastAPI:
    """Entry point for `uvicorn --factory` (one app per worker process)."""
    return create_app()
