"""SAML single sign-on: flows, attacks, the browser, workers."""
