"""/ServiceProviderConfig, /ResourceTypes and /Schemas, generated from the registry."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from roster.directory import set_receivers
from roster.model.registry import CORE_GROUP, CORE_USER, GROUP_SCHEMA, Schema
from roster.model.security_events import EVENT_URIS
from roster.scim.errors import not_found
from roster.scim.http import ERROR_RESPONSES, ScimResponse, scim_response
from roster.scim.routes.deps import Scim, ScimContext
from roster.scim.schema import LIST_RESPONSE, RESOURCE_TYPE_SCHEMA, SPC_SCHEMA

router = APIRouter(
    tags=["discovery"], default_response_class=ScimResponse, responses=ERROR_RESPONSES
)


def _list(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": len(resources),
        "startIndex": 1,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


@router.get("/ServiceProviderConfig")
async def service_provider_config(ctx: Scim) -> ScimResponse:
    s = ctx.settings
    # RFC 9967 §4: the SET events Roster pushes (RFC 8935) to the company's receivers,
    # no asynchronous requests; absent while it has none ("not currently configured"),
    # as clients whose SCIM models predate RFC 9967 refuse an attribute they do not know.
    security_events = {}
    if await set_receivers.configured(ctx.db, ctx.tenant):
        security_events["securityEvents"] = {"asyncRequest": "none", "eventUris": list(EVENT_URIS)}
    return scim_response(
        {
            "schemas": [SPC_SCHEMA],
            "documentationUri": "https://github.com/roster/roster/blob/main/docs/okta.md",
            "patch": {"supported": True},
            "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": True, "maxResults": s.max_page_size},
            # A password in PUT/PATCH becomes the product password while SSO is off.
            "changePassword": {"supported": True},
            "sort": {"supported": True},
            "etag": {"supported": True},
            "pagination": {
                "cursor": True,
                "index": True,
                "defaultPaginationMethod": "index",
                "defaultPageSize": s.default_page_size,
                "maxPageSize": s.max_page_size,
                # No cursorTimeout: it must be a positive number of seconds (RFC 9865),
                # and Roster's cursors (the last id seen) never expire.
            },
            **security_events,
            "authenticationSchemes": [
                {
                    "type": "oauthbearertoken",
                    "name": "Bearer token",
                    "description": "A token generated on Roster's Integrations page, sent "
                    "as 'Authorization: Bearer <token>'",
                    "primary": True,
                }
            ],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": f"{ctx.base_url}/ServiceProviderConfig",
            },
        }
    )


def _resource_types(ctx: ScimContext) -> list[dict[str, Any]]:
    return [
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "People in the company",
            "schema": CORE_USER,
            "schemaExtensions": [
                {"schema": ext.id, "required": False} for ext in ctx.schemas.extensions
            ],
            "meta": {
                "resourceType": "ResourceType",
                "location": f"{ctx.base_url}/ResourceTypes/User",
            },
        },
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Groups of people",
            "schema": CORE_GROUP,
            "schemaExtensions": [],
            "meta": {
                "resourceType": "ResourceType",
                "location": f"{ctx.base_url}/ResourceTypes/Group",
            },
        },
    ]


@router.get("/ResourceTypes")
async def resource_types(ctx: Scim) -> ScimResponse:
    return scim_response(_list(_resource_types(ctx)))


@router.get("/ResourceTypes/{name}")
async def resource_type(name: str, ctx: Scim) -> ScimResponse:
    for rt in _resource_types(ctx):
        if rt["id"].lower() == name.lower():
            return scim_response(rt)
    raise not_found("ResourceType", name)


def _schemas(ctx: ScimContext) -> list[Schema]:
    return [*ctx.schemas.all, GROUP_SCHEMA]


@router.get("/Schemas")
async def schemas(ctx: Scim) -> ScimResponse:
    return scim_response(_list([s.describe(ctx.base_url) for s in _schemas(ctx)]))


@router.get("/Schemas/{schema_id}")
async def schema(schema_id: str, ctx: Scim) -> ScimResponse:
    for s in _schemas(ctx):
        if s.id.lower() == schema_id.lower():
            return scim_response(s.describe(ctx.base_url))
    raise not_found("Schema", schema_id)
