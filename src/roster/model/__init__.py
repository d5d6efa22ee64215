"""The domain's nouns, with no I/O: the attribute registry, people and groups as
commands ask for them, queries, values and errors. Imports nothing above it."""
