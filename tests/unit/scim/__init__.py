"""The SCIM layer's own functions."""
