"""Concurrency, faults, the database unavailable, isolation, secrets, limits."""
