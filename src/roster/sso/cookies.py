"""The request-id cookie: which AuthnRequests this browser has outstanding.

Okta answers with a cross-site POST, on which browsers send only SameSite=None cookies,
so this cookie is SameSite=None; Secure; HttpOnly, scoped to the company's /saml2 path,
and signed so that it can be neither forged nor carried to another company. Each
request id is kept for REQUEST_MAX_AGE seconds."""

from __future__ import annotations

import time
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

REQUEST_COOKIE = "roster_saml_request"
REQUEST_MAX_AGE = 600  # seconds a sign-in at the IdP may take
MAX_PENDING = 3  # sign-ins started in other tabs that stay valid


class RequestCookie:
    def __init__(self, key: str) -> None:
        self._serializer = URLSafeSerializer(key, salt="roster.saml.request")

    def _pending(self, value: str | None, tenant_id: int, now: float) -> list[tuple[str, int]]:
        if not value or len(value) > 2000:
            return []
        try:
            data: Any = self._serializer.loads(value)
        except BadSignature:
            return []
        if not isinstance(data, dict) or data.get("t") != tenant_id:
            return []
        entries = data.get("r")
        if not isinstance(entries, list):
            return []
        return [
            (e[0], e[1])
            for e in entries
            if isinstance(e, list)
            and len(e) == 2
            and isinstance(e[0], str)
            and isinstance(e[1], int)
            and 0 <= now - e[1] < REQUEST_MAX_AGE
        ]

    def add(self, value: str | None, tenant_id: int, request_id: str) -> str:
        """The cookie value with one more outstanding request (the oldest drop off)."""
        now = time.time()
        entries = [*self._pending(value, tenant_id, now), (request_id, int(now))]
        return self._serializer.dumps(
            {"t": tenant_id, "r": [list(e) for e in entries[-MAX_PENDING:]]}
        )

    def request_ids(self, value: str | None, tenant_id: int) -> list[str]:
        """Outstanding request ids for this company: [] when the cookie is absent,
        forged, expired or another company's."""
        return [rid for rid, _ in self._pending(value, tenant_id, time.time())]
