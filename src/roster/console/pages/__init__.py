"""The console's routes, one module per page."""

from __future__ import annotations

from fastapi import APIRouter

from roster.console.pages.admins import router as admins_router
from roster.console.pages.attributes import router as attributes_router
from roster.console.pages.auth import router as auth_router
from roster.console.pages.groups import router as groups_router
from roster.console.pages.home import OTHER_METHODS, fallback, overview, overview_other_methods
from roster.console.pages.integrations import router as integrations_router
from roster.console.pages.log import router as log_router
from roster.console.pages.people import router as people_router
from roster.console.pages.people_edit import router as people_edit_router
from roster.console.pages.people_export import router as people_export_router
from roster.console.pages.people_import import router as import_router
from roster.console.pages.set_password import router as set_password_router
from roster.console.pages.sso import router as sso_router
from roster.console.pages.troubleshooting import router as troubleshooting_router
from roster.console.pages.webhooks import router as webhooks_router

router = APIRouter(prefix="/admin", include_in_schema=False)
router.add_api_route("", overview, methods=["GET"])
router.add_api_route("", overview_other_methods, methods=OTHER_METHODS)
for sub in (
    auth_router,
    integrations_router,
    sso_router,
    webhooks_router,
    people_export_router,  # before people_router: /people/export.csv is not a person
    people_router,
    people_edit_router,
    import_router,
    groups_router,
    attributes_router,
    admins_router,
    set_password_router,
    log_router,
    troubleshooting_router,
    fallback,  # last: any other /admin path is the console's own 404 page
):
    router.include_router(sub)
