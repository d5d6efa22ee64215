"""Security Event Tokens end to end, on both databases: SCIM changes from an Okta-like
client reach a real HTTP receiver on 127.0.0.1 as SETs (RFC 8417, in RFC 9967's SCIM
profile) pushed per RFC 8935 by the server's own deliverer, each verified with joserfc
against the JWKS fetched from the running server. Rotation of the signing key; the
RFC 8935 refusals that are dead at once and the failures that are retried (jti and txn
the same on every attempt); a held receiver delaying no other and no SCIM request; a
failing SET holding back only its resource. (/ServiceProviderConfig, the commands and
the documented receiver: test_set_receivers.py.) The test schedule
(tests/support/harness.py WEBHOOK_ENV): retries after 0.2, 0.4 and 0.6 s, then dead;
an attempt times out after 3 s."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from typing import Any

from roster.delivery.set_push import KEY_REFRESH_SECONDS
from tests.support.harness import WEBHOOK_ENV, Company
from tests.support.helpers import roster_cli
from tests.support.set_receivers import add_receiver, jti, jwks, settled, unverified, verified
from tests.support.users import ENTERPRISE, PATCH_OP, create, okta_user, patched
from tests.support.webhook_receiver import Answer, Received, eventually, receiving
from tests.support.webhooks import company_events, last_seq

PROV = "urn:ietf:params:scim:event:prov"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
TIMEOUT = float(WEBHOOK_ENV["ROSTER_WEBHOOK_TIMEOUT_SECONDS"])
SCHEDULE = WEBHOOK_ENV["ROSTER_WEBHOOK_RETRY_SCHEDULE"].split(",")
ACCEPTED = Answer(202)


def session(company: Company) -> dict[str, str]:
    """Okta's day in small: a person created, edited, given a manager and deactivated;
    a group pushed with a member, a member added and removed, the group renamed."""
    boss = create(company, okta_user("boss@acme.example"))
    ada = create(company, okta_user("ada@acme.example", "Ada"))
    patched(company, ada["id"], {"op": "replace", "value": {"title": "Lead"}})
    patched(
        company,
        ada["id"],
        {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": {"value": boss["id"]}},
    )
    patched(company, ada["id"], {"op": "replace", "value": {"active": False}})
    r = company.client.post(
        "/Groups",
        json={"schemas": [GROUP], "displayName": "Eng", "members": [{"value": ada["id"]}]},
    )
    assert r.status_code == 201, r.text
    group = r.json()["id"]
    for op in (
        {"op": "add", "path": "members", "value": [{"value": boss["id"]}]},
        {"op": "remove", "path": f'members[value eq "{ada["id"]}"]'},
        {"op": "replace", "value": {"id": group, "displayName": "Engineering"}},
    ):
        r = company.client.patch(
            f"/Groups/{group}", json={"schemas": [PATCH_OP], "Operations": [op]}
        )
        assert r.status_code in (200, 204), r.text
    return {"boss": boss["id"], "ada": ada["id"], "group": group}


TOLD = {
    "person.created": f"{PROV}:create:full",
    "person.updated": f"{PROV}:patch:full",
    "person.deactivated": f"{PROV}:deactivate",
    "group.created": f"{PROV}:create:full",
    "group.members_added": f"{PROV}:patch:full",
    "group.members_removed": f"{PROV}:patch:full",
    "group.updated": f"{PROV}:patch:full",
}


def test_scim_changes_arrive_as_sets_verified_with_the_served_jwks(company: Company) -> None:
    with receiving(default=ACCEPTED) as receiver:
        added = roster_cli(
            company.server, "events", "set-receiver", "add", company.subdomain, receiver.url,
            env={"ROSTER_PUBLIC_URL": company.server.url},
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        receiver_id = added.stdout.strip()
        start = last_seq(company)
        ids = session(company)
        every = company_events(company, after=start)
        expected = [e for e in every if e["type"] in TOLD]
        assert {e["type"] for e in every} - set(TOLD) == {"person.manager_changed"}
        done = eventually(lambda: settled(company, receiver_id, len(expected)), what="all sent")
    assert all(d.status == "delivered" and d.attempts == 1 and d.last_status == 202 for d in done)
    keys = jwks(company)
    kids = {k["kid"] for k in keys["keys"]}
    assert all("d" not in k and k["kty"] == "EC" and k["alg"] == "ES256" for k in keys["keys"])
    by_jti: dict[str, tuple[Received, dict[str, Any], dict[str, Any]]] = {}
    for request in receiver.received:
        assert request.headers["content-type"] == "application/secevent+jwt"  # RFC 8935 §2.1
        assert request.headers["accept"] == "application/json"
        header, claims = verified(request, keys)
        assert header["typ"] == "secevent+jwt" and header["alg"] == "ES256"
        assert header["kid"] in kids
        by_jti[claims["jti"]] = (request, header, claims)
    assert len(receiver.received) == len(expected) == len(by_jti)  # each once, jti unique
    assert set(by_jti) == {e["id"] for e in expected}
    for event in expected:
        _, _, claims = by_jti[event["id"]]
        assert claims["iss"] == f"{company.server.url}/companies/{company.subdomain}"
        assert claims["aud"] == receiver.url
        assert claims["toe"] == int(event["occurred_at"].timestamp())
        assert abs(claims["iat"] - time.time()) < 120
        endpoint = "Users" if event["resource_type"] == "User" else "Groups"
        assert claims["sub_id"]["format"] == "scim"
        assert claims["sub_id"]["uri"] == f"/{endpoint}/{event['resource_id']}"
        assert "sub" not in claims
        assert list(claims["events"]) == [TOLD[event["type"]]]
    # In order per resource, as webhooks.
    arrivals: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for event in expected:
        arrivals[str(event["resource_id"])].append((by_jti[event["id"]][0].number, event["seq"]))
    for pairs in arrivals.values():
        assert [seq for _, seq in sorted(pairs)] == sorted(seq for _, seq in pairs)

    def told(kind: str, resource: str) -> list[dict[str, Any]]:
        return [
            by_jti[e["id"]][2]
            for e in expected
            if e["type"] == kind and e["resource_id"] == ids[resource]
        ]

    (created,) = told("person.created", "ada")
    user = created["events"][f"{PROV}:create:full"]["data"]
    assert user["id"] == ids["ada"] and user["userName"] == "ada@acme.example"
    assert user["externalId"] == created["sub_id"]["externalId"]
    assert user["name"]["givenName"] == "Ada" and user["active"] is True
    title, manager, deactivation = told("person.updated", "ada")
    assert title["events"][f"{PROV}:patch:full"]["data"] == {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "replace", "path": "title", "value": "Lead"}],
    }
    assert manager["events"][f"{PROV}:patch:full"]["data"]["Operations"] == [
        {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": {"value": ids["boss"]}}
    ]
    (deactivated,) = told("person.deactivated", "ada")
    assert deactivated["events"] == {f"{PROV}:deactivate": {}}
    # One change, two SETs: the same txn, distinct jti; another change, another txn.
    assert deactivated["txn"] == deactivation["txn"] != manager["txn"]
    (group,) = told("group.created", "group")
    (pushed,) = told("group.members_added", "group")[:1]
    assert group["events"][f"{PROV}:create:full"]["data"]["displayName"] == "Eng"
    assert group["txn"] == pushed["txn"]  # pushed with its member: one change
    assert pushed["events"][f"{PROV}:patch:full"]["data"]["Operations"] == [
        {"op": "add", "path": "members", "value": [{"value": ids["ada"]}]}
    ]
    (removed,) = told("group.members_removed", "group")
    assert removed["events"][f"{PROV}:patch:full"]["data"]["Operations"] == [
        {"op": "remove", "path": f'members[value eq "{ids["ada"]}"]'}
    ]
    (renamed,) = told("group.updated", "group")
    assert renamed["events"][f"{PROV}:patch:full"]["data"]["Operations"] == [
        {"op": "replace", "path": "displayName", "value": "Engineering"}
    ]


def test_a_rotated_key_signs_new_sets_and_the_old_one_stays_published(company: Company) -> None:
    with receiving(default=ACCEPTED) as receiver:
        receiver_id = add_receiver(company, receiver.url, "person.created")
        create(company, okta_user("before@acme.example"))
        eventually(lambda: settled(company, receiver_id, 1), what="the first SET")
        before = jwks(company)
        old_header, _ = verified(receiver.received[0], before)
        rotated = roster_cli(
            company.server, "events", "signing-key", "rotate", "--publish-ahead", "0"
        )
        assert rotated.returncode == 0, rotated.stderr
        new_kid = rotated.stdout.strip()
        assert new_kid != old_header["kid"] and "older keys leave the JWKS at" in rotated.stderr
        after = jwks(company)
        assert {old_header["kid"], new_kid} <= {k["kid"] for k in after["keys"]}
        time.sleep(KEY_REFRESH_SECONDS + 0.5)  # the deliverer reads the key again
        create(company, okta_user("after@acme.example"))
        eventually(lambda: settled(company, receiver_id, 2), what="the second SET")
        new_header, _ = verified(receiver.received[1], jwks(company))
    assert new_header["kid"] == new_kid
    verified(receiver.received[0], after)  # a receiver with a fresh JWKS still verifies the old
    listed = roster_cli(company.server, "events", "signing-key", "list")
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[1]: line for line in listed.stdout.splitlines() if new_kid[:20] in line}
    assert rows and "signing" in next(iter(rows.values()))
    # By default a new key is published ahead of signing: the current one keeps signing.
    ahead = roster_cli(company.server, "events", "signing-key", "rotate")
    assert ahead.returncode == 0, ahead.stderr
    assert ahead.stdout.strip() in {k["kid"] for k in jwks(company)["keys"]}
    states = roster_cli(company.server, "events", "signing-key", "list").stdout
    assert any(ahead.stdout.strip()[:20] in line and "next" in line for line in states.splitlines())


def test_refusals_that_cannot_be_cured_are_dead_at_once(company: Company) -> None:
    """RFC 8935 §2.3/§2.4: a 400 with err invalid_key is not sent again; a 400 with an
    err §2.4 does not define is retried on the schedule like any failure."""
    refusal = json.dumps({"err": "invalid_key", "description": "unknown kid"}).encode()
    json_type = (("content-type", "application/json"),)
    with receiving(default=Answer(400, body=refusal, headers=json_type)) as refuses:
        refused_id = add_receiver(company, refuses.url, "person.created")
        create(company, okta_user("refused@acme.example"))
        (dead,) = eventually(lambda: settled(company, refused_id, 1), what="dead")
        time.sleep(1.5)  # longer than the whole test schedule: nothing more is sent
    assert dead.status == "dead" and dead.attempts == 1 and dead.last_status == 400
    assert dead.last_error == "refused: invalid_key (unknown kid)"
    assert len(refuses.received) == 1
    other = json.dumps({"err": "later_please"}).encode()
    with receiving(default=Answer(400, body=other, headers=json_type)) as odd:
        odd_id = add_receiver(company, odd.url, "person.created")
        create(company, okta_user("odd@acme.example"))
        (retried,) = eventually(lambda: settled(company, odd_id, 1), what="dead after retries")
    assert retried.status == "dead" and retried.attempts == len(SCHEDULE) + 1
    assert retried.last_error == "HTTP 400"
    listed = roster_cli(
        company.server, "events", "set-receiver", "deliveries", company.subdomain, refused_id,
        "--status", "dead",
    )  # fmt: skip
    assert listed.returncode == 0 and "invalid_key" in listed.stdout


def test_retries_send_the_same_jti_and_txn(company: Company) -> None:
    """500, then a timeout, then 202: three attempts of one SET, each signed afresh with
    the same jti and txn."""
    with receiving(Answer(500), Answer(delay=TIMEOUT + 0.5), ACCEPTED) as receiver:
        receiver_id = add_receiver(company, receiver.url, f"{PROV}:create:full")
        made = create(company, okta_user("retried@acme.example"))
        (done,) = eventually(lambda: settled(company, receiver_id, 1), what="delivered")
    assert done.status == "delivered" and done.attempts == 3 and done.last_status == 202
    keys = jwks(company)
    claims = [verified(r, keys)[1] for r in receiver.received]
    assert len(claims) == 3 and {c["jti"] for c in claims} == {done.event_id}
    assert len({c["txn"] for c in claims}) == 1
    assert {c["sub_id"]["uri"] for c in claims} == {f"/Users/{made['id']}"}


def test_a_held_receiver_delays_no_other_and_no_scim_request(
    company: Company, other_company: Company
) -> None:
    release = threading.Event()
    with receiving(default=Answer(hold=release)) as slow, receiving(default=ACCEPTED) as fast:
        slow_id = add_receiver(company, slow.url, "person.created")
        fast_id = add_receiver(other_company, fast.url, "person.created")
        started = time.monotonic()
        for i in range(4):
            create(company, okta_user(f"slow{i}@acme.example"))
        eventually(lambda: len(slow.received) >= 2, what="the held receiver's first")
        for i in range(3):
            create(other_company, okta_user(f"fast{i}@acme.example"))
        creating = time.monotonic() - started
        eventually(lambda: settled(other_company, fast_id, 3), what="the other company's")
        held = len(slow.received)
        release.set()
        eventually(lambda: settled(company, slow_id, 4), what="the held ones, released")
    assert held == 2  # its own places only (ROSTER_WEBHOOK_PER_ENDPOINT)
    assert creating < TIMEOUT  # SCIM writes did not wait for the held receiver
    assert len(fast.received) == 3


def test_a_failing_set_holds_back_only_its_own_resource(company: Company) -> None:
    tries: dict[str, int] = defaultdict(int)

    def choose(request: Received, _: list[Received]) -> Answer | None:
        claims = unverified(request)
        if claims["sub_id"]["uri"] != f"/Users/{first['id']}":
            return None
        tries[claims["jti"]] += 1
        return Answer(500) if sum(tries.values()) <= 2 else None

    with receiving(default=ACCEPTED, choose=choose) as receiver:
        receiver_id = add_receiver(company, receiver.url)
        first = create(company, okta_user("first@acme.example"))
        patched(company, first["id"], {"op": "replace", "value": {"title": "Second"}})
        create(company, okta_user("other@acme.example"))
        eventually(lambda: settled(company, receiver_id, 3), what="all three")
    order = [jti(r) for r in receiver.received]
    events = company_events(company)
    created, updated, other = (e["id"] for e in events[-3:])
    assert order.index(other) < order.index(updated)  # the other person went ahead
    mine = [j for j in order if j in (created, updated)]
    assert mine == [created, created, created, updated]  # in order, after two failures
