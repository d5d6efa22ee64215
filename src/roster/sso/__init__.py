"""SAML 2.0 service provider: per-company metadata, SP-initiated login (HTTP-Redirect),
the assertion consumer (HTTP-POST) with the checks python3-saml leaves to the app,
and the signed-in page. See docs/sso.md and docs/security.md."""
