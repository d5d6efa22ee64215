"""Roster: the people directory and the door through which a company's IdP manages it."""

__version__ = "0.1.0"
