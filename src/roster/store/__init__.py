"""Persistence: SQLAlchemy Core tables, filter AST -> SQL, paging, migrations.

Every function here takes the tenant as a required argument.
"""
