"""One POST to a webhook endpoint, connecting only to an address it has just checked.

The URL's host is resolved and checked (directory/webhook_urls.py) before every
attempt, and the request then goes to that address itself, with the URL's host in the
Host header and, for https, as the TLS server name, so the certificate is still
verified against the host: a name that resolved to a public address for the check
cannot resolve to an inward one for the connection. Each host gets its own client
(connection pool), so a connection opened for one host name is never reused for
another that shares its address. Redirects are not followed (a 3xx is a failed
attempt: following one would reach a URL nobody checked), and no proxy or netrc from
the environment is used.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from roster.directory.webhook_urls import WebhookURL, allowed_addresses, check_url
from roster.model.errors import DirectoryError

RESPONSE_KEPT = 2000  # webhook_deliveries.last_response
# A receiver asks for a pause with 429 or 503 and Retry-After; a day at most, so that a
# wrong header ("Retry-After: 99999999") cannot park a delivery past its three days.
ASKED_PAUSE_STATUSES = frozenset({429, 503})
LONGEST_ASKED_PAUSE = 86400.0


@dataclass(frozen=True)
class Attempt:
    status: int | None  # the HTTP status, None when there was no answer
    error: str | None
    response: str | None  # the start of the answer's body
    retry_after: float | None = None  # seconds the receiver asked to wait (429/503)

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Sender:
    def __init__(self, *, timeout: float, allow_private: bool, connections: int) -> None:
        """`connections`: the most one host's client opens (the deliverer's own limits
        decide how many attempts run; several endpoints can share a host)."""
        self.timeout = timeout
        self.allow_private = allow_private
        self.connections = connections
        self._clients: dict[tuple[str, str, int], httpx.AsyncClient] = {}

    def _client(self, target: WebhookURL) -> httpx.AsyncClient:
        key = (target.scheme, target.host.lower(), target.port)
        client = self._clients.get(key)
        if client is None:
            client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout),
                follow_redirects=False,
                trust_env=False,
                limits=httpx.Limits(max_connections=self.connections, max_keepalive_connections=8),
            )
            self._clients[key] = client
        return client

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Attempt:
        try:
            target = check_url(url)
            addresses = await allowed_addresses(target, allow_private=self.allow_private)
        except DirectoryError as exc:
            return Attempt(None, f"not sent: {exc.message}", None)
        unreachable = []
        for address in addresses:  # the next one only if this one cannot be reached
            try:
                return await self._post_to(target, str(address), body, headers)
            except httpx.ConnectError as exc:
                unreachable.append(f"{address}: {exc}".rstrip(": "))
        return Attempt(None, f"cannot connect ({'; '.join(unreachable)})", None)

    async def _post_to(
        self, target: WebhookURL, address: str, body: bytes, headers: dict[str, str]
    ) -> Attempt:
        """The attempt at one address (httpx.ConnectError: no connection to it)."""
        original = httpx.URL(target.url)
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        try:
            # httpx's timeout bounds each read; this bounds the whole attempt (a receiver
            # dripping one byte at a time would otherwise hold it open for ever).
            async with (
                asyncio.timeout(self.timeout),
                self._client(target).stream(
                    "POST",
                    original.copy_with(host=address),
                    content=body,
                    headers={**headers, "host": original.netloc.decode("ascii")},
                    extensions=extensions,
                ) as response,
            ):
                text = await _start_of(response)
        except httpx.ConnectError:
            raise
        except (TimeoutError, httpx.TimeoutException):
            return Attempt(None, f"timed out after {self.timeout:g} s", None)
        except httpx.HTTPError as exc:
            return Attempt(None, f"{type(exc).__name__}: {exc}".rstrip(": "), None)
        status = response.status_code
        error = None if 200 <= status < 300 else f"HTTP {status}"
        retry_after = None
        if status in ASKED_PAUSE_STATUSES:
            retry_after = asked_pause(response.headers.get("retry-after"))
        return Attempt(status, error, text, retry_after)

    async def close(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()


def asked_pause(header: str | None, now: datetime | None = None) -> float | None:
    """Retry-After (RFC 9110 §10.2.3) as seconds from now: delay-seconds or an HTTP-date,
    capped at LONGEST_ASKED_PAUSE; None when absent or unreadable (the schedule decides)."""
    if header is None:
        return None
    text = header.strip()
    if text.isascii() and text.isdigit():  # str.isdigit alone takes "²", which float() refuses
        seconds = float(text)
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:  # an HTTP-date is GMT; the obsolete forms parse naive
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), LONGEST_ASKED_PAUSE)


async def _start_of(response: httpx.Response) -> str:
    """The first characters of the answer; a huge body is not read to its end."""
    kept = b""
    async for chunk in response.aiter_bytes():
        kept += chunk
        if len(kept) >= RESPONSE_KEPT * 4:
            break
    return kept.decode("utf-8", "replace")[:RESPONSE_KEPT]
