"""SET receivers from the admin's and the receiver's side, on both databases:
/ServiceProviderConfig's securityEvents (RFC 9967 §4), the `roster events set-receiver`
commands (URL rules, issuer, events, a sealed Authorization header, replay, removal),
and docs/events.md's receiver code run as written against SETs of the live server."""

from __future__ import annotations

import base64
import json
import re
import time
from pathlib import Path
from typing import Any

from roster.delivery.set_push import KEY_REFRESH_SECONDS
from roster.directory import set_receivers
from tests.support.harness import Company
from tests.support.helpers import roster_cli
from tests.support.set_receivers import add_receiver, jwks, settled, verified
from tests.support.users import create, okta_user, patched
from tests.support.webhook_receiver import Answer, eventually, receiving

PROV = "urn:ietf:params:scim:event:prov"
ACCEPTED = Answer(202)


def test_service_provider_config_advertises_security_events(company: Company) -> None:
    """RFC 9967 §4: securityEvents once the company has a receiver; absent before
    ("not currently configured"), where clients whose SCIM models predate RFC 9967 (as
    scim2-models, tests/e2e/scim/test_conformance.py) refuse an attribute they do not
    know."""
    assert "securityEvents" not in company.client.get("/ServiceProviderConfig").json()
    receiver_id = add_receiver(company, "http://127.0.0.1:9/nowhere")
    spc = company.client.get("/ServiceProviderConfig").json()
    assert spc["securityEvents"]["asyncRequest"] == "none"
    assert set(spc["securityEvents"]["eventUris"]) == {
        f"{PROV}:{e}" for e in ("create:full", "patch:full", "delete", "activate", "deactivate")
    }
    company.call(lambda db: set_receivers.remove_receiver(db, company.subdomain, receiver_id))
    assert "securityEvents" not in company.client.get("/ServiceProviderConfig").json()


def test_the_set_receiver_commands(company: Company) -> None:
    sub = company.subdomain
    with receiving(default=ACCEPTED) as receiver:
        refused = roster_cli(
            company.server, "events", "set-receiver", "add", sub, receiver.url,
            env={"ROSTER_WEBHOOK_ALLOW_PRIVATE": "0", "ROSTER_PUBLIC_URL": company.server.url},
        )  # fmt: skip
        assert refused.returncode == 1 and "127.0.0.1" in refused.stderr
        no_issuer = roster_cli(company.server, "events", "set-receiver", "add", sub, receiver.url)
        assert no_issuer.returncode == 1
        assert "set ROSTER_PUBLIC_URL" in no_issuer.stderr and "--issuer" in no_issuer.stderr
        unknown = roster_cli(
            company.server, "events", "set-receiver", "add", sub, receiver.url,
            "--issuer", "https://roster.example/acme", "--event", "person.manager_changed",
        )  # fmt: skip
        assert (
            unknown.returncode == 1 and "unknown event 'person.manager_changed'" in unknown.stderr
        )
        added = roster_cli(
            company.server, "events", "set-receiver", "add", sub, receiver.url,
            "--issuer", "https://roster.example/acme", "--audience", "urn:example:hr",
            "--event", f"{PROV}:deactivate", "--authorization-header", "-",
            stdin="Bearer s3cret-token\n",
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        receiver_id = added.stdout.strip()
        listed = roster_cli(company.server, "events", "set-receiver", "list", sub)
        row = next(line for line in listed.stdout.splitlines() if receiver_id in line)
        assert "urn:example:hr" in row and "person.deactivated" in row and " yes " in row
        assert "s3cret" not in listed.stdout
        made = create(company, okta_user("leaving@acme.example"))
        patched(company, made["id"], {"op": "replace", "value": {"active": False}})
        (done,) = eventually(lambda: settled(company, receiver_id, 1), what="the deactivation")
        (request,) = receiver.received
        _, claims = verified(request, jwks(company))
    assert done.status == "delivered"
    assert request.headers["authorization"] == "Bearer s3cret-token"
    assert claims["iss"] == "https://roster.example/acme" and claims["aud"] == "urn:example:hr"
    assert claims["events"] == {f"{PROV}:deactivate": {}}
    replayed = roster_cli(
        company.server, "events", "set-receiver", "replay", sub, receiver_id, "--from-seq", "1"
    )
    assert replayed.returncode == 0 and "queued 1 deliveries" in replayed.stdout
    removed = roster_cli(company.server, "events", "set-receiver", "remove", sub, receiver_id)
    assert removed.returncode == 0 and f"removed SET receiver {receiver_id}" in removed.stdout
    again = roster_cli(company.server, "events", "set-receiver", "remove", sub, receiver_id)
    assert again.returncode == 1 and "no SET receiver" in again.stderr


def _docs_receiver(company: Company, audience: str) -> dict[str, Any]:
    """docs/events.md's "Verifying a SET" block, run as written, with the live server's
    URL, the company and the receiver's audience in place of the example's."""
    docs = (Path(__file__).parents[3] / "docs" / "events.md").read_text()
    section = docs.split("### Verifying a SET", 1)[1]
    block = re.search(r"```python\n(.*?)```", section, re.S)
    assert block is not None
    code = (
        block.group(1)
        .replace("https://roster.example.com", company.server.url)
        .replace("/companies/acme", f"/companies/{company.subdomain}")
        .replace("https://hr.example.com/scim-events", audience)
    )
    seen: set[str] = set()
    handled: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    def already_seen(jti: str) -> bool:
        known = jti in seen
        seen.add(jti)
        return known

    namespace: dict[str, Any] = {
        "already_seen": already_seen,
        "handle": lambda *told: handled.append(told),
        "handled": handled,
    }
    exec(compile(code, "docs/events.md", "exec"), namespace)  # noqa: S102 - our own docs
    return namespace


def test_the_documented_receiver_verifies_rosters_sets(company: Company) -> None:
    with receiving(default=ACCEPTED) as receiver, receiving(default=ACCEPTED) as elsewhere:
        receiver_id = add_receiver(company, receiver.url, "person.created")
        other_id = add_receiver(company, elsewhere.url, "person.created")
        create(company, okta_user("documented@acme.example"))
        eventually(lambda: settled(company, receiver_id, 1) and settled(company, other_id, 1))
        docs = _docs_receiver(company, receiver.url)
        (request,) = receiver.received
        assert docs["receive"](request.body) == (202, None)
        assert docs["receive"](request.body) == (202, None)  # again: deduped on jti
        ((uri, sub_id, payload),) = docs["handled"]
        assert uri == f"{PROV}:create:full" and sub_id["format"] == "scim"
        assert payload["data"]["userName"] == "documented@acme.example"
        (misdirected,) = elsewhere.received  # another receiver's SET: its aud
        status, answer = docs["receive"](misdirected.body)
        assert (status, answer["err"]) == (400, "invalid_audience")
        head, claims, signature = request.body.split(b".")
        forged = json.loads(base64.urlsafe_b64decode(claims + b"=="))
        forged["events"] = {f"{PROV}:delete": {}}
        tampered = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=")
        status, answer = docs["receive"](b".".join((head, tampered, signature)))
        assert (status, answer["err"]) == (400, "invalid_request")
        # A rotated key: the cached JWKS does not have it, the receiver fetches it again.
        rotated = roster_cli(
            company.server, "events", "signing-key", "rotate", "--publish-ahead", "0"
        )
        assert rotated.returncode == 0, rotated.stderr
        time.sleep(KEY_REFRESH_SECONDS + 0.5)
        create(company, okta_user("after-rotation@acme.example"))
        eventually(lambda: settled(company, receiver_id, 2), what="signed with the new key")
        assert verified(receiver.received[1], jwks(company))[0]["kid"] == rotated.stdout.strip()
        assert docs["receive"](receiver.received[1].body) == (202, None)
        assert len(docs["handled"]) == 2
