"""The few plain pages SSO shows a person: accessible HTML, no script, no styling
framework. Refusals are generic on purpose: the reason goes to the log, never to the
browser (it would coach an attacker), only a request id to quote."""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse

_SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


def page(title: str, body: str, *, status: int = 200) -> HTMLResponse:
    html = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · Roster</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto;
       padding: 0 1rem; line-height: 1.5; color: #1a1a1a; }}
a, button {{ font-size: 1rem; }}
</style>
</head>
<body>
<main>
<h1>{escape(title)}</h1>
{body}
</main>
</body>
</html>
"""
    return HTMLResponse(html, status_code=status, headers=_SECURITY_HEADERS)


def sign_in_failed(request_id: str) -> HTMLResponse:
    return page(
        "Sign-in failed",
        "<p>We could not sign you in with your company's single sign-on.</p>"
        "<p>Try again from your identity provider. If it keeps failing, contact your "
        "company's Roster administrator and quote this reference: "
        f"<code>{escape(request_id)}</code>.</p>",
        status=403,
    )


def bad_address(message: str) -> HTMLResponse:
    return page("Check the address", f"<p>{escape(message)}</p>", status=400)


def not_served(method: str, allowed: list[str]) -> HTMLResponse:
    """An SSO address nothing serves (405 naming what it takes, else 404)."""
    if allowed:
        response = page(
            "Not available this way",
            f"<p>This address does not take a {escape(method)} request.</p>",
            status=405,
        )
        response.headers["Allow"] = ", ".join(allowed)
        return response
    return page(
        "Page not found",
        "<p>There is no single sign-on page at this address. Sign in from your company's "
        "identity provider, or check the address with your company's Roster "
        "administrator.</p>",
        status=404,
    )


def sso_unavailable(status: int = 404) -> HTMLResponse:
    return page(
        "Single sign-on unavailable",
        "<p>Single sign-on is not set up for this company.</p>"
        "<p>Contact your company's Roster administrator.</p>",
        status=status,
    )


def signed_in(email: str, *, console: bool, csrf_token: str) -> HTMLResponse:
    admin = '<p><a href="/admin">Open the admin console</a></p>' if console else ""
    return page(
        "Roster",
        f"<p>Signed in as <strong>{escape(email)}</strong></p>"
        f"{admin}"
        '<form method="post" action="/me/sign-out">'
        f'<input type="hidden" name="csrf_token" value="{escape(csrf_token)}">'
        '<button type="submit">Sign out</button>'
        "</form>",
    )


def signed_out() -> HTMLResponse:
    return page(
        "Not signed in",
        "<p>You are not signed in. Sign in from your company's identity provider "
        "(for example the Roster tile in Okta).</p>",
        status=401,
    )
