"""SCIM's rules (RFC 7643/7644 and Roster's): users, groups, filters, limits,
bad input, conformance."""
