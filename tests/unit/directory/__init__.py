"""The directory's rules, called directly: no server."""
