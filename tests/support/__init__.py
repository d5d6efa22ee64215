"""What the test folders share: the live-server harness (harness.py), a real `roster
serve` process (procserver.py), SCIM and console helpers, the test IdP and SSO flows."""
