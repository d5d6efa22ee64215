"""Chromium for the browser tests: Debian's (`apt-get install chromium`; .ci/run installs
it), driven by Playwright, which never downloads a browser of its own. The fixture is
`chromium` in tests/conftest.py; screenshots go to tests/artifacts/ (gitignored)."""

from __future__ import annotations

import os
from pathlib import Path

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
