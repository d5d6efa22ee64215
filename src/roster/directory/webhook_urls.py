"""Where a webhook may point: an http(s) URL whose host resolves only to public
addresses. A webhook URL is chosen by a company's admin, and Roster's servers then send
requests to it, so without this check an admin could make Roster call into its own
network (server-side request forgery): the cloud metadata service at 169.254.169.254,
a database on 10.0.0.5, an admin port on localhost.

The check runs when an endpoint is added and again before every delivery, because
what a name resolves to can change after it was checked; the deliverer then connects
to the address it checked, not to whatever a second look-up returns
(delivery/sending.py). ROSTER_WEBHOOK_ALLOW_PRIVATE=1 turns it off, for a receiver on
the same machine or network (tests, development).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from roster.model.errors import invalid

MAX_URL_LENGTH = 2000  # webhook_endpoints.url
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Instance metadata services (AWS, GCP, Azure, OpenStack: 169.254.169.254; AWS over
# IPv6: fd00:ec2::254); named apart so the refusal says what they are.
METADATA = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
ALLOW_HINT = "set ROSTER_WEBHOOK_ALLOW_PRIVATE=1 only for a receiver on a trusted network"


@dataclass(frozen=True)
class WebhookURL:
    url: str
    scheme: str
    host: str  # without brackets for IPv6
    port: int


def check_url(url: str) -> WebhookURL:
    """The URL's form: http or https, a host, no credentials, not too long."""
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise invalid(
            f"the webhook URL is {len(url)} characters long: give one of at most {MAX_URL_LENGTH}",
            "url",
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise invalid(
            f"{url!r} is not a URL ({exc}): give one like https://hooks.example.com/roster",
            "url",
        ) from None
    if parts.scheme not in ("http", "https"):
        raise invalid(
            f"{url!r} is not an http or https URL: give one like https://hooks.example.com/roster",
            "url",
        )
    if not parts.hostname:
        raise invalid(f"{url!r} names no host: give one like https://hooks.example.com/roster")
    if parts.username is not None or parts.password is not None:
        raise invalid(
            f"{url!r} carries a user name or password: leave them out; receivers check "
            "the webhook-signature header instead",
            "url",
        )
    if parts.fragment:
        raise invalid(f"{url!r} has a #fragment, which is never sent: leave it out", "url")
    return WebhookURL(
        url, parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)
    )


def forbidden_reason(address: IPAddress) -> str | None:
    """Why Roster must not connect to `address`, or None if it is a public address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    if address in METADATA:
        return "the cloud metadata service"
    for test, what in (
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        (not address.is_global, "not a public address"),  # 100.64.0.0/10 and the like
    ):
        if test:
            return what
    return None


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (itself, if it is an address)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise invalid(
            f"cannot resolve the webhook host {host!r} ({exc}): check the URL", "url"
        ) from None
    addresses: list[IPAddress] = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


async def allowed_addresses(target: WebhookURL, *, allow_private: bool) -> list[IPAddress]:
    """The addresses Roster may connect to for `target`: all it resolves to, unless any
    of them is forbidden (a name that also resolves inward is refused whole)."""
    addresses = await resolve(target.host, target.port)
    if not addresses:
        raise invalid(f"the webhook host {target.host!r} resolves to no address", "url")
    if allow_private:
        return addresses
    for address in addresses:
        reason = forbidden_reason(address)
        if reason is not None:
            shown = target.host if target.host == str(address) else f"{target.host} ({address})"
            raise invalid(
                f"the webhook URL points at {shown}, {reason}: Roster sends events only "
                f"to public addresses ({ALLOW_HINT})",
                "url",
            )
    return addresses
