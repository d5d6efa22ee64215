"""What a delivery sends and when it is tried again, without a network: the signature
is the one the Standard Webhooks reference library computes and accepts (both during a
rotation), the body has the documented shape, the default schedule spans about three
days, and a delivery dies after the schedule's last step."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from roster.config import SettingError, Settings
from roster.delivery.deliverer import Deliverer
from roster.delivery.messages import body_of, headers_for, sign
from roster.delivery.sending import LONGEST_ASKED_PAUSE, Attempt, asked_pause
from roster.directory.webhooks import new_secret
from roster.store.db import Database

EVENT = {
    "id": "0190f3b2-0000-7000-8000-000000000001",
    "seq": 42,
    "type": "person.updated",
    "occurred_at": datetime(2026, 12, 2, 9, 30, tzinfo=UTC),
    "actor": "token:abc",
    "resource_type": "User",
    "resource_id": "p1",
    "data": {
        "object": {"id": "p1", "title": "Lead"},
        "changes": {"title": {"old": None, "new": "Lead"}},
    },
}


def test_the_signature_is_the_reference_librarys() -> None:
    secret = new_secret()
    body = body_of(EVENT, "acme")
    stamp = int(time.time())
    expected = Webhook(secret).sign(EVENT["id"], datetime.fromtimestamp(stamp, UTC), body.decode())
    assert sign(secret, EVENT["id"], stamp, body) == expected
    headers = headers_for([secret], EVENT["id"], stamp, body)
    assert Webhook(secret).verify(body, headers) == json.loads(body)


def test_during_a_rotation_either_secret_verifies_and_no_other() -> None:
    new, old, stranger = new_secret(), new_secret(), new_secret()
    body = body_of(EVENT, "acme")
    headers = headers_for([new, old], EVENT["id"], int(time.time()), body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (new, old):
        assert Webhook(secret).verify(body, headers)["id"] == EVENT["id"]
    with pytest.raises(WebhookVerificationError):
        Webhook(stranger).verify(body, headers)
    tampered = body.replace(b"Lead", b"Boss")
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(tampered, headers)


def test_the_body_has_the_documented_shape() -> None:
    body = json.loads(body_of(EVENT, "acme"))
    assert body == {
        "id": EVENT["id"],
        "type": "person.updated",
        "company": "acme",
        "sequence": 42,
        "occurred_at": "2026-12-02T09:30:00+00:00",
        "actor": "token:abc",
        "resource": {"type": "User", "id": "p1"},
        "data": EVENT["data"],
    }


def test_secrets_are_standard_webhooks_secrets() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_") and len(secret) <= 100  # webhook_endpoints.secret
    assert len(Webhook(secret)._whsecret) == 32  # 256 bits
    assert secret != new_secret()


def test_the_default_schedule_retries_for_about_three_days() -> None:
    delays = Settings().retry_delays()
    assert delays[0] == 5 and len(delays) == 11
    assert 2.9 * 86400 <= sum(delays) <= 3 * 86400  # then dead, 3 days after the event


@pytest.mark.parametrize("text", ["", "5,,30", "five", "-1", "5,30,99999999"])
def test_a_bad_schedule_is_named_with_its_fix(text: str) -> None:
    with pytest.raises(SettingError) as bad:
        Settings(webhook_retry_schedule=text).retry_delays()
    assert str(bad.value).startswith(f"ROSTER_WEBHOOK_RETRY_SCHEDULE={text!r}: write")


def test_a_delivery_dies_after_the_schedules_last_step() -> None:
    deliverer = Deliverer(Database("sqlite:///unused.db"), Settings(webhook_retry_schedule="10,60"))
    failed = Attempt(500, "HTTP 500", "no")
    before = datetime.now(UTC)
    first, second, third = (deliverer.outcome_of(made, failed) for made in (0, 1, 2))
    assert first.next_attempt_at is not None and second.next_attempt_at is not None
    # ±20% jitter around each step.
    assert 8 <= (first.next_attempt_at - before).total_seconds() <= 12.5
    assert 48 <= (second.next_attempt_at - before).total_seconds() <= 72.5
    assert third.next_attempt_at is None and not third.delivered  # dead
    ok = deliverer.outcome_of(2, Attempt(204, None, ""))
    assert ok.delivered and ok.status == 204
    redirect = deliverer.outcome_of(0, Attempt(302, "HTTP 302", ""))
    assert not redirect.delivered and redirect.next_attempt_at is not None


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("Wed, 02 Dec 2026 10:01:30 GMT", 90.0),  # IMF-fixdate, RFC 9110 §5.6.7
        ("Wednesday, 02-Dec-26 10:01:30 GMT", 90.0),  # the obsolete RFC 850 form
        ("Wed, 02 Dec 2026 09:00:00 GMT", 0.0),  # in the past: now
        ("99999999", LONGEST_ASKED_PAUSE),
        ("soon", None),
        ("\u00b2", None),  # a digit to str.isdigit, not to RFC 9110 (DIGIT is ASCII)
        ("-5", None),
        (None, None),
    ],
)
def test_retry_after_is_read_as_rfc_9110_writes_it(
    header: str | None, seconds: float | None
) -> None:
    now = datetime(2026, 12, 2, 10, 0, 0, tzinfo=UTC)
    assert asked_pause(header, now) == seconds


def test_an_asked_pause_lengthens_a_retry_but_never_shortens_one() -> None:
    deliverer = Deliverer(Database("sqlite:///unused.db"), Settings(webhook_retry_schedule="10,60"))
    before = datetime.now(UTC)
    longer = deliverer.outcome_of(0, Attempt(429, "HTTP 429", "", retry_after=300.0))
    shorter = deliverer.outcome_of(0, Attempt(503, "HTTP 503", "", retry_after=1.0))
    last = deliverer.outcome_of(2, Attempt(503, "HTTP 503", "", retry_after=1.0))
    assert longer.next_attempt_at is not None and shorter.next_attempt_at is not None
    assert 299 <= (longer.next_attempt_at - before).total_seconds() <= 301
    assert 8 <= (shorter.next_attempt_at - before).total_seconds() <= 12.5
    assert last.next_attempt_at is None  # the schedule's end is still the end
