"""SAML endpoints per company, stable from now on (admins paste them into their IdP):

    GET  /saml2/{subdomain}/metadata   SP metadata; its URL is the SP entity id
    GET  /saml2/{subdomain}/login      SP-initiated sign-in (AuthnRequest, HTTP-Redirect)
    POST /saml2/{subdomain}/acs        assertion consumer service (HTTP-POST)
    GET  /me                           who is signed in

ACS order (reference saml-sso.md §5): python3-saml validates (signature with the
company's certificates only, one assertion, times, audience, issuer, destination
prefix), then here: exact Recipient and Destination, InResponseTo against this
browser's signed cookie, one-shot request id, assertion replay cache, the person
rules (directory/sso_signin.py), a brand-new session.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI
from prometheus_client import Counter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from roster import inputs
from roster.directory import sessions, tenancy
from roster.directory.sso import SsoSettings, get_settings
from roster.directory.sso_signin import SignInRefused, subject_for
from roster.directory.tenants import is_subdomain
from roster.logging import get_logger
from roster.services import services
from roster.sso import pages
from roster.sso.cookies import REQUEST_COOKIE, REQUEST_MAX_AGE, RequestCookie
from roster.sso.keys import secret_key
from roster.sso.replay import ReplayCache, ReplayCacheUnavailable, make_replay_cache
from roster.sso.saml import (
    SamlRefused,
    SpUrls,
    authn_request,
    replay_key,
    sp_metadata,
    verify_response,
)
from roster.store.tenants import Tenant
from roster.store.types import utcnow

log = get_logger("roster.sso")

SIGN_INS = Counter(
    "roster_sso_signins_total", "SAML sign-ins by outcome and reason", ["outcome", "reason"]
)
DEFAULT_LANDING = "/me"


@dataclass(frozen=True)
class SamlServices:
    """What only the SAML routes need: the request cookie's key, the replay cache."""

    request_cookie: RequestCookie
    replay: ReplayCache


@asynccontextmanager
async def saml_services(app: FastAPI) -> AsyncIterator[None]:
    """The SAML routes' services while the app runs; entered by the app's one lifespan
    (app.py), after the database is open."""
    running = app.state.services
    cache = make_replay_cache(running.settings.redis_url, running.db)
    app.state.saml = SamlServices(RequestCookie(secret_key(running.settings)), cache)
    try:
        yield
    finally:
        await cache.close()


def _saml(request: Request) -> SamlServices:
    found: SamlServices = request.app.state.saml
    return found


router = APIRouter(include_in_schema=False)


def _base_url(request: Request) -> str:
    settings = services(request).settings
    if settings.public_url:
        return settings.public_url.rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}"


def _request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", "") or "-")


# A company name in an SSO address was pasted into the IdP by an admin: the fix is
# theirs to make.
_SSO_ADDRESS_FIX = (
    "ask your company's Roster administrator to check the single sign-on address in "
    "your identity provider"
)


def _bad_address(request: Request) -> Response | None:
    """The refusal page for an SSO address Roster could never have issued (a NUL or
    control character, an absurd length), before anything is looked up."""
    try:
        for key, value in request.path_params.items():
            inputs.text(
                str(value),
                inputs.PATH_LABELS.get(key, "address"),
                max_length=200,
                fix=_SSO_ADDRESS_FIX,
            )
        inputs.check_query(request.query_params.multi_items())
    except inputs.InvalidInput as exc:
        log.warning("sso address refused", request_id=_request_id(request), detail=exc.message)
        return pages.bad_address(exc.message)
    return None


async def _company(request: Request, subdomain: str) -> tuple[Tenant, SsoSettings] | None:
    db = services(request).db
    tenant = await tenancy.by_address(db, subdomain)
    if tenant is None:
        return None
    request.state.tenant = tenant.subdomain
    return tenant, await get_settings(db, tenant)


def local_path(target: str | None) -> str:
    """RelayState and `next` may only lead somewhere in Roster: "/x", never "//host",
    "/\\host" or "https://..."."""
    if not target or len(target) > 2000 or not target.startswith("/"):
        return DEFAULT_LANDING
    if target.startswith(("//", "/\\")) or any(c in target for c in "\\\r\n\t"):
        return DEFAULT_LANDING
    if urlsplit(target).netloc:
        return DEFAULT_LANDING
    return target


def _request_cookie_path(urls: SpUrls) -> str:
    """/saml2/SUBDOMAIN: sent to this company's login (to keep other tabs' requests)
    and ACS, nowhere else."""
    return urlsplit(urls.acs).path.rsplit("/", 1)[0]


def _secure(urls: SpUrls) -> bool:
    return urls.acs.startswith("https://")


def _refuse(request: Request, subdomain: str, reason: str, detail: str) -> Response:
    SIGN_INS.labels("refused", reason).inc()
    log.warning(
        "sso sign-in refused",
        request_id=_request_id(request),
        tenant=subdomain,
        reason=reason,
        detail=detail,
        client=request.client.host if request.client else None,
    )
    return pages.sign_in_failed(_request_id(request))


@router.get("/saml2/{subdomain}/metadata")
async def metadata(request: Request, subdomain: str) -> Response:
    """Roster's SP metadata. A company without SSO configured and a company that does
    not exist get the same answer, built from the address alone and the defaults, so
    the endpoint tells nobody which companies exist; an admin can still fetch it before
    configuring the IdP."""
    if (bad := _bad_address(request)) is not None:
        return bad
    name = subdomain.lower()
    if not is_subdomain(name):
        return pages.sso_unavailable()  # no company can have it: nothing to tell
    found = await _company(request, subdomain)
    sso = found[1] if found is not None and found[1].configured else None
    urls = SpUrls.for_company(_base_url(request), name)
    return Response(
        sp_metadata(urls, sso),
        media_type="application/samlmetadata+xml",
        headers={"Content-Disposition": f'inline; filename="roster-{name}.xml"'},
    )


@router.get("/saml2/{subdomain}/login")
async def login(request: Request, subdomain: str, next: str | None = None) -> Response:
    if (bad := _bad_address(request)) is not None:
        return bad
    found = await _company(request, subdomain)
    if found is None or not found[1].enabled or not found[1].configured:
        return pages.sso_unavailable()
    tenant, sso = found
    urls = SpUrls.for_company(_base_url(request), tenant.subdomain)
    idp_url, request_id = authn_request(urls, sso, local_path(next))
    cookie = _saml(request).request_cookie
    value = cookie.add(request.cookies.get(REQUEST_COOKIE), tenant.id, request_id)
    response = RedirectResponse(idp_url, status_code=302, headers={"Cache-Control": "no-store"})
    # Secure and SameSite=None always: the IdP's POST back is cross-site (reference §5).
    response.set_cookie(
        REQUEST_COOKIE,
        value,
        max_age=REQUEST_MAX_AGE,
        path=_request_cookie_path(urls),
        secure=True,
        httponly=True,
        samesite="none",
    )
    log.info("sso sign-in started", tenant=tenant.subdomain, saml_request=request_id)
    return response


@router.post("/saml2/{subdomain}/acs")
async def acs(request: Request, subdomain: str) -> Response:
    if (bad := _bad_address(request)) is not None:
        SIGN_INS.labels("refused", "bad_address").inc()
        return bad
    found = await _company(request, subdomain)
    if found is None:
        return _refuse(request, subdomain, "unknown_company", "no such company")
    tenant, sso = found
    if not sso.enabled or not sso.configured:
        return _refuse(request, tenant.subdomain, "not_enabled", "SSO is off for the company")
    settings = services(request).settings
    urls = SpUrls.for_company(_base_url(request), tenant.subdomain)
    try:
        form = await request.form()
    except Exception as exc:
        return _refuse(request, tenant.subdomain, "malformed", f"unreadable form: {exc}")
    saml_response = form.get("SAMLResponse")
    relay_state = form.get("RelayState")
    cookie = _saml(request).request_cookie
    pending = cookie.request_ids(request.cookies.get(REQUEST_COOKIE), tenant.id)
    replay = _saml(request).replay
    try:
        assertion = verify_response(
            urls, sso, saml_response if isinstance(saml_response, str) else "", pending
        )
        if assertion.in_response_to is None and not sso.allow_idp_initiated:
            raise SamlRefused("unsolicited", "IdP-initiated sign-in is not allowed")
        if assertion.in_response_to is not None and not await replay.first_use(
            tenant.id,
            replay_key("r", assertion.in_response_to),
            utcnow() + timedelta(seconds=REQUEST_MAX_AGE),
        ):
            raise SamlRefused("replay", f"request {assertion.in_response_to} already answered")
        if not await replay.first_use(
            tenant.id, replay_key("a", assertion.assertion_id), assertion.remember_until
        ):
            raise SamlRefused("replay", f"assertion {assertion.assertion_id} already used")
        subject = await subject_for(
            services(request).db,
            tenant,
            sso,
            nameid=assertion.nameid,
            attributes=assertion.attributes,
            request_id=_request_id(request),
        )
    except (SamlRefused, SignInRefused) as refused:
        return _refuse(request, tenant.subdomain, refused.reason, refused.detail)
    except ReplayCacheUnavailable as exc:
        return _refuse(request, tenant.subdomain, "replay_cache_unavailable", str(exc))

    db = services(request).db
    # A fresh session at every sign-in, and the one this browser had is ended: a
    # session id planted before sign-in is worth nothing after it (fixation).
    await sessions.end_session(db, request.cookies.get(sessions.COOKIE_NAME))
    value, session = await sessions.start_session(
        db, tenant.id, subject.subject_type, subject.subject_id
    )
    SIGN_INS.labels("signed_in", "idp" if assertion.in_response_to is None else "sp").inc()
    log.info(
        "sso sign-in",
        request_id=_request_id(request),
        tenant=tenant.subdomain,
        subject_type=subject.subject_type,
        subject_id=subject.subject_id,
        person_id=subject.person_id,
        created=subject.created,
        idp_initiated=assertion.in_response_to is None,
    )
    target = local_path(relay_state if isinstance(relay_state, str) else None)
    response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
    secure = settings.cookie_secure or _secure(urls)
    set_session_cookie(response, value, secure=secure, max_age=session_max_age(session))
    response.delete_cookie(
        REQUEST_COOKIE, path=_request_cookie_path(urls), secure=True, httponly=True, samesite="none"
    )
    return response


def session_max_age(session: sessions.Session) -> int:
    return max(0, int((session.expires_at - utcnow()).total_seconds()))


def set_session_cookie(response: Response, value: str, *, secure: bool, max_age: int) -> None:
    # Lax: it is set on the ACS response and then sent on same-site navigations only.
    response.set_cookie(
        sessions.COOKIE_NAME,
        value,
        max_age=max_age,
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )


@router.get("/me")
async def me(request: Request) -> Response:
    db = services(request).db
    session = await sessions.load_session(db, request.cookies.get(sessions.COOKIE_NAME))
    who = await tenancy.signed_in_as(db, session) if session else None
    if session is None or who is None:
        return pages.signed_out()
    return pages.signed_in(who.email, console=who.is_console_user, csrf_token=session.csrf_token)


@router.post("/me/sign-out")
async def sign_out(request: Request) -> Response:
    db = services(request).db
    cookie = request.cookies.get(sessions.COOKIE_NAME)
    session = await sessions.load_session(db, cookie)
    form: Any = await request.form()
    response = RedirectResponse(DEFAULT_LANDING, status_code=303)
    if session is not None and sessions.csrf_ok(session, form.get("csrf_token")):
        await sessions.end_session(db, cookie)
        response.delete_cookie(sessions.COOKIE_NAME, path="/")
    return response


OTHER_METHODS = ["HEAD", "POST", "PUT", "PATCH", "DELETE"]


# Last: an SSO address nothing serves is answered with a page, never with the SCIM
# JSON the app gives other unknown paths.
@router.api_route("/me", methods=OTHER_METHODS)
@router.api_route("/me/{rest:anypath}", methods=["GET", *OTHER_METHODS])
@router.api_route("/saml2", methods=["GET", *OTHER_METHODS])
@router.api_route("/saml2/{rest:anypath}", methods=["GET", *OTHER_METHODS])
async def unserved(request: Request) -> Response:
    allowed = inputs.served_methods(request.app.routes, request.url.path, besides=(unserved,))
    return pages.not_served(request.method, sorted(allowed))
