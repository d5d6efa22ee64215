"""Where Prometheus reads Roster's metrics, and who may.

Three ways, by setting: on the public port, open (the default, for a first run); on the
public port behind a bearer token (`ROSTER_METRICS_TOKEN`, compared in constant time);
or only on a port of its own (`ROSTER_METRICS_PORT`, bound to `ROSTER_METRICS_HOST`,
127.0.0.1 unless set), the public `/metrics` then answering 404. Metric names and
labels say how many companies, sign-ins and refusals there are: not for the internet.
"""

from __future__ import annotations

import secrets
import threading
from wsgiref.simple_server import WSGIServer

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest, start_http_server
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from roster.config import Settings


def metrics_response(request: Request, settings: Settings) -> Response:
    if settings.metrics_port:
        return PlainTextResponse("Not Found", status_code=404)
    if settings.metrics_token:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(
            credential.strip().encode(), settings.metrics_token.encode()
        ):
            return PlainTextResponse(
                "metrics need 'Authorization: Bearer <ROSTER_METRICS_TOKEN>'",
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="roster-metrics"'},
            )
    return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)


class MetricsPort:
    """The metrics port of this process, while the app runs."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.settings.metrics_port:
            self._server, self._thread = start_http_server(
                self.settings.metrics_port, addr=self.settings.metrics_host
            )

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
