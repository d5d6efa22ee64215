"""The events API: a company's events for downstream services (docs/events.md)."""
