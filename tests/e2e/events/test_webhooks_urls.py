"""Where a webhook may point: http(s) URLs whose host resolves only to public addresses
(no server-side request forgery into Roster's own network), checked when the endpoint
is added, through `roster webhook add` as an operator runs it, and again at every
delivery; ROSTER_WEBHOOK_ALLOW_PRIVATE=1 allows the inward ones. Bad input and bad
settings get one line naming the fix."""

from __future__ import annotations

import asyncio

import pytest

from roster.delivery.sending import Attempt, Sender
from roster.directory import webhooks
from roster.model.errors import DirectoryError
from roster.store.db import Database
from tests.support.harness import Company
from tests.support.helpers import roster_cli
from tests.support.webhook_receiver import receiving
from tests.support.webhooks import add_endpoint

PRIVATE_OFF = {"ROSTER_WEBHOOK_ALLOW_PRIVATE": "0"}
PRIVATE_ON = {"ROSTER_WEBHOOK_ALLOW_PRIVATE": "1"}


def _one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    return lines[0]


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254, the cloud metadata service"),
        ("https://10.0.0.1/hooks", "10.0.0.1, a private address"),
        ("http://localhost:8080/hooks", "a loopback address"),
    ],
)
def test_inward_urls_are_refused_unless_allowed(company: Company, url: str, says: str) -> None:
    refused = roster_cli(company.server, "webhook", "add", company.subdomain, url, env=PRIVATE_OFF)
    assert refused.returncode == 1, refused.stdout
    line = _one_line_error(refused.stderr)
    assert says in line and "ROSTER_WEBHOOK_ALLOW_PRIVATE=1" in line, line
    assert "the webhook URL points at " + url.split("/")[2].split(":")[0] in line
    assert "whsec_" not in refused.stdout
    allowed = roster_cli(company.server, "webhook", "add", company.subdomain, url, env=PRIVATE_ON)
    assert allowed.returncode == 0, allowed.stderr
    endpoint_id, secret = allowed.stdout.strip().splitlines()
    assert secret.startswith("whsec_") and len(endpoint_id) == 36


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://[::1]:9000/", "a loopback address"),
        ("http://[fd00:ec2::254]/", "the cloud metadata service"),
        ("http://[::ffff:10.0.0.1]/", "a private address"),
        ("http://[fe80::1]/", "a link-local address"),
        ("http://0.0.0.0/", "an unspecified address"),
        ("http://224.0.0.251/", "a multicast address"),
        ("http://100.64.0.1/", "not a public address"),
        ("http://192.168.1.20/", "a private address"),
        ("http://169.254.10.1/", "a link-local address"),
    ],
)
def test_every_kind_of_inward_address_is_refused(company: Company, url: str, says: str) -> None:
    async def add(db: Database) -> object:
        return await webhooks.add_endpoint(db, company.subdomain, url, allow_private=False)

    with pytest.raises(DirectoryError) as refused:
        company.call(add)
    assert says in refused.value.message and refused.value.kind == "invalid"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("ftp://hooks.example.com/",), "is not an http or https URL"),
        (("https://user:pw@hooks.example.com/",), "carries a user name or password"),
        (("https:///nohost",), "names no host"),
        (("https://hooks.example.com/" + "a" * 2000,), "give one of at most 2000"),
        (("https://hooks.example.com:99999/",), "is not a URL"),
        (("http://127.0.0.1:9/", "--event", "person.hired"), "unknown event type 'person.hired'"),
    ],
)
def test_bad_input_gets_one_line_naming_the_fix(
    company: Company, args: tuple[str, ...], says: str
) -> None:
    r = roster_cli(company.server, "webhook", "add", company.subdomain, *args)
    assert r.returncode == 1, r.stdout
    assert says in _one_line_error(r.stderr)


def test_unknown_companies_and_endpoints_are_named(company: Company) -> None:
    r = roster_cli(company.server, "webhook", "list", "no-such-company")
    assert "no company with subdomain 'no-such-company'" in _one_line_error(r.stderr)
    for command in ("remove", "rotate-secret", "deliveries"):
        r = roster_cli(company.server, "webhook", command, company.subdomain, "nope")
        assert "no webhook endpoint 'nope'" in _one_line_error(r.stderr), command


def test_delivery_checks_the_address_again(company: Company) -> None:
    """An endpoint that was allowed (or whose name resolved outward when it was added)
    is not connected to once its address is inward: the deliverer refuses, and the
    receiver hears nothing."""
    with receiving() as receiver:
        add_endpoint(company, receiver.url)  # allowed when added
        refused = asyncio.run(_post(receiver.url, allow_private=False))
        # By name, allowed: resolved, connected to the address, the name kept as Host.
        by_name = receiver.url.replace("127.0.0.1", "localhost")
        reached = asyncio.run(_post(by_name, allow_private=True))
    assert not refused.delivered and refused.status is None
    assert refused.error is not None and refused.error.startswith("not sent: ")
    assert "a loopback address" in refused.error
    assert reached.delivered and reached.status == 200
    (request,) = receiver.received  # the refused one never arrived
    assert request.headers["host"] == by_name.split("/")[2]


async def _post(url: str, *, allow_private: bool) -> Attempt:
    sender = Sender(timeout=3, allow_private=allow_private, connections=1)
    try:
        return await sender.post(url, b"{}", {"webhook-id": "msg_test"})
    finally:
        await sender.close()


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("ROSTER_WEBHOOK_RETRY_SCHEDULE", "5,soon", "write comma-separated seconds"),
        ("ROSTER_DELIVERY", "sometimes", "use on (roster serve delivers webhooks) or off"),
        ("ROSTER_WEBHOOK_PER_ENDPOINT", "0", "give a number from 1 to 10000"),
    ],
)
def test_bad_webhook_settings_stop_the_deliverer_with_one_line(
    company: Company, variable: str, value: str, says: str
) -> None:
    for command in (("events", "deliver"), ("serve", "--port", "1")):
        r = roster_cli(company.server, *command, env={variable: value})
        assert r.returncode == 1, (command, r.stdout)
        line = _one_line_error(r.stderr)
        assert line.startswith(f"error: {variable}") and says in line, line
