"""The Python HTTP ceiling: a bare Starlette endpoint under uvicorn (the same uvicorn,
uvloop and httptools as Roster) that returns a ~1 KB SCIM user document, serialized
per request. Nothing Roster does can be faster than this on the same machine.

    .venv/bin/uvicorn --app-dir bench ceiling_app:app --workers 1
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

USER = {
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    ],
    "id": "0193a1d2-7c4e-7b1a-9f3e-2b8c4d5e6f70",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "userName": "user1234@bench.example",
    "name": {"givenName": "Given", "familyName": "Bench", "formatted": "Given Bench"},
    "displayName": "Given Bench",
    "title": "Engineer",
    "locale": "en-US",
    "timezone": "Europe/Paris",
    "active": True,
    "emails": [{"value": "user1234@bench.example", "primary": True, "type": "work"}],
    "phoneNumbers": [{"value": "+1 555 0100", "type": "work"}],
    "groups": [],
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
        "employeeNumber": "1234",
        "department": "Research",
        "costCenter": "CC-7",
        "organization": "Bench Inc",
    },
    "meta": {
        "resourceType": "User",
        "created": "2026-11-28T18:00:00.000000+00:00",
        "lastModified": "2026-11-28T18:00:00.000000+00:00",
        "location": "http://127.0.0.1:8000/scim/v2/Users/0193a1d2-7c4e-7b1a-9f3e-2b8c4d5e6f70",
        "version": 'W/"1"',
    },
}


async def user(request: Request) -> JSONResponse:
    return JSONResponse(
        {**USER, "id": request.path_params["person_id"]},
        media_type="application/scim+json",
        headers={"ETag": 'W/"1"'},
    )


app = Starlette(routes=[Route("/scim/v2/Users/{person_id}", user)])
