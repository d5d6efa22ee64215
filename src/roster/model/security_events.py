"""Security Event Tokens in the domain's words: which of Roster's event types is told as
which SCIM event (RFC 9967, "SCIM Profile for Security Event Tokens", published from
draft-ietf-scim-events-16, whose section numbers are cited here).

| Roster event            | SET event URI (RFC 9967 §2.4)                  | payload      |
|-------------------------|------------------------------------------------|--------------|
| person.created          | urn:ietf:params:scim:event:prov:create:full    | data: User   |
| person.restored         | urn:ietf:params:scim:event:prov:create:full    | data: User   |
| person.updated          | urn:ietf:params:scim:event:prov:patch:full     | data: PatchOp|
| person.deactivated      | urn:ietf:params:scim:event:prov:deactivate     | {}           |
| person.reactivated      | urn:ietf:params:scim:event:prov:activate       | {}           |
| person.deleted          | urn:ietf:params:scim:event:prov:delete         | {}           |
| group.created           | urn:ietf:params:scim:event:prov:create:full    | data: Group  |
| group.updated           | urn:ietf:params:scim:event:prov:patch:full     | data: PatchOp|
| group.members_added     | urn:ietf:params:scim:event:prov:patch:full     | data: PatchOp|
| group.members_removed   | urn:ietf:params:scim:event:prov:patch:full     | data: PatchOp|
| group.deleted           | urn:ietf:params:scim:event:prov:delete         | {}           |

Not told as SETs: person.manager_changed (the manager is in that change's
person.updated PatchOp already), and the events about no SCIM resource
(scim.token_created, scim.token_revoked, sso.configured). Every update is a PATCH event
whatever door made it (SCIM PUT or PATCH, the console, CSV): its data is the equivalent
PatchOp (§2.2 "data": "the equivalent SCIM command processed"), which §5 recommends
over PUT events; put:* is not issued. Only "full" events are issued (§2.4: the data
attribute present, the URI ends in "full").
"""

from __future__ import annotations

PREFIX = "urn:ietf:params:scim:event:prov"
CREATE = f"{PREFIX}:create:full"  # §2.4.1
PATCH = f"{PREFIX}:patch:full"  # §2.4.2
DELETE = f"{PREFIX}:delete"  # §2.4.4
ACTIVATE = f"{PREFIX}:activate"  # §2.4.5
DEACTIVATE = f"{PREFIX}:deactivate"  # §2.4.6

SET_EVENT = {
    "person.created": CREATE,
    "person.restored": CREATE,
    "person.updated": PATCH,
    "person.deactivated": DEACTIVATE,
    "person.reactivated": ACTIVATE,
    "person.deleted": DELETE,
    "group.created": CREATE,
    "group.updated": PATCH,
    "group.members_added": PATCH,
    "group.members_removed": PATCH,
    "group.deleted": DELETE,
}
# What ServiceProviderConfig's securityEvents.eventUris lists (RFC 9967 §4).
EVENT_URIS = tuple(dict.fromkeys(SET_EVENT.values()))
SET_TYPES = tuple(SET_EVENT)  # Roster's types a receiver can take


def types_for(names: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Roster's event types meant by a receiver's `--event` names: a SET event URI (all
    the Roster types told as it) or a Roster type told as a SET. Raises ValueError with
    the first name that is neither."""
    out: list[str] = []
    for name in names:
        if name in SET_EVENT:
            out.append(name)
        elif name in EVENT_URIS:
            out += [t for t, uri in SET_EVENT.items() if uri == name]
        else:
            raise ValueError(name)
    return tuple(dict.fromkeys(out))
