"""SCIM endpoints: parse, call the directory, render. Thin by design."""
