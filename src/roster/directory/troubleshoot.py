"""Troubleshooting: the common provisioning failures, looked for in this company's data
and provisioning log, each with what was found and what to do. Shared by the console's
Troubleshooting page and `roster doctor`.

The cases are 15Five's help-center articles for Okta (shared/reference): updates or
deprovisioning not working for some users; manager not syncing; start date or location
not syncing; custom attributes not syncing; email address already in use; "Resource
None not found"; and a connection that has gone quiet.

This module runs them all and sorts what they found, problems first. The checks on the
company's people are in troubleshoot_people.py, those on the identity provider's
requests in troubleshoot_requests.py; the Finding they report, troubleshoot_findings.py.
"""

from __future__ import annotations

from roster.directory.troubleshoot_findings import Finding
from roster.directory.troubleshoot_people import (
    custom_never_received,
    dates_and_location,
    managers_pending,
    not_linked,
)
from roster.directory.troubleshoot_requests import (
    attributes_not_kept,
    email_conflicts,
    quiet_connection,
    unknown_ids,
)
from roster.store import tenants as tenant_store
from roster.store.db import Database
from roster.store.tenants import Tenant

CHECKS = (
    email_conflicts,
    unknown_ids,
    not_linked,
    managers_pending,
    dates_and_location,
    custom_never_received,
    attributes_not_kept,
    quiet_connection,
)


async def diagnose(db: Database, tenant: Tenant) -> list[Finding]:
    async with db.read() as conn:
        fresh = await tenant_store.tenant_by_id(conn, tenant.id)
        assert fresh is not None
        findings = [await check(conn, fresh) for check in CHECKS]
    order = {"problem": 0, "warning": 1, "ok": 2}
    return sorted(findings, key=lambda f: order[f.severity])
