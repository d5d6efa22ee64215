"""A test identity provider that signs Okta-shaped SAML Responses with signxml (a
different XML-DSig stack from the one Roster verifies with, xmlsec), following
shared/reference/saml-sso.md §6. Nothing is mocked: Roster gets real signatures made
with real RSA keys, and each attack is a real document.

Shapes follow Okta: saml2p:/saml2: prefixes, Issuer http://www.okta.com/exk…, NameID
emailAddress, bearer SubjectConfirmation with Recipient/InResponseTo/NotOnOrAfter,
AudienceRestriction, AuthnStatement, optional AttributeStatement, enveloped RSA-SHA256
signatures with exclusive c14n and the certificate in KeyInfo."""

from __future__ import annotations

import base64
import copy
import secrets
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import CanonicalizationMethod, DigestAlgorithm, SignatureMethod, XMLSigner

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
NS = {"saml2p": SAMLP, "saml2": SAML, "ds": DS, "md": MD}
EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
UNSPECIFIED_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


def new_id() -> str:
    return "id" + secrets.token_hex(16)  # xs:ID must not start with a digit


def saml_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class KeyPair:
    key: rsa.RSAPrivateKey  # loaded once: signing with PEM bytes costs ~25 ms a call
    cert: x509.Certificate

    @property
    def cert_pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def cert_b64(self) -> str:
        der = self.cert.public_bytes(serialization.Encoding.DER)
        return base64.b64encode(der).decode()

    @property
    def fingerprint(self) -> str:
        digest = self.cert.fingerprint(hashes.SHA256()).hex().upper()
        return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def make_keypair(common_name: str) -> KeyPair:
    """RSA-2048, self-signed, ten years, as Okta's signing certificates are."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return KeyPair(key, cert)


class _Sha1Signer(XMLSigner):
    """signxml refuses SHA-1; an attacker's IdP would not."""

    def check_deprecated_methods(self) -> None:
        return None


def sign(element: etree._Element, keys: KeyPair, *, sha1: bool = False) -> etree._Element:
    """Enveloped signature over `element` (its ID), placed at the placeholder after the
    Issuer, where the SAML schema wants it."""
    if sha1:
        signer: XMLSigner = _Sha1Signer(
            signature_algorithm=SignatureMethod.RSA_SHA1,
            digest_algorithm=DigestAlgorithm.SHA1,
            c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
        )
    else:
        signer = XMLSigner(
            signature_algorithm=SignatureMethod.RSA_SHA256,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
        )
    signer.namespaces = {"ds": DS}
    issuer = element.find(f"{{{SAML}}}Issuer")
    assert issuer is not None
    placeholder = etree.Element(f"{{{DS}}}Signature", Id="placeholder", nsmap={"ds": DS})
    issuer.addnext(placeholder)
    signed: etree._Element = signer.sign(
        element, key=keys.key, cert=keys.cert_pem, reference_uri="#" + element.get("ID")
    )
    return signed


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> Any:
    prefix, local = tag.split(":")
    el = etree.SubElement(parent, f"{{{NS[prefix]}}}{local}", **attrs)
    if text is not None:
        el.text = text
    return el


@dataclass
class AuthnRequest:
    id: str
    acs_url: str
    issuer: str
    destination: str
    relay_state: str | None
    xml: etree._Element


def read_authn_request(redirect_url: str) -> AuthnRequest:
    """What an IdP reads from Roster's HTTP-Redirect: the deflated AuthnRequest."""
    query = parse_qs(urlsplit(redirect_url).query)
    raw = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15)
    doc = etree.fromstring(raw)
    issuer = doc.find(f"{{{SAML}}}Issuer")
    return AuthnRequest(
        id=doc.get("ID"),
        acs_url=doc.get("AssertionConsumerServiceURL"),
        issuer=issuer.text if issuer is not None else "",
        destination=doc.get("Destination"),
        relay_state=query.get("RelayState", [None])[0],
        xml=doc,
    )


class TestIdp:
    """One IdP app (Okta: one SAML app integration), with its signing key."""

    __test__ = False  # not a pytest class

    def __init__(self, sso_url: str | None = None, keys: KeyPair | None = None) -> None:
        ext = secrets.token_hex(8)
        self.entity_id = f"http://www.okta.com/exk{ext}"
        self.sso_url = sso_url or f"https://test-org.okta.example/app/roster/exk{ext}/sso/saml"
        self.keys = keys or make_keypair(f"idp-{ext}")

    def metadata(self, certificates: list[KeyPair] | None = None) -> str:
        """IdP metadata as Okta's "View IdP metadata" serves it."""
        root = etree.Element(f"{{{MD}}}EntityDescriptor", nsmap={"md": MD}, entityID=self.entity_id)
        idp = _sub(
            root,
            "md:IDPSSODescriptor",
            WantAuthnRequestsSigned="false",
            protocolSupportEnumeration=SAMLP,
        )
        for keys in certificates or [self.keys]:
            key_descriptor = _sub(idp, "md:KeyDescriptor", use="signing")
            info = etree.SubElement(key_descriptor, f"{{{DS}}}KeyInfo", nsmap={"ds": DS})
            data = etree.SubElement(info, f"{{{DS}}}X509Data")
            etree.SubElement(data, f"{{{DS}}}X509Certificate").text = keys.cert_b64
        _sub(idp, "md:NameIDFormat", EMAIL_FORMAT)
        _sub(idp, "md:NameIDFormat", UNSPECIFIED_FORMAT)
        _sub(idp, "md:SingleSignOnService", Binding=POST, Location=self.sso_url)
        _sub(idp, "md:SingleSignOnService", Binding=REDIRECT, Location=self.sso_url)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode()

    def assertion(
        self,
        *,
        acs_url: str,
        audience: str,
        nameid: str,
        nameid_format: str = EMAIL_FORMAT,
        in_response_to: str | None = None,
        recipient: str | None = None,
        issuer: str | None = None,
        attributes: dict[str, list[str]] | None = None,
        not_before: datetime | None = None,
        not_on_or_after: datetime | None = None,
        assertion_id: str | None = None,
    ) -> etree._Element:
        now = datetime.now(UTC)
        not_before = not_before or now - timedelta(minutes=5)
        not_on_or_after = not_on_or_after or now + timedelta(minutes=5)
        assertion = etree.Element(
            f"{{{SAML}}}Assertion",
            nsmap={"saml2": SAML},
            ID=assertion_id or new_id(),
            IssueInstant=saml_time(now),
            Version="2.0",
        )
        _sub(
            assertion,
            "saml2:Issuer",
            issuer or self.entity_id,
            Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity",
        )
        subject = _sub(assertion, "saml2:Subject")
        _sub(subject, "saml2:NameID", nameid, Format=nameid_format)
        confirmation = _sub(subject, "saml2:SubjectConfirmation", Method=BEARER)
        data = {"NotOnOrAfter": saml_time(not_on_or_after), "Recipient": recipient or acs_url}
        if in_response_to:
            data["InResponseTo"] = in_response_to
        _sub(confirmation, "saml2:SubjectConfirmationData", **data)
        conditions = _sub(
            assertion,
            "saml2:Conditions",
            NotBefore=saml_time(not_before),
            NotOnOrAfter=saml_time(not_on_or_after),
        )
        restriction = _sub(conditions, "saml2:AudienceRestriction")
        _sub(restriction, "saml2:Audience", audience)
        authn = _sub(
            assertion, "saml2:AuthnStatement", AuthnInstant=saml_time(now), SessionIndex=new_id()
        )
        context = _sub(authn, "saml2:AuthnContext")
        _sub(
            context,
            "saml2:AuthnContextClassRef",
            "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
        )
        if attributes:  # an empty AttributeStatement is schema-invalid; Okta omits it
            statement = _sub(assertion, "saml2:AttributeStatement")
            for name, values in attributes.items():
                attribute = _sub(
                    statement,
                    "saml2:Attribute",
                    Name=name,
                    NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified",
                )
                for value in values:
                    _sub(attribute, "saml2:AttributeValue", value)
        return assertion

    def response(
        self,
        *,
        acs_url: str,
        audience: str,
        nameid: str,
        in_response_to: str | None = None,
        destination: str | None = None,
        issuer: str | None = None,
        sign_assertion: bool = True,
        sign_response: bool = True,
        signer: KeyPair | None = None,
        sha1: bool = False,
        assertion: etree._Element | None = None,
        **assertion_options: Any,
    ) -> etree._Element:
        """A Response as Okta sends it: by default both the Response and the Assertion
        signed (Okta's defaults)."""
        keys = signer or self.keys
        if assertion is None:
            assertion = self.assertion(
                acs_url=acs_url,
                audience=audience,
                nameid=nameid,
                in_response_to=in_response_to,
                issuer=issuer,
                **assertion_options,
            )
        if sign_assertion:
            assertion = sign(copy.deepcopy(assertion), keys, sha1=sha1)
        attrs = {
            "Destination": destination if destination is not None else acs_url,
            "ID": new_id(),
            "IssueInstant": saml_time(datetime.now(UTC)),
            "Version": "2.0",
        }
        if in_response_to:
            attrs["InResponseTo"] = in_response_to
        response = etree.Element(f"{{{SAMLP}}}Response", nsmap={"saml2p": SAMLP}, **attrs)
        _sub(
            response,
            "saml2:Issuer",
            issuer or self.entity_id,
            Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity",
        )
        status = _sub(response, "saml2p:Status")
        _sub(status, "saml2p:StatusCode", Value="urn:oasis:names:tc:SAML:2.0:status:Success")
        response.append(assertion)
        if sign_response:
            response = sign(response, keys, sha1=sha1)
        return response


def encode(document: etree._Element | bytes) -> str:
    """The SAMLResponse form value (HTTP-POST binding)."""
    raw = document if isinstance(document, bytes) else etree.tostring(document)
    return base64.b64encode(raw).decode()


def reparse(document: etree._Element) -> etree._Element:
    """A fresh tree to tamper with (what an attacker receives and edits)."""
    return etree.fromstring(etree.tostring(document))
