"""Manage People's name search served by an index: pg_trgm on PostgreSQL, FTS5 on SQLite
(store/people_search.py says how each is used)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

# ruff: noqa: S608 -- every statement is built from this module's constants, none from input
from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# Frozen copies of store/people_search.search_text() as of this revision (a test keeps
# them equal; a change of the text needs a new migration that rebuilds the index).
PG_TEXT = (
    "lower(coalesce(user_name, '') || chr(31) || coalesce(email, '') || chr(31) || "
    "coalesce(given_name, '') || ' ' || coalesce(family_name, '') || chr(31) || "
    "coalesce(display_name, '') || chr(31) || coalesce(employee_number, ''))"
)
SQLITE_NEW_TEXT = (
    "coalesce(new.user_name, '') || char(31) || coalesce(new.email, '') || char(31) || "
    "coalesce(new.given_name, '') || ' ' || coalesce(new.family_name, '') || char(31) || "
    "coalesce(new.display_name, '') || char(31) || coalesce(new.employee_number, '')"
)
_ROW = "(SELECT row FROM people_search_rows WHERE tenant_id = old.tenant_id AND person_id = old.id)"
_BY_PERSON = "r.tenant_id = p.tenant_id AND r.person_id = p.id"
SQLITE = [
    "CREATE TABLE people_search_rows (row INTEGER PRIMARY KEY, tenant_id INTEGER NOT NULL, "
    "person_id VARCHAR(36) NOT NULL, UNIQUE (tenant_id, person_id))",
    "CREATE VIRTUAL TABLE people_search USING fts5(tenant_id UNINDEXED, person_id UNINDEXED, "
    "text, tokenize='trigram')",
    "CREATE TRIGGER people_search_insert AFTER INSERT ON people BEGIN "
    "INSERT INTO people_search_rows (tenant_id, person_id) VALUES (new.tenant_id, new.id); "
    "INSERT INTO people_search (rowid, tenant_id, person_id, text) "
    f"VALUES (last_insert_rowid(), new.tenant_id, new.id, {SQLITE_NEW_TEXT}); END",
    "CREATE TRIGGER people_search_update AFTER UPDATE OF user_name, email, given_name, "
    "family_name, display_name, employee_number ON people BEGIN "
    f"UPDATE people_search SET text = {SQLITE_NEW_TEXT} WHERE rowid = {_ROW}; END",
    "CREATE TRIGGER people_search_delete AFTER DELETE ON people BEGIN "
    f"DELETE FROM people_search WHERE rowid = {_ROW}; "
    "DELETE FROM people_search_rows WHERE tenant_id = old.tenant_id AND person_id = old.id; END",
    "INSERT INTO people_search_rows (tenant_id, person_id) SELECT tenant_id, id FROM people",
    "INSERT INTO people_search (rowid, tenant_id, person_id, text) "
    f"SELECT r.row, p.tenant_id, p.id, {SQLITE_NEW_TEXT.replace('new.', 'p.')} "
    f"FROM people p JOIN people_search_rows r ON {_BY_PERSON}",
]


INDEX = f"CREATE INDEX ix_people_search ON people USING gin (tenant_id, ({PG_TEXT}) gin_trgm_ops)"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE:
            op.execute(statement)
        return
    # pg_trgm and btree_gin ship with PostgreSQL (Debian's postgresql-15 package) and are
    # trusted extensions: the owner of the database may create them. Where they cannot
    # be created, search still works, by reading the company's people.
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS btree_gin"))
    except sa.exc.DBAPIError as error:
        logging.getLogger("alembic").warning(
            "Manage People's search is not indexed: the extensions pg_trgm and btree_gin "
            "could not be created (%s). Have the database owner run CREATE EXTENSION "
            "pg_trgm; CREATE EXTENSION btree_gin; %s",
            error.orig,
            INDEX,
        )
        return
    op.execute(INDEX)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("people_search_insert", "people_search_update", "people_search_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS people_search")
        op.execute("DROP TABLE IF EXISTS people_search_rows")
        return
    op.execute("DROP INDEX IF EXISTS ix_people_search")
