"""One Security Event Token attempt's request and how its answer is read, per RFC 8935
("Push-Based SET Delivery Using HTTP"):

- §2.1: POST the SET itself as the body, `Content-Type: application/secevent+jwt`,
  `Accept: application/json`, and the receiver's Authorization header if it gave one
  (§3 leaves authentication to HTTP's own schemes).
- §2.2: the receiver accepts with 202 (any 2xx is taken as accepted, as for webhooks).
- §2.3, §2.4: a SET it refuses gets 400 with a JSON body {"err": ..., "description":
  ...}. The error codes of §2.4 (invalid_request, invalid_key, invalid_issuer,
  invalid_audience, authentication_failed, access_denied) say that sending the same
  SET again cannot succeed (§4: "a retry is extremely unlikely to be successful"), so
  such a delivery is dead at once, its err and description recorded. Any other
  failure (another status, a 400 without one of those codes, a timeout) is retried on
  the webhook schedule.

The signing key is read from the database at most every KEY_REFRESH_SECONDS per
deliverer, so a rotation made elsewhere (`roster events signing-key rotate`) signs
here within seconds of its time.
"""

from __future__ import annotations

import json
import time
from datetime import datetime

from roster import __version__
from roster.delivery import security_events
from roster.delivery.sending import Attempt
from roster.directory import signing_keys
from roster.directory.sealing import Sealer
from roster.directory.set_receivers import authorization_context
from roster.directory.signing_keys import SigningKey
from roster.model.registry import UserSchemas
from roster.store.db import Database
from roster.store.deliveries import Claim

USER_AGENT = f"Roster-SET/{__version__}"
KEY_REFRESH_SECONDS = 2.0
NOT_RETRIED = frozenset(
    {
        "invalid_request",
        "invalid_key",
        "invalid_issuer",
        "invalid_audience",
        "authentication_failed",
        "access_denied",
    }
)


class SetPush:
    def __init__(self, db: Database, sealer: Sealer, company_urn: str) -> None:
        self.db = db
        self.sealer = sealer
        self.schemas = UserSchemas(company_urn)
        self._key: SigningKey | None = None
        self._key_read_at = float("-inf")

    async def key(self) -> SigningKey:
        if self._key is None or time.monotonic() - self._key_read_at > KEY_REFRESH_SECONDS:
            self._key = await signing_keys.current(self.db, self.sealer)
            self._key_read_at = time.monotonic()
        return self._key

    async def request(self, c: Claim, now: datetime) -> tuple[bytes, dict[str, str]]:
        """The body and headers of the attempt (security_events.NothingToTell: the
        event has no SET)."""
        assert c.event is not None and c.issuer is not None and c.audience is not None
        claims = security_events.claims_of(
            c.event,
            company=c.company,
            issuer=c.issuer,
            audience=c.audience,
            schemas=self.schemas,
            now=now,
        )
        token = security_events.sign(claims, await self.key())
        headers = {
            "content-type": security_events.MEDIA_TYPE,
            "accept": "application/json",
            "user-agent": USER_AGENT,
        }
        if c.authorization:
            opened = self.sealer.unseal(c.authorization, authorization_context(c.endpoint_id))
            headers["authorization"] = opened.decode()
        return token.encode(), headers


def refusal(attempt: Attempt) -> str | None:
    """The receiver's RFC 8935 §2.3 refusal that a retry cannot cure, as the delivery's
    error ("refused: invalid_key (the description)"); None for any other answer."""
    if attempt.status != 400 or not attempt.response:
        return None
    try:
        answer = json.loads(attempt.response)
    except ValueError:
        return None
    if not isinstance(answer, dict) or answer.get("err") not in NOT_RETRIED:
        return None
    description = answer.get("description")
    said = f" ({description})" if isinstance(description, str) and description else ""
    return f"refused: {answer['err']}{said}"
