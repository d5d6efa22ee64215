"""roster.app's own functions."""
