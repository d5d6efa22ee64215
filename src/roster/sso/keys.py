"""The secret key that signs the SAML request-id cookie: the deployment's secret key
(roster/keyfile.py, shared with the sealing of the events' secrets)."""

from __future__ import annotations

from roster.keyfile import MIN_KEY_LENGTH, secret_key

__all__ = ["MIN_KEY_LENGTH", "secret_key"]
