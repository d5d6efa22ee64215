"""The `roster` command, run as a process."""
