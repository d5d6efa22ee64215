"""What the doors need while the app runs, in one typed place: the settings, the
database, the rate limiter and the provisioning log's writer. app.py creates it and its
lifespan fills in what belongs to the event loop; a route reaches it with
`services(request)`. (Before, each need was its own untyped attribute of `app.state`:
a misspelt one was a 500 at run time, now it is a mypy error. The SAML routes keep
their own few services beside it, in sso/routes.py, as nothing else needs them.)"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import HTTPConnection
from starlette.types import Scope

from roster.config import Settings
from roster.directory.provisioning_log import ProvisioningLogWriter
from roster.ratelimit import RateLimiter
from roster.store.db import Database


@dataclass
class Services:
    settings: Settings
    rate_limiter: RateLimiter
    _db: Database | None = field(default=None, repr=False)
    _log_writer: ProvisioningLogWriter | None = field(default=None, repr=False)

    @property
    def db(self) -> Database:
        if self._db is None:
            raise RuntimeError("the database is opened by the app's lifespan; it has not run")
        return self._db

    @property
    def started(self) -> bool:
        return self._db is not None

    def open(self, db: Database) -> None:
        self._db = db

    @property
    def provisioning_log(self) -> ProvisioningLogWriter:
        """The writer, started on first use (its task belongs to the serving loop)."""
        if self._log_writer is None:
            self._log_writer = ProvisioningLogWriter(self.db)
        return self._log_writer

    async def flush_provisioning_log(self) -> None:
        """What the log has buffered, written, so that a page reading it is current."""
        if self._log_writer is not None:
            await self._log_writer.flush()

    async def close(self) -> None:
        if self._log_writer is not None:
            await self._log_writer.close()


def services(connection: HTTPConnection) -> Services:
    found: Services = connection.app.state.services
    return found


def services_of(scope: Scope) -> Services | None:
    """For ASGI middleware, which has a scope rather than a request."""
    app = scope.get("app")
    return getattr(app.state, "services", None) if app is not None else None
