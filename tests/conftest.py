"""Fixtures for every folder under tests/: the live server, one per database, and a
fresh company per test (the harness itself is tests/support/harness.py), Chromium for
the browser tests; and the Hypothesis profiles."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from tests.support.browser import ARGS, CHROMIUM
from tests.support.harness import (
    BACKENDS,
    Company,
    LiveServer,
    make_company,
    own_server,
    require,
)

# Property-based tests run against a live server: a modest number of examples keeps
# `make test` fast; HYPOTHESIS_PROFILE=deep tries twenty times as many (docs/reliability.md).
_HYPOTHESIS = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
hypothesis_settings.register_profile("ci", max_examples=100, **_HYPOTHESIS)
hypothesis_settings.register_profile("deep", max_examples=2000, **_HYPOTHESIS)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    with own_server(request.param, tmp_path_factory.mktemp("db")) as live:
        yield live


@pytest.fixture
def company(server: LiveServer) -> Iterator[Company]:
    c = make_company(server)
    yield c
    c.client.close()


@pytest.fixture
def other_company(server: LiveServer) -> Iterator[Company]:
    c = make_company(server)
    yield c
    c.client.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, launched once per test module (tests/support/browser.py). Missing,
    the test is skipped, or fails under CI (require)."""
    require(Path(CHROMIUM).exists(), f"{CHROMIUM} missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()
