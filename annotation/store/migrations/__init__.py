"""Alembic migrations of the store; `annotation.store.db.migrate_store` runs them.

To write a new one after changing `tables.py` (from the repository root):

    python -m annotation.store.migrations revision "what changed"

which autogenerates `versions/NNNN_*.py` against a scratch SQLite database migrated to
the current head. Review it by hand before committing.
"""
