"""The admin console: pages, browser, CSV import, sign-in, troubleshooting."""
