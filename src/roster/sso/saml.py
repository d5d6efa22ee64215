"""python3-saml, configured for one company, plus the checks the library leaves to the
application (reference: shared/reference/saml-sso.md §3 and §5):

- Recipient and Destination must EQUAL our ACS URL (the library tests a substring /
  a prefix);
- InResponseTo is compared here against the browser's outstanding requests (the
  library compares it only when given one request id);
- replay is the caller's job (sso/replay.py).

Every refusal is a SamlRefused with a short reason code (a metric label) and the
detail for the log line; the browser only ever sees a generic page."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from onelogin.saml2.auth import OneLogin_Saml2_Auth  # type: ignore[import-untyped]
from onelogin.saml2.constants import OneLogin_Saml2_Constants  # type: ignore[import-untyped]
from onelogin.saml2.errors import (  # type: ignore[import-untyped]
    OneLogin_Saml2_ValidationError,
)
from onelogin.saml2.response import OneLogin_Saml2_Response  # type: ignore[import-untyped]
from onelogin.saml2.settings import OneLogin_Saml2_Settings  # type: ignore[import-untyped]
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML  # type: ignore[import-untyped]

from roster.directory.sso import SsoSettings
from roster.store.types import utcnow

NAMEID_FORMATS = {
    "email": OneLogin_Saml2_Constants.NAMEID_EMAIL_ADDRESS,
    "employee_number": OneLogin_Saml2_Constants.NAMEID_UNSPECIFIED,
}
# How long an assertion id is remembered past its NotOnOrAfter: the library allows
# this much clock drift on Conditions.
REPLAY_MARGIN = timedelta(minutes=5)
# Assertions without a SubjectConfirmationData NotOnOrAfter are remembered this long.
REPLAY_DEFAULT = timedelta(hours=24)

V = OneLogin_Saml2_ValidationError
_REASONS: dict[int, str] = {
    V.STATUS_CODE_IS_NOT_SUCCESS: "idp_status",
    V.WRONG_NUMBER_OF_ASSERTIONS: "assertion_count",
    V.WRONG_SIGNED_ELEMENT: "signature",
    V.ID_NOT_FOUND_IN_SIGNED_ELEMENT: "signature",
    V.DUPLICATED_ID_IN_SIGNED_ELEMENTS: "signature",
    V.INVALID_SIGNED_ELEMENT: "signature",
    V.DUPLICATED_REFERENCE_IN_SIGNED_ELEMENTS: "signature",
    V.UNEXPECTED_SIGNED_ELEMENTS: "signature",
    V.WRONG_NUMBER_OF_SIGNATURES_IN_RESPONSE: "signature",
    V.WRONG_NUMBER_OF_SIGNATURES_IN_ASSERTION: "signature",
    V.WRONG_NUMBER_OF_SIGNATURES: "signature",
    V.INVALID_SIGNATURE: "signature",
    V.NO_SIGNED_ASSERTION: "unsigned",
    V.NO_SIGNATURE_FOUND: "unsigned",
    V.NO_SIGNED_MESSAGE: "unsigned",
    V.DEPRECATED_SIGNATURE_METHOD: "algorithm",
    V.DEPRECATED_DIGEST_METHOD: "algorithm",
    V.WRONG_INRESPONSETO: "in_response_to",
    V.ASSERTION_TOO_EARLY: "not_yet_valid",
    V.ASSERTION_EXPIRED: "expired",
    V.SESSION_EXPIRED: "expired",
    V.RESPONSE_EXPIRED: "expired",
    V.WRONG_DESTINATION: "destination",
    V.EMPTY_DESTINATION: "destination",
    V.WRONG_AUDIENCE: "audience",
    V.ISSUER_MULTIPLE_IN_RESPONSE: "issuer",
    V.ISSUER_NOT_FOUND_IN_ASSERTION: "issuer",
    V.WRONG_ISSUER: "issuer",
    V.WRONG_SUBJECTCONFIRMATION: "subject_confirmation",
    V.NO_NAMEID: "no_nameid",
    V.EMPTY_NAMEID: "no_nameid",
}

_BEARER_DATA = (
    "/samlp:Response/saml:Assertion/saml:Subject/saml:SubjectConfirmation"
    f"[@Method='{OneLogin_Saml2_Constants.CM_BEARER}']/saml:SubjectConfirmationData"
)


class SamlRefused(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class SpUrls:
    """Roster's SP endpoints for one company; the entity id is the metadata URL."""

    metadata: str
    login: str
    acs: str

    @classmethod
    def for_company(cls, base_url: str, subdomain: str) -> SpUrls:
        root = f"{base_url.rstrip('/')}/saml2/{subdomain}"
        return cls(metadata=f"{root}/metadata", login=f"{root}/login", acs=f"{root}/acs")

    @property
    def entity_id(self) -> str:
        return self.metadata


@dataclass(frozen=True)
class VerifiedAssertion:
    assertion_id: str
    nameid: str
    nameid_format: str | None
    attributes: dict[str, list[str]]
    in_response_to: str | None
    remember_until: datetime
    issuer: str
    signed_parts: tuple[str, ...] = field(default=())


def settings_dict(urls: SpUrls, sso: SsoSettings | None) -> dict[str, Any]:
    """python3-saml settings. Security choices, each deliberate (reference §5, §8):
    assertions must be signed (the whole Response may be, as Okta does by default),
    SHA-1 is refused, no AttributeStatement is required (Okta sends none unless the
    admin adds some), no AuthnContext is requested (Okta MFA and passwordless)."""
    settings: dict[str, Any] = {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": urls.entity_id,
            "assertionConsumerService": {
                "url": urls.acs,
                "binding": OneLogin_Saml2_Constants.BINDING_HTTP_POST,
            },
            "NameIDFormat": NAMEID_FORMATS[sso.nameid if sso else "email"],
        },
        "security": {
            "authnRequestsSigned": False,
            "wantMessagesSigned": False,
            "wantAssertionsSigned": True,
            "wantAssertionsEncrypted": False,
            "wantNameId": True,
            "wantNameIdEncrypted": False,
            "wantAttributeStatement": False,
            "requestedAuthnContext": False,
            "rejectDeprecatedAlgorithm": True,
            "signMetadata": False,
            "allowSingleLabelDomains": True,  # http://localhost:8000 in development
        },
    }
    if sso is not None and sso.configured:
        certificates = list(sso.idp_certificates)
        settings["idp"] = {
            "entityId": sso.idp_entity_id,
            "singleSignOnService": {
                "url": sso.idp_sso_url,
                "binding": OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT,
            },
            "x509cert": certificates[0],
            # Every trusted certificate verifies: the old and the new during a rollover.
            "x509certMulti": {"signing": certificates},
        }
    return settings


def request_data(url: str, *, get: dict[str, str] | None = None, post: Any = None) -> Any:
    """The request as python3-saml sees it, built from OUR public URL (not the Host
    header or the scheme uvicorn saw behind a TLS proxy: reference §8.3)."""
    parts = urlsplit(url)
    return {
        "https": "on" if parts.scheme == "https" else "off",
        "http_host": parts.netloc,
        "script_name": parts.path,
        "get_data": get or {},
        "post_data": post or {},
    }


def sp_metadata(urls: SpUrls, sso: SsoSettings | None) -> str:
    settings = OneLogin_Saml2_Settings(settings_dict(urls, sso), sp_validation_only=True)
    metadata: str | bytes = settings.get_sp_metadata()
    errors = settings.validate_metadata(metadata)
    if errors:
        raise RuntimeError(f"SP metadata is invalid: {errors}")
    return metadata.decode() if isinstance(metadata, bytes) else metadata


def authn_request(urls: SpUrls, sso: SsoSettings, relay_state: str) -> tuple[str, str]:
    """(IdP URL carrying the deflated AuthnRequest, its ID). No NameIDPolicy is sent:
    the IdP answers in the format its app is set up with."""
    auth = OneLogin_Saml2_Auth(request_data(urls.login), settings_dict(urls, sso))
    url: str = auth.login(return_to=relay_state, set_nameid_policy=False)
    return url, str(auth.get_last_request_id())


def _attributes(response: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, values in (response.get_attributes() or {}).items():
        out[str(name)] = [v for v in values if isinstance(v, str)]
    return out


def verify_response(
    urls: SpUrls, sso: SsoSettings, saml_response: str, pending: list[str]
) -> VerifiedAssertion:
    """A Response the company's IdP signed for us, now, for one of this browser's
    requests (or unsolicited, for the caller to allow or not); SamlRefused otherwise."""
    if not saml_response or len(saml_response) > 512 * 1024:
        raise SamlRefused("malformed", "no SAMLResponse in the POST (or too large)")
    settings = OneLogin_Saml2_Settings(settings_dict(urls, sso))
    try:
        response = OneLogin_Saml2_Response(settings, saml_response)
    except Exception as exc:  # not base64, not XML, a DTD or entities, encrypted
        raise SamlRefused("malformed", f"unreadable SAMLResponse: {exc}") from None
    try:
        response.is_valid(request_data(urls.acs), None, raise_exceptions=True)
        nameid: str | None = response.get_nameid()
        nameid_format: str | None = response.get_nameid_format()
        attributes = _attributes(response)
        assertion_id = response.get_assertion_id()
        not_on_or_after = response.get_assertion_not_on_or_after()
        response_irt = response.get_in_response_to()
        issuers = response.get_issuers()
    except OneLogin_Saml2_ValidationError as exc:
        raise SamlRefused(_REASONS.get(exc.code, "malformed"), str(exc)) from None
    except Exception as exc:
        raise SamlRefused("malformed", f"{type(exc).__name__}: {exc}") from None

    document = response.document
    destination = document.get("Destination")
    if destination is not None and destination != urls.acs:
        raise SamlRefused("destination", f"Destination {destination!r} is not {urls.acs!r}")
    confirmations = OneLogin_Saml2_XML.query(document, _BEARER_DATA)
    recipients = [c.get("Recipient") for c in confirmations]
    if not recipients or any(r != urls.acs for r in recipients):
        raise SamlRefused("recipient", f"Recipient {recipients!r} is not exactly {urls.acs!r}")
    assertion_irts = {c.get("InResponseTo") for c in confirmations} - {None}
    if len(assertion_irts) > 1 or (response_irt and assertion_irts - {response_irt}):
        raise SamlRefused("in_response_to", "InResponseTo differs inside the response")
    in_response_to = response_irt or next(iter(assertion_irts), None)
    if in_response_to is not None and in_response_to not in pending:
        raise SamlRefused(
            "in_response_to",
            f"InResponseTo {in_response_to!r} is not a request this browser has outstanding",
        )
    if not nameid or not nameid.strip():
        raise SamlRefused("no_nameid", "the assertion has no NameID")
    if not assertion_id:
        raise SamlRefused("malformed", "the assertion has no ID")
    if not_on_or_after:
        remember_until = datetime.fromtimestamp(not_on_or_after, UTC) + REPLAY_MARGIN
    else:
        remember_until = utcnow() + REPLAY_DEFAULT
    signed = tuple(
        part
        for part, xpath in (
            ("response", "/samlp:Response/ds:Signature"),
            ("assertion", "/samlp:Response/saml:Assertion/ds:Signature"),
        )
        if OneLogin_Saml2_XML.query(document, xpath)
    )
    return VerifiedAssertion(
        assertion_id=str(assertion_id),
        nameid=nameid.strip(),
        nameid_format=nameid_format,
        attributes=attributes,
        in_response_to=in_response_to,
        remember_until=remember_until,
        issuer=str(issuers[0]) if issuers else "",
        signed_parts=signed,
    )


def replay_key(kind: str, value: str) -> str:
    """A saml_replay key: readable when short, hashed when an IdP's id is very long."""
    key = f"{kind}:{value}"
    if len(key) <= 190:
        return key
    return f"{kind}#{hashlib.sha256(value.encode()).hexdigest()}"
