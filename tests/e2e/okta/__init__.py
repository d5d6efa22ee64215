"""Okta's requests, replayed from tests/idp/okta."""
