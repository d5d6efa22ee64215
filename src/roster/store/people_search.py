"""Manage People's search box, served by an index on both databases.

A search matches a substring of a person's username, email, "given family" name,
display name or employee number, case-insensitively. Scanning a company for that costs
0.2-0.7 s at 100,000 people, so each database indexes the same text (migration 0013):

- PostgreSQL: a GIN index on (tenant_id, SEARCH_TEXT) with pg_trgm's trigram operator
  class (and btree_gin for the company column), which serves `SEARCH_TEXT LIKE
  '%…%'` for the company alone. The query must spell SEARCH_TEXT exactly as the index
  does, with constants rather than parameters, or the planner cannot match it.
- SQLite: an FTS5 table with the trigram tokenizer (`people_search`), kept by triggers
  on `people`, searched with a phrase MATCH (a substring match of three characters or
  more) and joined to people from the matches (source()). FTS5 rows are keyed by
  `people_search_rows`, whose INTEGER PRIMARY KEY survives VACUUM (people's own rowid
  does not). A migration that recreates `people` on SQLite (Alembic's batch mode) drops
  the triggers and must create them again; tests/unit/store/test_schema.py checks that
  they are there.

Searches shorter than three characters cannot use a trigram index on either database
and compare the columns one by one (the company's people are read).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement

from roster.store.tables import people

# The separator keeps a search from matching across two fields; nobody types it.
_PARTS = (
    "coalesce({t}user_name, '')",
    "coalesce({t}email, '')",
    "coalesce({t}given_name, '') || ' ' || coalesce({t}family_name, '')",
    "coalesce({t}display_name, '')",
    "coalesce({t}employee_number, '')",
)
_SEPARATOR = {"postgresql": " || chr(31) || ", "sqlite": " || char(31) || "}


def search_text(database: str, table: str = "") -> str:
    """The indexed text as SQL, its columns qualified by `table` when given. The
    PostgreSQL index is on search_text("postgresql") (unqualified); SQLite's triggers
    write search_text("sqlite", "new") into people_search, whose trigram tokenizer
    folds case itself (SQLite's lower() folds ASCII only)."""
    prefix = f"{table}." if table else ""
    text = _SEPARATOR[database].join(p.format(t=prefix) for p in _PARTS)
    return f"lower({text})" if database == "postgresql" else text


TRIGRAM = 3  # the shortest search a trigram index can serve


class NameSearch(ColumnElement[bool]):
    """`the person's text contains q, or q is the person's id` for one company,
    compiled per database. The id is part of the same construct because on SQLite an
    OR of the FTS5 match and `id = q` is searched by the company alone (every person
    read); as one IN list it is a lookup per match."""

    inherit_cache = False
    type = sa.Boolean()
    # A condition in itself: without this SQLAlchemy appends "= 1" on SQLite (no
    # boolean type), and SQLite cannot use an index for `(id IN (...)) = 1`.
    _is_implicitly_boolean = True

    def __init__(self, tenant_id: int, q: str) -> None:
        self.tenant_id = tenant_id
        self.q = q.lower()


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@compiles(NameSearch, "postgresql")
def _on_postgresql(element: NameSearch, compiler: Any, **kw: Any) -> str:
    # LIKE's default escape character is the backslash on PostgreSQL; an ESCAPE clause
    # would be spelled as a function call the trigram index still serves, but none is
    # needed.
    pattern = str(compiler.process(sa.bindparam("name_search", _like(element.q)), **kw))
    same_id = str(compiler.process(people.c.id == element.q, **kw))
    return f"({search_text('postgresql', 'people')} LIKE {pattern} OR {same_id})"


def _matches(search: NameSearch) -> sa.Subquery:
    """SQLite: the ids whose FTS5 text holds the phrase, and the id asked for."""
    phrase = '"' + search.q.replace('"', '""') + '"'
    fts = sa.table("people_search", sa.column("person_id"), sa.column("tenant_id"))
    return (
        sa.select(fts.c.person_id)
        .where(
            sa.literal_column("people_search").op("MATCH")(sa.bindparam("name_search", phrase)),
            fts.c.tenant_id == search.tenant_id,
        )
        .union(sa.select(sa.literal(search.q)))
        .subquery("matches")
    )


def source(
    database: str, where: Sequence[ColumnElement[bool]]
) -> tuple[sa.FromClause, list[ColumnElement[bool]]]:
    """What a Manage People query reads: `people`, or on SQLite, when it searches, the
    matches joined to people. SQLite has no statistics and takes `tenant_id = ?` for a
    handful of rows, so with the search as a condition it walks the whole company and
    tests each person; from the matches first, it looks up each match."""
    searches = [w for w in where if isinstance(w, NameSearch)]
    if database != "sqlite" or not searches:
        return people, list(where)
    matches = _matches(searches[0])
    joined = matches.join(people, people.c.id == matches.c.person_id)
    return joined, [w for w in where if w is not searches[0]]


@compiles(NameSearch, "sqlite")
def _on_sqlite(element: NameSearch, compiler: Any, **kw: Any) -> str:
    # Where a query does not go through source(): an IN list (correct, not as fast).
    found = sa.select(_matches(element).c.person_id)
    return "(" + str(compiler.process(people.c.id.in_(found), **kw)) + ")"


def indexed(q: str) -> bool:
    return len(q) >= TRIGRAM
