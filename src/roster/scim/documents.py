"""Rendering helpers shared by resources: projection, list responses, preconditions,
paging."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from roster.model.query import AttrPath
from roster.model.versions import Precondition, etag, parse_tags
from roster.scim.errors import ScimError, invalid_value
from roster.scim.filters import parse_attr_path
from roster.scim.schema import LIST_RESPONSE, SEARCH_REQUEST

ALWAYS = {"id", "schemas"}
MAX_OFFSET = 2**62


def _paths(text: str | None) -> list[AttrPath]:
    if not text:
        return []
    return [
        parse_attr_path(part.strip(), invalid_value) for part in text.split(",") if part.strip()
    ]


def _key(obj: dict[str, Any], name: str) -> str | None:
    lname = name.lower()
    return next((k for k in obj if k.lower() == lname), None)


def _holder(doc: dict[str, Any], path: AttrPath, core_urn: str) -> dict[str, Any] | None:
    if path.urn is None or path.urn.lower() == core_urn.lower():
        return doc
    key = _key(doc, path.urn)
    value = doc.get(key) if key else None
    return value if isinstance(value, dict) else None


class Projection:
    """`attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5)."""

    def __init__(self, attributes: str | None, excluded: str | None, core_urn: str) -> None:
        self.include = _paths(attributes)
        self.exclude = _paths(excluded)
        self.core_urn = core_urn

    @property
    def identity(self) -> bool:
        return not self.include and not self.exclude

    def excludes(self, attr: str) -> bool:
        """True when a top-level core attribute is left out (so it need not be read)."""
        lattr = attr.lower()
        if self.include:
            return not any(p.attr.lower() == lattr and p.urn is None for p in self.include)
        return any(p.attr.lower() == lattr and p.urn is None and not p.sub for p in self.exclude)

    def apply(self, doc: dict[str, Any]) -> dict[str, Any]:
        if self.identity:
            return doc
        if self.include:
            out: dict[str, Any] = {k: v for k, v in doc.items() if k in ALWAYS}
            for path in self.include:
                self._copy(doc, out, path)
            return out
        out = dict(doc)
        for path in self.exclude:
            if path.urn is None and path.attr in ALWAYS:
                continue
            holder = out
            if path.urn is not None and path.urn.lower() != self.core_urn.lower():
                ext_key = _key(out, path.urn)
                if ext_key is None or not isinstance(out[ext_key], dict):
                    continue
                holder = out[ext_key] = dict(out[ext_key])
            key = _key(holder, path.attr)
            if key is None:
                continue
            value = holder[key]
            if path.sub and isinstance(value, dict):
                holder[key] = {k: v for k, v in value.items() if k.lower() != path.sub.lower()}
            elif path.sub and isinstance(value, list):
                holder[key] = [
                    {k: v for k, v in e.items() if k.lower() != path.sub.lower()}
                    for e in value
                    if isinstance(e, dict)
                ]
            else:
                holder.pop(key)
        return out

    def _copy(self, doc: dict[str, Any], out: dict[str, Any], path: AttrPath) -> None:
        src = _holder(doc, path, self.core_urn)
        if src is None:
            return
        key = _key(src, path.attr)
        if key is None:
            return
        value = src[key]
        if path.sub:
            if isinstance(value, dict):
                skey = _key(value, path.sub)
                if skey is None:
                    return
                value = {skey: value[skey]}
            elif isinstance(value, list):
                value = [
                    {k: v for k, v in e.items() if k.lower() == path.sub.lower()}
                    for e in value
                    if isinstance(e, dict)
                ]
        if src is doc:
            dst = out
        else:
            ext_key = _key(doc, path.urn or "") or (path.urn or "")
            dst = out.setdefault(ext_key, {})
        if isinstance(value, dict) and isinstance(dst.get(key), dict):
            dst[key].update(value)
        else:
            dst[key] = value


def list_response(
    resources: list[dict[str, Any]],
    *,
    total: int,
    start_index: int,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": len(resources),
    }
    if extra:
        body.update(extra)
    body["Resources"] = resources
    return body


def precondition(headers: Mapping[str, str]) -> Precondition | None:
    """If-Match and If-None-Match (RFC 7232 §3.1-3.2) of a request on one resource;
    None when it sent neither (the common case: no work beyond two header lookups)."""
    if_match = headers.get("if-match")
    if_none_match = headers.get("if-none-match")
    if if_match is None and if_none_match is None:
        return None
    return Precondition(
        None if if_match is None else parse_tags(if_match),
        None if if_none_match is None else parse_tags(if_none_match),
    )


def not_modified(version: int) -> Response:
    """304: the client's copy is current. The ETag again, no body and no representation
    metadata such as Content-Type (RFC 7232 §4.1)."""
    return Response(status_code=304, headers={"ETag": etag(version)})


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    if not raw or len(raw) > 64 or "\x00" in raw:
        raise ScimError(
            400,
            f"cursor {cursor!r} is not one this server issued; start again without it",
            "invalidCursor",
        )
    return raw


class Paging:
    """startIndex/count (1-based, RFC 7644 §3.4.2.4) or cursor/count (RFC 9865)."""

    def __init__(
        self,
        *,
        start_index: Any,
        count: Any,
        cursor: str | None,
        default_count: int,
        max_count: int,
    ) -> None:
        # Past any result (and within what the databases and JSON take): an empty page.
        self.start_index = min(max(1, _int(start_index, "startIndex", 1)), MAX_OFFSET)
        self.count = min(max(0, _int(count, "count", default_count)), max_count)
        self.cursor = cursor
        self.after_id = decode_cursor(cursor) if cursor is not None else None

    @property
    def offset(self) -> int:
        return 0 if self.cursor is not None else self.start_index - 1


def _int(value: Any, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise invalid_value(f"{name} must be an integer")
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise invalid_value(f"{name} must be an integer, got {value!r}") from None


def search_params(body: dict[str, Any]) -> dict[str, Any]:
    """A `POST /.search` body (RFC 7644 §3.4.3) -> the same parameters as a GET query."""
    schemas = body.get("schemas")
    if schemas is not None and SEARCH_REQUEST not in (schemas if isinstance(schemas, list) else []):
        raise invalid_value(f"a search body's schemas must be [{SEARCH_REQUEST!r}]")
    params = {k: v for k, v in body.items() if k != "schemas"}
    for key in ("attributes", "excludedAttributes"):
        if isinstance(params.get(key), list):
            params[key] = ",".join(str(v) for v in params[key])
    for key in ("filter", "sortBy", "sortOrder", "attributes", "excludedAttributes", "cursor"):
        if params.get(key) is not None and not isinstance(params[key], str):
            raise invalid_value(f"{key} must be a string")
    return params


class ListRequest:
    """What a list or search asks for: paging, projection, and the page size to fetch."""

    def __init__(
        self, params: dict[str, Any], *, core_urn: str, default_count: int, max_count: int
    ) -> None:
        self.params = params
        self.paging = Paging(
            start_index=params.get("startIndex"),
            count=params.get("count"),
            cursor=params.get("cursor"),
            default_count=default_count,
            max_count=max_count,
        )
        self.projection = Projection(
            params.get("attributes"), params.get("excludedAttributes"), core_urn
        )
        if self.paging.cursor is not None and (
            params.get("sortBy") or (params.get("sortOrder") or "").lower() == "descending"
        ):
            # Cursors continue after the last id in ascending id order.
            raise invalid_value(
                "sortBy and sortOrder=descending cannot be combined with cursor paging; "
                "page by index"
            )
        # One row more than asked tells whether there is a next page (count=0: totals only).
        self.cursor_paging = self.paging.cursor is not None and self.paging.count > 0

    @property
    def limit(self) -> int:
        return self.paging.count + 1 if self.cursor_paging else self.paging.count

    @property
    def start_index(self) -> int:
        return 1 if self.paging.cursor is not None else self.paging.start_index

    def trim(self, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The page's rows and, with cursor paging, the nextCursor."""
        if self.cursor_paging and len(rows) > self.paging.count:
            rows = rows[: self.paging.count]
            return rows, {"nextCursor": encode_cursor(rows[-1]["id"])}
        return rows, {}
