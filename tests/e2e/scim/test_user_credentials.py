"""Passwords and sessions over /Users: discarded unless the company accepts passwords
from the identity provider (and never while SSO is on), argon2-hashed when kept,
redacted in the audit trail; deactivation and delete end the person's sessions."""

from __future__ import annotations

from roster.model.errors import DirectoryError
from tests.support.harness import Company
from tests.support.users import (
    assert_scim_error,
    audit_events,
    create,
    deactivate,
    get,
    okta_user,
    password_hash,
    patch,
    patched,
    payload,
    search,
    set_settings,
    set_sso,
)


def test_password_is_discarded_by_default_and_the_history_says_so(company: Company) -> None:
    user = create(company, payload("okta", "create_user"))
    assert password_hash(company, user["id"]) is None
    patched(company, user["id"], {"op": "replace", "path": "password", "value": "n3w-Secret"})
    assert password_hash(company, user["id"]) is None
    notes = [n for e in audit_events(company, user["id"]) for n in e["notes"] or []]
    assert (
        notes.count(
            "password discarded: the company does not accept passwords from the identity "
            "provider (SCIM settings)"
        )
        == 2
    )


def test_password_is_argon2_hashed_when_the_company_accepts_them(company: Company) -> None:
    set_settings(company, accept_idp_passwords=True)
    user = create(company, payload("okta", "create_user"))
    assert "password" not in user
    assert "password" not in get(company, user["id"])
    hashed = password_hash(company, user["id"])
    assert hashed is not None and hashed.startswith("$argon2id$")
    assert "1mz050nq" not in hashed
    patched(company, user["id"], {"op": "replace", "path": "password", "value": "n3w-Secret"})
    changed = password_hash(company, user["id"])
    assert changed is not None and changed.startswith("$argon2id$") and changed != hashed
    for listed in search(company, "startIndex=1&count=10")["Resources"]:
        assert "password" not in listed
    r = company.client.get(f"/Users/{user['id']}", params={"attributes": "password,userName"})
    assert "password" not in r.json()
    assert_scim_error(company.client.get("/Users", params={"filter": 'password eq "x"'}), 400)


def test_accepting_passwords_is_refused_while_sso_is_on(company: Company) -> None:
    set_sso(company, True)
    try:
        set_settings(company, accept_idp_passwords=True)
    except DirectoryError as exc:
        assert exc.attribute == "accept_idp_passwords" and "SSO" in exc.message
    else:
        raise AssertionError("accept_idp_passwords was turned on while SSO is on")
    assert company.tenant.setting("accept_idp_passwords") is False


def test_sso_turns_accepting_passwords_off_and_says_so(company: Company) -> None:
    set_settings(company, accept_idp_passwords=True)
    set_sso(company, True)
    assert company.tenant.setting("accept_idp_passwords") is False
    set_sso(company, False)  # SSO off again: passwords stay discarded until asked for
    user = create(company, payload("okta", "create_user"))
    assert password_hash(company, user["id"]) is None


def test_password_is_discarded_while_sso_is_on(company: Company) -> None:
    set_settings(company, accept_idp_passwords=True)
    set_sso(company, True)
    user = create(company, payload("okta", "create_user"))
    assert password_hash(company, user["id"]) is None
    patched(company, user["id"], {"op": "replace", "value": {"password": "other"}})
    assert password_hash(company, user["id"]) is None
    notes = " ".join(n for e in audit_events(company, user["id"]) for n in e["notes"] or [])
    assert "password discarded" in notes


def test_audit_rows_record_requests_with_passwords_redacted(company: Company) -> None:
    set_settings(company, accept_idp_passwords=True)
    user = create(company, payload("okta", "create_user"))
    patched(company, user["id"], {"op": "replace", "path": "password", "value": "PatchSecret1"})
    patched(company, user["id"], {"op": "replace", "value": {"password": "PatchSecret2"}})
    patched(
        company,
        user["id"],
        {
            "op": "replace",
            "path": "urn:ietf:params:scim:schemas:core:2.0:User:password",
            "value": "PatchSecret3",
        },
    )
    patched(company, user["id"], {"OP": "Replace", "PATH": "Password", "VALUE": "PatchSecret4"})
    deactivate(company, user["id"])
    events = audit_events(company, user["id"])
    assert [e["action"] for e in events] == ["person.patch"] * 5 + ["person.create"]
    dump = repr(events)
    for secret in ("1mz050nq", "PatchSecret1", "PatchSecret2", "PatchSecret3", "PatchSecret4"):
        assert secret not in dump
    created = events[-1]
    assert created["actor"] == f"token:{company.token_id}"
    assert created["request"]["password"] == "[REDACTED]"
    assert created["request"]["userName"] == "test.user@okta.local"
    assert created["changes"]["user_name"] == "test.user@okta.local"
    assert events[0]["changes"]["active"] == [True, False]
    assert events[1]["changes"]["password"] == ["[REDACTED]", "[REDACTED]"]
    assert all(e["request_id"] for e in events)


def test_deactivation_and_delete_end_the_persons_sessions(company: Company) -> None:
    from roster.directory import sessions

    user = create(company, okta_user("signed.in@example.com"))
    other = create(company, okta_user("also.in@example.com"))
    cookie, _ = company.call(
        lambda db: sessions.start_session(db, company.tenant.id, "person", user["id"])
    )
    other_cookie, _ = company.call(
        lambda db: sessions.start_session(db, company.tenant.id, "person", other["id"])
    )
    assert company.call(lambda db: sessions.load_session(db, cookie)) is not None
    patch(company, user["id"], {"op": "replace", "value": {"active": False}})
    assert company.call(lambda db: sessions.load_session(db, cookie)) is None
    assert company.call(lambda db: sessions.load_session(db, other_cookie)) is not None
    assert company.client.delete(f"/Users/{other['id']}").status_code == 204
    assert company.call(lambda db: sessions.load_session(db, other_cookie)) is None
