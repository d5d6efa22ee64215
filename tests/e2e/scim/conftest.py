"""Fixtures of the SCIM tests: `crew`, five people to filter, sort and page."""

from __future__ import annotations

import pytest

from tests.support.harness import Company
from tests.support.users import ENTERPRISE, FIFTEEN_FIVE, create, okta_user


@pytest.fixture
def crew(company: Company) -> Company:
    """Five people to filter, sort and page."""
    rows = [
        ("alice@example.com", "Alice", "Zephyr", "Engineer", "2024-01-15", "E-1", True),
        ("bob@example.com", "Bob", "Young", "50% Manager", "2025-06-01", "E-2", True),
        ("carol@sales.example.org", "Carol", "Xu", "Sales Lead", None, "E-3", False),
        ("dave@example.com", "Dave", "Walker", None, "2023-03-03", None, True),
        ("Eve@Example.com", "Eve", "Vance", "engineer", "2026-12-31", "E-5", False),
    ]
    for user_name, given, family, title, start, number, active in rows:
        body = okta_user(user_name, given, family, active=active)
        if title:
            body["title"] = title
        body[ENTERPRISE] = {"employeeNumber": number} if number else {}
        body[FIFTEEN_FIVE] = {"startDate": start, "customLevel": given[0] * 2}
        create(company, body)
    return company
