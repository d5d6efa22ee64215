"""Chromium for the browser tests: Debian's (`apt-get install chromium`; .ci/run installs
it), driven by Playwright, which never downloads a browser of its own. The fixture is
`chromium` in tests/conftest.py; screenshots go to tests/artifacts/ (gitignored)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.support.console import PASSWORD

CHROMIUM = os.environ.get("ROSTER_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def sign_in(page: Any, subdomain: str, email: str) -> None:
    """Sign in on the console's sign-in page as a person with tests.support.console's
    PASSWORD, and wait for the Overview."""
    page.goto("/admin/login")
    page.get_by_label("Company").fill(subdomain)
    page.get_by_label("Work email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin")
