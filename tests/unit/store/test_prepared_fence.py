"""The hot path's private SQLAlchemy names (store/prepared.py: PRIVATE_NAMES) still
exist on the installed SQLAlchemy, and the module using them is the only one that does:
an upgrade that renames one fails here, naming it, not in production."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from roster.store import prepared

SRC = Path(prepared.__file__).resolve().parents[1]


def _resolve(dotted: str) -> object:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("owner", sorted(prepared.PRIVATE_NAMES))
def test_every_private_name_still_exists(owner: str) -> None:
    cls = _resolve(owner)
    for name in prepared.PRIVATE_NAMES[owner]:
        # Instance attributes are set in __init__: look at a real instance where needed.
        assert hasattr(cls, name) or name in _instance_attributes(owner), f"{owner}.{name}"


def _instance_attributes(owner: str) -> set[str]:
    if owner.endswith("SQLCompiler"):
        compiled = sa.select(sa.literal_column("1").label("x")).compile(
            dialect=postgresql.dialect()
        )
        return set(vars(compiled))
    if owner.endswith("Connection") or owner.endswith("Engine"):
        engine = sa.create_engine("sqlite://")
        with engine.connect() as conn:
            return set(vars(conn)) | set(vars(engine))
    if owner.endswith("AsyncAdapt_asyncpg_connection"):
        source = Path(
            importlib.import_module("sqlalchemy.dialects.postgresql.asyncpg").__file__ or ""
        )
        text = source.read_text()
        return {
            n for n in prepared.PRIVATE_NAMES[owner] if f"self.{n}" in text or f"def {n}" in text
        }
    return set()


def test_no_other_module_reaches_into_the_adapter() -> None:
    """Outside store/prepared.py no module touches the driver adapter's private parts."""
    pattern = re.compile(r"\._(transaction|start_transaction|handle_exception|dbapi_connection)\b")
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.name != "prepared.py" and pattern.search(path.read_text())
    ]
    assert offenders == []
