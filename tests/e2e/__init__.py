"""Tests through a live Roster over real HTTP, on SQLite and PostgreSQL."""
