"""Entra's dialect, from its recorded payloads (tests/idp/entra/): each shape is read
as Entra means it, and without the dialect's rewrites the RFC codec refuses it, so the
tolerance lives in scim/dialects/entra.py and nowhere else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from roster.model.query import FieldCompare
from roster.model.registry import ENTERPRISE_USER, UserSchemas
from roster.scim import dialects
from roster.scim.errors import ScimError
from roster.scim.filters import parse_filter, resolve
from roster.scim.patch import apply_to_document, parse_operations
from roster.scim.users import extension_owner, parse_user

RECORDED = Path(__file__).parents[3] / "idp" / "entra"
SCHEMAS = UserSchemas("urn:ietf:params:scim:schemas:extension:15five:2.0:User", ())
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def _recorded(name: str, **fill: str) -> Any:
    text = (RECORDED / name).read_text()
    for key, value in fill.items():
        text = text.replace("{" + key + "}", value)
    return json.loads(text)


def _person() -> dict[str, Any]:
    return {
        "schemas": [USER],
        "userName": "ada@example.com",
        "active": True,
        "emails": [{"value": "ada@example.com", "type": "work", "primary": True}],
    }


def _patched(body: dict[str, Any]) -> Any:
    operations = parse_operations(
        body, extension_urns=(ENTERPRISE_USER, SCHEMAS.company_urn), max_operations=100
    )
    doc = apply_to_document(
        _person(), operations, core_urns=(USER,), owner_of=extension_owner(SCHEMAS)
    )
    return parse_user(doc, SCHEMAS)


@pytest.fixture
def without_dialects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dialects, "_OPERATION_REWRITES", ())
    monkeypatch.setattr(dialects, "_USER_REWRITES", ())
    monkeypatch.setattr(dialects, "_LITERAL_REWRITES", ())


@pytest.mark.parametrize(
    ("name", "active"), [("disable_user.json", False), ("enable_user.json", True)]
)
def test_capitalised_op_and_quoted_boolean(name: str, active: bool) -> None:
    body = _recorded(name)
    assert body["Operations"][0]["op"] == "Replace" and isinstance(
        body["Operations"][0]["value"], str
    )
    assert _patched(body).fields["active"] is active


@pytest.mark.parametrize("name", ["disable_user.json", "enable_user.json", "add_manager.json"])
def test_refused_by_the_rfc_codec_alone(name: str, without_dialects: None) -> None:
    with pytest.raises(ScimError) as caught:
        _patched(_recorded(name, manager="mgr-1"))
    assert caught.value.status == 400


def test_bare_string_manager() -> None:
    data = _patched(_recorded("add_manager.json", manager="Mgr-1"))
    assert data.manager_ref == "Mgr-1" and data.manager_sent  # as sent; matched lowercased


def test_quoted_primary_in_a_document(without_dialects: None) -> None:
    doc = {**_person(), "emails": [{"value": "ada@example.com", "primary": "True"}]}
    with pytest.raises(ScimError):
        parse_user(doc, SCHEMAS)


def test_quoted_primary_is_read() -> None:
    doc = {
        **_person(),
        "active": "False",
        "emails": [{"value": "ada@example.com", "primary": "True"}],
    }
    data = parse_user(doc, SCHEMAS)
    assert data.fields["active"] is False and data.fields["emails"][0]["primary"] is True


def test_every_recorded_patch_parses_with_lower_case_ops() -> None:
    for path in sorted(RECORDED.glob("*.json")):
        body = json.loads(path.read_text().replace("{manager}", "mgr-1"))
        if "Operations" not in body:
            continue
        operations = parse_operations(
            body, extension_urns=(ENTERPRISE_USER, SCHEMAS.company_urn), max_operations=100
        )
        assert operations and all(op.op in ("add", "replace", "remove") for op in operations)


def test_quoted_boolean_in_a_filter() -> None:
    def lookup(path: Any) -> Any:
        return SCHEMAS.find(path.urn, path.attr, path.sub)

    resolved = resolve(parse_filter('active eq "True"'), lookup)
    assert isinstance(resolved, FieldCompare) and resolved.value is True


def test_quoted_boolean_in_a_filter_needs_the_dialect(without_dialects: None) -> None:
    with pytest.raises(ScimError):
        resolve(parse_filter('active eq "True"'), lambda p: SCHEMAS.find(p.urn, p.attr, p.sub))


def test_rfc_shapes_pass_through_unchanged() -> None:
    doc = _person()
    assert dialects.rewrite_user(doc) is doc
    operation = {"op": "replace", "path": "active", "value": False}
    assert dialects.rewrite_operation(operation) is operation
