"""Which database errors are a 503 with Retry-After (roster.store.db.is_unavailable): those a
retry can cure, never the request's own problem or a bug."""

from __future__ import annotations

import pytest


class _DriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("sqlstate", "retryable"),
    [
        ("08006", True),  # connection failure
        ("53300", True),  # too many connections
        ("57P01", True),  # admin shutdown
        ("40P01", True),  # deadlock victim: rolled back whole
        ("40001", True),  # serialization failure
        ("23505", False),  # unique violation: the request's own problem
        ("42P01", False),  # undefined table: a bug, answered by the 500 guard
    ],
)
def test_which_database_errors_are_retryable_503s(sqlstate: str, retryable: bool) -> None:
    from sqlalchemy.exc import DBAPIError

    from roster.store.db import is_unavailable

    error = DBAPIError("SELECT 1", None, _DriverError(sqlstate))
    assert is_unavailable(error) is retryable
