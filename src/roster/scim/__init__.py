"""The SCIM 2.0 protocol (RFC 7643/7644) and the IdP dialects; knows no tables."""
