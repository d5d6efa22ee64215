"""The schema. Every key leads with tenant_id so the data distributes by company.

Alembic migrations (store/migrations) own the schema; this module describes it
for queries and must match the latest migration (a test compares them).

It is long on purpose: one declaration per table and nothing else, so the whole schema
(every key, index and constraint) reads in one place beside the migrations it mirrors.
"""

from __future__ import annotations

import sqlalchemy as sa

from roster.store.types import JSONType, UTCDateTime

# Made by migrations for Manage People's search (store/people_search.py) and not
# described here: a PostgreSQL expression index, and SQLite's FTS5 table (with its
# shadow tables) and the table that keys it.
OUTSIDE_THE_MODEL = frozenset(
    {"ix_people_search", "people_search_rows"}
    | {f"people_search{s}" for s in ("", "_data", "_idx", "_content", "_docsize", "_config")}
)


def modelled(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's include_object: everything but OUTSIDE_THE_MODEL."""
    return name not in OUTSIDE_THE_MODEL


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

tenants = sa.Table(
    "tenants",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("subdomain", sa.String(63), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("scim_enabled", sa.Boolean, nullable=False, default=False),
    sa.Column("sso_enabled", sa.Boolean, nullable=False, default=False),
    # Company settings: sync_managers, reassign_reporters, link_existing_people,
    # send_welcome_email, allow_csv_import (support only).
    sa.Column("settings", JSONType, nullable=False, default=dict),
    # The company's custom attributes: [{"name", "type", "source", "created_at"}]. Kept on
    # the company row so the token lookup that starts every request brings them along.
    sa.Column("custom_attributes", JSONType, nullable=False, default=list),
    # Last "user id" handed out in this company (people.number).
    sa.Column("last_person_number", sa.BigInteger, nullable=False, default=0),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

scim_tokens = sa.Table(
    "scim_tokens",
    metadata,
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("id", sa.String(36), nullable=False),
    sa.Column("label", sa.String(200), nullable=False, default=""),
    # sha256 of the secret: tokens have 256 bits of entropy, so a fast hash is enough
    # and lets the lookup be one indexed equality.
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_used_at", UTCDateTime, nullable=True),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
)

people = sa.Table(
    "people",
    metadata,
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("id", sa.String(36), nullable=False),  # the SCIM id, time-ordered
    sa.Column("number", sa.BigInteger, nullable=False),  # Roster's internal user id
    sa.Column("user_name", sa.String(320), nullable=False),
    sa.Column("user_name_lower", sa.String(320), nullable=False),
    sa.Column("external_id", sa.String(320), nullable=True),
    sa.Column("given_name", sa.String(200), nullable=True),
    sa.Column("family_name", sa.String(200), nullable=True),
    sa.Column("middle_name", sa.String(200), nullable=True),
    sa.Column("honorific_prefix", sa.String(60), nullable=True),
    sa.Column("honorific_suffix", sa.String(60), nullable=True),
    sa.Column("formatted_name", sa.String(400), nullable=True),
    sa.Column("display_name", sa.String(400), nullable=True),
    sa.Column("title", sa.String(200), nullable=True),
    sa.Column("nick_name", sa.String(200), nullable=True),
    sa.Column("profile_url", sa.String(2048), nullable=True),
    sa.Column("user_type", sa.String(200), nullable=True),
    sa.Column("locale", sa.String(35), nullable=True),
    sa.Column("preferred_language", sa.String(35), nullable=True),
    sa.Column("timezone", sa.String(64), nullable=True),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("email", sa.String(320), nullable=True),  # the primary email
    sa.Column("email_lower", sa.String(320), nullable=True),
    sa.Column("emails", JSONType, nullable=False, default=list),
    sa.Column("phone_numbers", JSONType, nullable=False, default=list),
    # The other complex multi-valued attributes of the core User, as sent:
    # {"addresses": [...], "ims": [...], ...}; NULL when there are none (decision 0017).
    sa.Column("multi_valued", JSONType, nullable=True),
    sa.Column("employee_number", sa.String(100), nullable=True),
    sa.Column("department", sa.String(200), nullable=True),
    sa.Column("division", sa.String(200), nullable=True),
    sa.Column("cost_center", sa.String(200), nullable=True),
    sa.Column("organization", sa.String(200), nullable=True),
    sa.Column("manager_id", sa.String(36), nullable=True),
    # A manager reference that matched nobody yet; linked when a match arrives.
    sa.Column("manager_pending", sa.String(320), nullable=True),
    # The same reference as the identity provider sent it (its case kept), echoed back
    # until it resolves; manager_pending is its lowercased key for matching.
    sa.Column("manager_pending_as_sent", sa.String(320), nullable=True),
    sa.Column("start_date", sa.Date, nullable=True),
    sa.Column("hire_date", sa.Date, nullable=True),
    sa.Column("termination_date", sa.Date, nullable=True),
    sa.Column("location", sa.String(400), nullable=True),
    sa.Column("custom", JSONType, nullable=False, default=dict),
    sa.Column("password_hash", sa.String(200), nullable=True),
    # How the person came to be: scim, console, csv, cli.
    sa.Column("source", sa.String(16), nullable=False),
    # Set on the first SCIM write: the person is then managed by the IdP.
    sa.Column("idp_linked_at", UTCDateTime, nullable=True),
    sa.Column("deleted_at", UTCDateTime, nullable=True),  # tombstone (SCIM DELETE)
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
    sa.UniqueConstraint("tenant_id", "number"),
    sa.Index(
        "uq_people_user_name_live",
        "tenant_id",
        "user_name_lower",
        unique=True,
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    ),
    sa.Index(
        "uq_people_email_live",
        "tenant_id",
        "email_lower",
        unique=True,
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    ),
    sa.Index("ix_people_external_id", "tenant_id", "external_id"),
    sa.Index("ix_people_employee_number", "tenant_id", "employee_number"),
    sa.Index("ix_people_manager", "tenant_id", "manager_id"),
    sa.Index("ix_people_manager_pending", "tenant_id", "manager_pending"),
    # A company's live people in id order: import pages skip and count on this index
    # alone (index-only scans on PostgreSQL).
    sa.Index(
        "ix_people_live",
        "tenant_id",
        "id",
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    ),
)

# Every email and phone number a person has, one row each in the order the identity
# provider sent them, so that filters on multi-valued attributes (`emails.value eq`,
# `emails[type eq "work"]`, `phoneNumbers co`) are SQL over all values (RFC 7644
# §3.4.2.2: any value matches). The person's `emails` and `phone_numbers` columns stay
# the document that is rendered (one row read per GET); these rows are written from
# them in the same transaction (store/person_values.py) and only ever searched.
person_values = sa.Table(
    "person_values",
    metadata,
    sa.Column("tenant_id", sa.Integer, nullable=False),
    sa.Column("person_id", sa.String(36), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # email, phone
    sa.Column("position", sa.Integer, nullable=False),  # as sent, from 0
    sa.Column("value", sa.String(320), nullable=False),
    sa.Column("value_lower", sa.String(320), nullable=False),
    sa.Column("type", sa.String(32), nullable=True),
    sa.Column("is_primary", sa.Boolean, nullable=False, default=False),
    sa.PrimaryKeyConstraint("tenant_id", "person_id", "kind", "position"),
    sa.ForeignKeyConstraint(
        ["tenant_id", "person_id"], ["people.tenant_id", "people.id"], ondelete="CASCADE"
    ),
    # Who has this address (filters' `emails eq`, the uniqueness check): one probe.
    sa.Index("ix_person_values_value", "tenant_id", "kind", "value_lower", "person_id"),
)

groups = sa.Table(
    "groups",
    metadata,
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("id", sa.String(36), nullable=False),
    sa.Column("display_name", sa.String(400), nullable=False),
    sa.Column("display_name_lower", sa.String(400), nullable=False),
    sa.Column("external_id", sa.String(320), nullable=True),
    # Roster's own classification ("Groups", "Departments", "Teams"); never set by SCIM.
    sa.Column("group_type", sa.String(64), nullable=False, default="Groups"),
    sa.Column("source", sa.String(16), nullable=False),  # idp or roster
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
    sa.Index("ix_groups_display_name", "tenant_id", "display_name_lower"),
)

group_members = sa.Table(
    "group_members",
    metadata,
    sa.Column("tenant_id", sa.Integer, nullable=False),
    sa.Column("group_id", sa.String(36), nullable=False),
    sa.Column("person_id", sa.String(36), nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "group_id", "person_id"),
    sa.ForeignKeyConstraint(
        ["tenant_id", "group_id"], ["groups.tenant_id", "groups.id"], ondelete="CASCADE"
    ),
    sa.ForeignKeyConstraint(
        ["tenant_id", "person_id"], ["people.tenant_id", "people.id"], ondelete="CASCADE"
    ),
    # Covering: a person's groups are read from the index alone (every User shown).
    sa.Index("ix_group_members_person", "tenant_id", "person_id", "group_id"),
)

audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("id", sa.String(36), nullable=False),  # time-ordered
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),  # token:<id>, admin:<email>, cli
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("resource_type", sa.String(16), nullable=False),
    sa.Column("resource_id", sa.String(36), nullable=True),
    sa.Column("request_id", sa.String(64), nullable=True),
    sa.Column("request", JSONType, nullable=True),  # what was asked, secrets redacted
    sa.Column("changes", JSONType, nullable=True),  # what changed
    sa.Column("notes", JSONType, nullable=True),  # ignored attributes, pending managers
    sa.PrimaryKeyConstraint("tenant_id", "id"),
    sa.Index("ix_audit_events_resource", "tenant_id", "resource_id"),
)

# --- Events out ------------------------------------------------------------------
#
# The transactional outbox: every change's events, written in the change's own
# transaction (store/events.py). `seq` counts per company, in commit order: the last
# statement of a write transaction takes the company's next numbers from
# `event_sequences`, whose row lock is held only until the commit.

event_sequences = sa.Table(
    "event_sequences",
    metadata,
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("last_seq", sa.BigInteger, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id"),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("id", sa.String(36), nullable=False),  # stable; what receivers dedupe on
    sa.Column("type", sa.String(64), nullable=False),  # person.created, ...
    sa.Column("occurred_at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("resource_type", sa.String(16), nullable=False),
    sa.Column("resource_id", sa.String(64), nullable=True),
    sa.Column("data", JSONType, nullable=False),  # {"object": ..., "changes": ...}
    sa.PrimaryKeyConstraint("tenant_id", "seq"),
    sa.UniqueConstraint("id", name="ux_events_id"),
    sa.Index("ix_events_occurred", "occurred_at"),  # retention
)

# Who may read a company's events feed (GET /api/v1/events): hashed like SCIM tokens.
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("id", sa.String(36), nullable=False),
    sa.Column("label", sa.String(200), nullable=False, default=""),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_used_at", UTCDateTime, nullable=True),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
    sa.UniqueConstraint("secret_hash", name="ux_api_tokens_secret_hash"),
)

# Signed webhooks (Standard Webhooks): where a company's events are pushed. The
# deliverer fans each endpoint's events out into deliveries after `cursor_seq`.
webhook_endpoints = sa.Table(
    "webhook_endpoints",
    metadata,
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("id", sa.String(36), nullable=False),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("secret", sa.String(100), nullable=False),  # whsec_..., shown once
    # After a rotation the old secret also signs, until this time (receivers roll over).
    sa.Column("previous_secret", sa.String(100), nullable=True),
    sa.Column("previous_secret_until", UTCDateTime, nullable=True),
    sa.Column("event_types", JSONType, nullable=True),  # None: every type
    sa.Column("cursor_seq", sa.BigInteger, nullable=False, default=0),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("removed_at", UTCDateTime, nullable=True),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("endpoint_id", sa.String(36), nullable=False),
    sa.Column("event_seq", sa.BigInteger, nullable=False),
    sa.Column("event_id", sa.String(36), nullable=False),
    # Events of one resource reach an endpoint in order: resource_type:resource_id.
    sa.Column("resource_key", sa.String(100), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | delivered | dead
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("claimed_until", UTCDateTime, nullable=True),  # a deliverer is sending it
    sa.Column("last_status", sa.Integer, nullable=True),
    sa.Column("last_error", sa.String(2000), nullable=True),
    sa.Column("last_response", sa.String(2000), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("delivered_at", UTCDateTime, nullable=True),
    sa.PrimaryKeyConstraint("tenant_id", "endpoint_id", "event_seq"),
    sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    sa.Index(
        "ix_webhook_deliveries_resource", "tenant_id", "endpoint_id", "resource_key", "event_seq"
    ),
)

# Security Event Tokens (RFC 8417, RFC 9967) pushed per RFC 8935: where a company's
# events go as signed SETs. The same deliverer as webhooks (delivery/), its own rows:
# a receiver has an audience and an issuer instead of a signing secret, and an optional
# Authorization header, kept sealed (directory/sealing.py).
set_receivers = sa.Table(
    "set_receivers",
    metadata,
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("id", sa.String(36), nullable=False),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("audience", sa.String(2000), nullable=False),  # the SETs' "aud"
    sa.Column("issuer", sa.String(2000), nullable=False),  # the SETs' "iss"
    sa.Column("authorization", sa.Text, nullable=True),  # sealed; None: no header
    sa.Column("event_types", JSONType, nullable=True),  # Roster's types; None: every one
    sa.Column("cursor_seq", sa.BigInteger, nullable=False, default=0),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("removed_at", UTCDateTime, nullable=True),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
)

# As webhook_deliveries (store/deliveries.py runs both); `endpoint_id` is the receiver.
set_deliveries = sa.Table(
    "set_deliveries",
    metadata,
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("endpoint_id", sa.String(36), nullable=False),
    sa.Column("event_seq", sa.BigInteger, nullable=False),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("resource_key", sa.String(100), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | delivered | dead
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("claimed_until", UTCDateTime, nullable=True),
    sa.Column("last_status", sa.Integer, nullable=True),
    sa.Column("last_error", sa.String(2000), nullable=True),
    sa.Column("last_response", sa.String(2000), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("delivered_at", UTCDateTime, nullable=True),
    sa.PrimaryKeyConstraint("tenant_id", "endpoint_id", "event_seq"),
    sa.Index("ix_set_deliveries_due", "status", "next_attempt_at"),
    sa.Index("ix_set_deliveries_resource", "tenant_id", "endpoint_id", "resource_key", "event_seq"),
)

# The keys that sign SETs, one set per deployment (not per company: receivers fetch
# one JWKS). Created on first use; `roster events signing-key rotate` adds the next
# generation. A key is published (the JWKS) from its creation until `retires_at`, and
# signs from `signs_from` until a newer one does. The private JWK is sealed.
event_signing_keys = sa.Table(
    "event_signing_keys",
    metadata,
    sa.Column("kid", sa.String(64), nullable=False),  # the JWK thumbprint (RFC 7638)
    sa.Column("generation", sa.Integer, nullable=False),  # 1, 2, ...: one per rotation
    sa.Column("algorithm", sa.String(16), nullable=False),  # ES256
    sa.Column("public_jwk", JSONType, nullable=False),
    sa.Column("private_jwk", sa.Text, nullable=False),  # sealed
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("signs_from", UTCDateTime, nullable=False),
    sa.Column("retires_at", UTCDateTime, nullable=True),  # None: not retiring
    sa.PrimaryKeyConstraint("kid"),
    sa.UniqueConstraint("generation", name="ux_event_signing_keys_generation"),
)

# --- Console and sign-in -----------------------------------------------------------

console_users = sa.Table(
    "console_users",
    metadata,
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("id", sa.String(36), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("email_lower", sa.String(320), nullable=False),
    # None until the admin has set a password (invited), and again after a reset.
    sa.Column("password_hash", sa.String(200), nullable=True),
    # e.g. ["account_admin", "manage_integrations"]
    sa.Column("roles", JSONType, nullable=False, default=list),
    # May sign in with a password even when SSO forbids passwords (break-glass).
    sa.Column("break_glass", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_login_at", UTCDateTime, nullable=True),
    # The SSO NameID an admin linked to this console user (`roster sso link`): with the
    # NameID equal to `email`, the only ways an SSO sign-in reaches the console. Never
    # derived from a person's email, which the IdP, SCIM, CSV and other admins can edit.
    sa.Column("sso_nameid", sa.String(320), nullable=True),
    sa.Column("sso_nameid_lower", sa.String(320), nullable=True),
    sa.Column("name", sa.String(200), nullable=True),  # as the inviting admin typed it
    sa.PrimaryKeyConstraint("tenant_id", "id"),
    sa.UniqueConstraint("tenant_id", "email_lower"),
    sa.Index("ux_console_users_sso_nameid", "tenant_id", "sso_nameid_lower", unique=True),
)

# One-time set-password links (an invitation, a password reset): only sha256 of the
# random token is kept for the lookup (the console shows a new link once from
# secret_reveals). A newer link of the same admin replaces the older; a used one keeps
# `used_at`.
admin_links = sa.Table(
    "admin_links",
    metadata,
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("id", sa.String(36), nullable=False),
    sa.Column("console_user_id", sa.String(36), nullable=False),
    sa.Column("purpose", sa.String(16), nullable=False),  # invite or reset
    sa.Column("token_hash", sa.String(64), nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("used_at", UTCDateTime, nullable=True),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
    sa.UniqueConstraint("token_hash", name="ux_admin_links_token_hash"),
    sa.Index("ix_admin_links_admin", "tenant_id", "console_user_id"),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("id", sa.String(64), nullable=False),  # sha256 of the cookie's secret
    sa.Column("subject_type", sa.String(16), nullable=False),  # console_user or person
    sa.Column("subject_id", sa.String(36), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("last_seen_at", UTCDateTime, nullable=True),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
)

# Secrets shown once (a new SCIM token, a webhook's signing secret): the answer to the
# form that made one redirects with a ticket, and the page it leads to takes the secret
# from here, once, in the same browser session (directory/reveals.py). The secret is
# sealed (directory/sealing.py); the row goes when it is shown or soon after it expires.
secret_reveals = sa.Table(
    "secret_reveals",
    metadata,
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("id", sa.String(64), nullable=False),  # sha256 of the ticket
    sa.Column("session_id", sa.String(64), nullable=False),  # sessions.id it is bound to
    sa.Column("resource_type", sa.String(32), nullable=False),  # Token, Webhook
    sa.Column("resource_id", sa.String(36), nullable=False),
    sa.Column("sealed_secret", sa.Text, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
)

# Password sign-in attempts, reserved before the password is checked (one upsert that
# returns the count), so concurrent tries cannot all be evaluated. Keys are
# `email:<company>:<address>` and `ip:<address>`: an address is counted across companies.
sign_in_attempts = sa.Table(
    "sign_in_attempts",
    metadata,
    sa.Column("key", sa.String(400), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("window_started_at", UTCDateTime, nullable=False),
    sa.Column("locked_until", UTCDateTime, nullable=True),
    sa.PrimaryKeyConstraint("key"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("id", sa.String(36), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),  # welcome_email, ...
    sa.Column("recipient", sa.String(320), nullable=False),
    sa.Column("payload", JSONType, nullable=False, default=dict),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime, nullable=True),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
)

# --- SAML single sign-on ---------------------------------------------------------

sso_configs = sa.Table(
    "sso_configs",
    metadata,
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("idp_entity_id", sa.String(1000), nullable=True),
    sa.Column("idp_sso_url", sa.String(2000), nullable=True),
    sa.Column("idp_certificates", JSONType, nullable=False, default=list),  # PEM strings
    sa.Column("idp_metadata_xml", sa.Text, nullable=True),
    # tenants.sso_enabled is the "Enabled" toggle; these are the others.
    sa.Column("allow_password_signin", sa.Boolean, nullable=False, default=True),
    sa.Column("allow_idp_initiated", sa.Boolean, nullable=False, default=False),
    sa.Column("allow_jit", sa.Boolean, nullable=False, default=False),
    sa.Column("nameid", sa.String(32), nullable=False, default="email"),  # or employee_number
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id"),
)

saml_replay = sa.Table(
    "saml_replay",
    metadata,
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("assertion_id", sa.String(200), nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "assertion_id"),
    sa.Index("ix_saml_replay_expires", "expires_at"),
)

# --- Provisioning log ------------------------------------------------------------

provisioning_log = sa.Table(
    "provisioning_log",
    metadata,
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("id", sa.String(36), nullable=False),  # time-ordered
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("request_id", sa.String(64), nullable=True),
    sa.Column("token_id", sa.String(36), nullable=True),
    sa.Column("client", sa.String(200), nullable=True),  # IdP, from User-Agent
    sa.Column("method", sa.String(10), nullable=False),
    sa.Column("path", sa.String(2000), nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("duration_ms", sa.Float, nullable=False),
    sa.Column("resource_type", sa.String(16), nullable=True),
    sa.Column("resource_id", sa.String(64), nullable=True),
    sa.Column("error_detail", sa.Text, nullable=True),
    sa.Column("request", JSONType, nullable=True),  # body, secrets redacted
    sa.PrimaryKeyConstraint("tenant_id", "id"),
    sa.Index("ix_provisioning_log_status", "tenant_id", "status"),
    sa.Index("ix_provisioning_log_resource", "tenant_id", "resource_id"),
)

# SCIM requests and failures per company and hour (hours since 1970-01-01 UTC), added to
# by the provisioning log's writer in the transaction that writes the rows: the
# Overview's and the log's charts read at most 720 rows, never the log itself.
provisioning_hours = sa.Table(
    "provisioning_hours",
    metadata,
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("hour", sa.BigInteger, nullable=False),
    sa.Column("requests", sa.Integer, nullable=False),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "hour"),
)

# --- CSV import ------------------------------------------------------------------

csv_imports = sa.Table(
    "csv_imports",
    metadata,
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("id", sa.String(36), nullable=False),
    sa.Column("file_name", sa.String(255), nullable=False),
    # The uploaded file, kept between the preview and the apply (any worker may serve
    # either), and as a record of what was imported.
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("applied_at", UTCDateTime, nullable=True),
    sa.Column("summary", JSONType, nullable=True),  # counts of the preview / the apply
    sa.PrimaryKeyConstraint("tenant_id", "id"),
)
