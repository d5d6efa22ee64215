"""Manage People's table over HTTP, on SQLite and PostgreSQL: each sort (both
directions, ties broken by the person id), each filter, page sizes, the "1-50 of 5,001"
line, paging that keeps the view, the CSV export of the whole view (formula cells
defused, every row beyond one page), the empty states, bad parameters (a 400 page naming
the allowed values, never a 500) and a page that is a bounded number of statements."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from datetime import date
from typing import Any

from roster.store.types import utcnow
from tests.support.console import signed_in
from tests.support.harness import Company
from tests.support.helpers import count_queries
from tests.support.people import ROW, listed, seed


def cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def link(text: str, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="([^"]+)"', text)
    return found.group(1).replace("&amp;", "&") if found else None


def test_each_sort_in_both_directions_ties_broken_by_id(company: Company) -> None:
    specs: list[dict[str, Any]] = [
        {
            "display_name": "Bea",
            "department": "Sales",
            "title": "Lead",
            "active": True,
            "start_date": date(2024, 5, 1),
        },
        {
            "display_name": "adam",
            "department": "eng",
            "title": "Engineer",
            "active": False,
            "start_date": date(2023, 1, 9),
        },
        {
            "given_name": "Cleo",
            "family_name": "Zed",
            "department": "Eng",
            "title": None,
            "active": True,
            "start_date": None,
        },
        {
            "display_name": "Dan",
            "department": None,
            "title": "Engineer",
            "active": True,
            "start_date": date(2023, 1, 9),
        },
        {
            "display_name": "Bea",
            "department": "Sales",
            "title": "Lead",
            "active": False,
            "start_date": date(2024, 5, 1),
        },
        {
            "email": "zoe@example.com",
            "department": "",
            "title": "Analyst",
            "active": True,
            "start_date": date(2025, 2, 2),
        },
    ]
    expected_rows = [dict(s) for s in specs]
    ids = seed(company, specs)
    for row, pid in zip(expected_rows, ids, strict=True):
        row["id"] = pid
        full = " ".join(p for p in (row.get("given_name"), row.get("family_name")) if p)
        row["name"] = (row.get("display_name") or full or row.get("email", "")).lower()
    # What each sort means, in Python: blanks after values, the id breaking ties.
    keys = {
        "name": lambda r: (r["name"],),
        "department": lambda r: (not r["department"], (r["department"] or "").lower()),
        "title": lambda r: (not r["title"], (r["title"] or "").lower()),
        "start_date": lambda r: (r["start_date"] is None, r["start_date"] or date(1970, 1, 1)),
        "status": lambda r: (0 if r["active"] else 1,),
    }
    client = signed_in(company)
    for sort, key in keys.items():
        ascending = [r["id"] for r in sorted(expected_rows, key=lambda r: (*key(r), r["id"]))]
        assert listed(client, f"/admin/people?sort={sort}") == ascending, sort
        assert listed(client, f"/admin/people?sort={sort}&dir=asc") == ascending, sort
        assert listed(client, f"/admin/people?sort={sort}&dir=desc") == ascending[::-1], sort
    # The header shows the sort it is, and links to the other direction.
    page = client.get("/admin/people?sort=title&dir=desc").text
    assert re.search(
        r'<th scope="col" aria-sort="descending">\s*<a[^>]*sort=title&amp;dir=asc', page
    )
    assert page.count("aria-sort=") == 1
    # Ties across a page boundary: size 25 of 60 identical departments keep id order.
    more = seed(company, [{"department": "Same"} for _ in range(60)])
    seen: list[str] = []
    url: str | None = "/admin/people?department=same&sort=department&size=25"
    while url:
        text = client.get(url).text
        seen += ROW.findall(text)
        url = link(text, "next")
    assert seen == sorted(more)
    client.close()


def test_each_filter_and_filters_together(company: Company) -> None:
    boss, other_boss = seed(
        company,
        [
            {"email": "boss@example.com", "department": "Eng", "location": "Berlin, DE"},
            {"email": "other@example.com", "department": "Sales", "location": "Paris, FR"},
        ],
    )
    ids = seed(
        company,
        [
            {"department": "Eng", "manager_id": boss, "location": "Berlin, DE"},
            {"department": "eng", "manager_id": boss, "location": "Lisbon, PT", "active": False},
            {
                "department": "Engineering",
                "manager_id": other_boss,
                "source": "csv",
                "idp_linked_at": None,
            },
            {
                "department": "Sales",
                "location": "Berlin Mitte, DE",
                "source": "console",
                "idp_linked_at": None,
            },
        ],
    )
    eng, eng_off, engineering, sales = ids
    group = company.client.post(
        "/Groups", json={"displayName": "Pilots", "members": [{"value": eng}, {"value": sales}]}
    )
    assert group.status_code == 201, group.text
    gid = group.json()["id"]
    client = signed_in(company)

    def found(query: str) -> set[str]:
        return set(listed(client, f"/admin/people?{query}"))

    assert found("department=ENG") == {boss, eng, eng_off}  # whole value, any case
    assert found(f"manager={boss}") == {eng, eng_off}
    assert found("manager=BOSS%40example.com") == {eng, eng_off}
    assert found("manager=nobody%40example.com") == set()
    assert found("location=berlin") == {boss, eng, sales}  # part of the value
    assert found(f"group={gid}") == {eng, sales}
    assert found("status=active") == {boss, other_boss, eng, engineering, sales}
    assert found("status=deactivated") == {eng_off}
    assert found("source=csv") == {engineering}
    assert found("source=console") == {sales}
    assert found("source=scim") == {boss, other_boss, eng, eng_off}
    assert found("department=eng&location=berlin&status=active") == {boss, eng}
    assert found(f"group={gid}&department=sales") == {sales}
    # The form shows the view; "Clear filters" keeps the sort and drops the filters.
    page = client.get("/admin/people?department=eng&sort=title&size=25").text
    assert 'value="eng"' in page and '<option value="25" selected>' in page
    clear = re.search(r'href="(/admin/people\?[^"]*)">Clear filters', page)
    assert clear is not None and clear.group(1).replace("&amp;", "&") == (
        "/admin/people?sort=title&size=25"
    )
    assert "Pilots" in page and '<option value="Engineering">' in page  # the choices
    client.close()


def test_paging_keeps_the_view_and_counts_with_thousands(company: Company) -> None:
    ops = seed(company, [{"department": "Ops"} for _ in range(120)])
    seed(company, [{"department": "Other"} for _ in range(881)])
    client = signed_in(company)
    first = client.get("/admin/people").text
    assert "1–50 of 1,001 people" in first
    assert "1–100 of 1,001 people" in client.get("/admin/people?size=100").text
    url: str | None = "/admin/people?department=ops&sort=status&size=25"
    lines, seen = [], []
    while url:
        assert "department=ops" in url and "size=25" in url and "sort=status" in url
        text = client.get(url).text
        lines.append(re.search(r"(\d[\d,]*–[\d,]+ of [\d,]+) people", text).group(1))  # type: ignore[union-attr]
        seen += ROW.findall(text)
        url = link(text, "next")
    assert lines == [
        "1–25 of 120",
        "26–50 of 120",
        "51–75 of 120",
        "76–100 of 120",
        "101–120 of 120",
    ]
    assert seen == sorted(ops)
    # Back from the third page is the second page, with its place.
    third = client.get("/admin/people?department=ops&sort=status&size=25").text
    third = client.get(link(client.get(link(third, "next") or "").text, "next") or "").text
    back = link(third, "prev")
    assert back is not None and "department=ops" in back
    second = client.get(back).text
    assert "26–50 of 120" in second and ROW.findall(second) == sorted(ops)[25:50]
    assert link(client.get(link(second, "prev") or "").text, "prev") is None
    client.close()


def test_csv_export_is_the_whole_view_with_formulas_defused(company: Company) -> None:
    dangerous = ["=1+1", "+33 1", "-2", "@SUM(A1)", "\tTab", "\rReturn", "Plain"]
    boss = seed(company, [{"email": "boss@example.com", "department": "Other"}])[0]
    ids = seed(
        company,
        [
            {
                "department": "Export",
                "title": dangerous[i % len(dangerous)],
                "manager_id": boss,
                "start_date": date(2024, 1, 2),
            }
            for i in range(620)
        ],
    )
    seed(company, [{"department": "Elsewhere"} for _ in range(5)])
    client = signed_in(company)
    response = client.get("/admin/people/export.csv?department=export&sort=title&dir=desc")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    slug = re.sub(r"[^a-z0-9]+", "-", company.tenant.name.lower()).strip("-")
    disposition = response.headers["content-disposition"]
    assert f'filename="people-{slug}-{utcnow().date().isoformat()}.csv"' in disposition
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 620  # beyond one page (100) and one export batch (500)
    assert {r["id"] for r in rows} == set(ids)
    for column in (
        "email",
        "userName",
        "givenName",
        "title",
        "department",
        "manager",
        "startDate",
        "id",
        "status",
    ):
        assert column in rows[0], column
    titles = {r["title"] for r in rows}
    assert titles == {"'=1+1", "'+33 1", "'-2", "'@SUM(A1)", "'\tTab", "'\rReturn", "Plain"}
    assert {r["manager"] for r in rows} == {"boss@example.com"}
    assert {r["startDate"] for r in rows} == {"2024-01-02"} and rows[0]["status"] == "active"
    # In the view's order: title descending, ties by id descending.
    order = sorted(rows, key=lambda r: (r["title"].lstrip("'").lower(), r["id"]), reverse=True)
    assert [r["id"] for r in rows] == [r["id"] for r in order]
    bad = client.get("/admin/people/export.csv?sort=salary")
    assert bad.status_code == 400 and "sort must be one of" in bad.text
    client.close()


def test_empty_states_say_what_to_do_next(company: Company) -> None:
    client = signed_in(company)
    empty = client.get("/admin/people").text
    assert "No people yet." in empty and "Integrations → SCIM" in empty
    assert "import a CSV" in empty and "0 people" in empty
    seed(company, [{"department": "Eng"}])
    none = client.get("/admin/people?department=nothing&sort=title").text
    assert "No one matches these filters." in none
    assert 'href="/admin/people?sort=title">Clear filters' in none
    client.close()


def test_bad_parameters_are_a_page_naming_the_choices(company: Company) -> None:
    seed(company, [{"department": "Eng"} for _ in range(3)])
    client = signed_in(company)
    cases = {
        "sort=salary": "sort must be one of name, email, department, title, start_date",
        "dir=up": "dir must be one of asc, desc",
        "size=7": "page size must be one of 25, 50, 100",
        "size=-1": "page size must be one of",
        "status=gone": "status must be one of active, deactivated, deleted",
        "source=ldap": "source must be one of scim, console, csv, cli, sso",
        "linked=maybe": "linked must be one of yes, no",
        "after=page5%40example.com": "start again from the first page",
        "after=WzEsMl0": "start again from the first page",  # [1,2]: not this sort's
        "before=%C3%A9%FF": "start again from the first page",
        "sort=start_date&after=" + cursor([0, "x", "id"]): "start again",  # not a date
        "sort=status&after=" + cursor([0, "a\x00b"]): "start again",
    }
    for query, message in cases.items():
        page = client.get(f"/admin/people?{query}")
        assert page.status_code == 400, query
        assert message in page.text.replace("&#39;", "'"), (query, page.text[:300])
    odd = [
        "q=" + "%25_" * 60,
        "department=%E2%80%8B",
        "manager=%27%3B--",
        "group=x" * 50,
        "location=%5C%25",
    ]
    for query in odd:
        assert client.get(f"/admin/people?{query}").status_code == 200, query
    client.close()


def test_a_filtered_sorted_page_is_a_bounded_number_of_statements(company: Company) -> None:
    boss = seed(company, [{"email": "boss@example.com"}])[0]
    seed(
        company,
        [{"department": "Eng", "manager_id": boss, "location": "Berlin"} for _ in range(230)],
    )
    client = signed_in(company)
    url = "/admin/people?department=eng&manager=boss%40example.com&location=ber&sort=title"
    statements = []
    for size in (25, 100):
        with count_queries(company) as texts:
            page = client.get(f"{url}&size={size}")
        assert len(ROW.findall(page.text)) == size
        statements.append(texts)
        with count_queries(company) as texts:
            following = client.get(link(page.text, "next") or "")
        assert len(ROW.findall(following.text)) == size
        statements.append(texts)
    # As many statements for 100 people as for 25: nothing runs once per person.
    assert len(statements[0]) == len(statements[2]) and len(statements[1]) == len(statements[3])
    for texts in statements:
        people_pages = [t for t in texts if "ORDER BY" in t and "people.manager_id IN" in t]
        assert len(people_pages) == 1, people_pages
    client.close()
