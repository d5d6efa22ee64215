"""The admin console at /admin: Jinja2 templates and htmx, no JavaScript build step.

`install(app)` adds its routes, static files, error pages and security headers.
Every page works without JavaScript; htmx (vendored in static/) makes search,
paging and filters update in place.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from roster.console.pages import router
from roster.console.pages.home import unserved
from roster.console.rendering import HERE
from roster.console.security import SecurityHeadersMiddleware
from roster.console.web import (
    AccessNeeded,
    ConsoleError,
    LoginRequired,
    login_redirect,
    render,
)


def is_console_path(path: str) -> bool:
    return path == "/admin" or path.startswith("/admin/")


def http_error_page(request: Request) -> Response:
    """The console's 404 or 405 page for an /admin address routing could not serve
    (the app answers SCIM JSON elsewhere)."""
    return unserved(request)


def install(app: FastAPI) -> None:
    # Static files first: the console's catch-all 404 route must not shadow them.
    app.mount("/admin/static", StaticFiles(directory=str(HERE / "static")), name="console-static")
    app.include_router(router)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": "/admin/login"})
        return login_redirect(exc.next_url)

    @app.exception_handler(ConsoleError)
    async def console_error(request: Request, exc: ConsoleError) -> Response:
        if isinstance(exc, AccessNeeded):
            return exc.console.render(
                "forbidden.html",
                status=403,
                title=exc.title,
                message=exc.message,
                grantors=exc.grantors,
                nav=None,
            )
        return render(
            request, "error.html", status=exc.status, title=exc.title, message=exc.message
        )

    https = app.state.services.settings.public_url.startswith("https://")
    app.add_middleware(SecurityHeadersMiddleware, https=https)
