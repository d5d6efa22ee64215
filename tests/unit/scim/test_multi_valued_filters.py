"""Filters on emails and phoneNumbers resolve to "any value" (FieldAny), and a value
filter asks all its comparisons of one value; what a value does not have is refused."""

from __future__ import annotations

import pytest

from roster.model.query import FieldAnd, FieldAny, FieldCompare, FieldNot, FieldPresent
from roster.model.registry import UserSchemas
from roster.scim.errors import ScimError
from roster.scim.filters import parse_filter, resolve

SCHEMAS = UserSchemas("urn:ietf:params:scim:schemas:extension:acme:2.0:User")


def _resolve(text: str) -> object:
    return resolve(
        parse_filter(text),
        lambda p: SCHEMAS.find(p.urn, p.attr, p.sub),
        filterable=SCHEMAS.filterable,
        values_of=lambda p: SCHEMAS.values_of(p.urn, p.attr),
    )


def test_each_comparison_on_a_multi_valued_attribute_is_its_own_any() -> None:
    both = _resolve('emails.type eq "work" and emails co "@x"')
    assert isinstance(both, FieldAnd)
    assert isinstance(both.left, FieldAny) and isinstance(both.right, FieldAny)
    assert both.left.values == "email" and isinstance(both.left.expr, FieldCompare)
    assert both.left.expr.field.name == "type"
    assert both.right.expr.field.name == "value"  # type: ignore[union-attr]
    phone = _resolve("not (phoneNumbers pr)")
    assert isinstance(phone, FieldNot) and isinstance(phone.expr, FieldAny)
    assert phone.expr.values == "phone" and isinstance(phone.expr.expr, FieldPresent)


def test_a_value_filter_is_one_any_over_its_comparisons() -> None:
    one = _resolve('emails[type eq "work" and not (primary eq true)]')
    assert isinstance(one, FieldAny) and isinstance(one.expr, FieldAnd)
    assert one.expr.left.field.name == "type"  # type: ignore[union-attr]
    assert isinstance(one.expr.right, FieldNot)


def test_a_fully_qualified_path_is_the_same_attribute() -> None:
    urn = "urn:ietf:params:scim:schemas:core:2.0:User"
    assert isinstance(_resolve(f'{urn}:emails.value eq "a@x"'), FieldAny)


@pytest.mark.parametrize(
    "text",
    [
        'emails.display eq "x"',  # not kept
        'emails[display eq "x"]',
        'emails[value.sub eq "x"]',
        'emails[type eq "work" and phoneNumbers[type eq "work"]]',
    ],
)
def test_what_a_value_does_not_have_is_refused(text: str) -> None:
    with pytest.raises(ScimError) as refused:
        _resolve(text)
    assert refused.value.scim_type == "invalidFilter"


def test_the_refusal_lists_the_sub_attributes_that_can_be_filtered() -> None:
    with pytest.raises(ScimError) as refused:
        _resolve('emails.display eq "x"')
    for path in ("emails.value", "emails.type", "emails.primary", "phoneNumbers.value"):
        assert path in refused.value.detail
