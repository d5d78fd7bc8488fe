"""Alembic environment: migrates over the connection `migrate_store` hands in.

Run through `annotation.store.db.migrate_store` (every time the store opens) or
`python -m annotation.store.migrations` (to write a new migration); there is no
alembic.ini to keep in step.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, create_engine, pool, text

from annotation.store.tables import Base, UtcDateTime

# Any constant works: it only has to be the same for every process migrating one database.
_PG_MIGRATION_LOCK = 0x63656E74  # "cent"


def _render_item(kind: str, item: Any, autogen_context: Any) -> str | bool:
    """Write our column types in plain SQLAlchemy terms, so migrations never import tables.py."""
    if kind != "type":
        return False
    if isinstance(item, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    if type(item).__name__ == "JSON" and getattr(item, "_variant_mapping", None):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return ("sa.JSON(none_as_null=True).with_variant("
                "postgresql.JSONB(none_as_null=True), 'postgresql')")
    return False


def _configure(connection: Connection | None = None, **options: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_item=_render_item,
        render_as_batch=connection is not None and connection.dialect.name == "sqlite",
        compare_type=True,
        **options,
    )


def run_migrations_offline() -> None:
    """`--sql` mode: print the SQL for a DBA instead of running it."""
    _configure(url=context.config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"),
                           poolclass=pool.NullPool)
    with engine.begin() as connection:
        _run_on(connection)


def _run_on(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        _lock_for_migrating(connection)
        context.run_migrations()


def _lock_for_migrating(connection: Connection) -> None:
    """Two processes opening a new (or older) database at once: the second waits for the
    first, then reads the version it left and finds nothing left to do."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": _PG_MIGRATION_LOCK})
    elif connection.dialect.name == "sqlite" \
            and context.get_context().get_current_revision() != context.get_head_revision():
        # The write lock before the version is read again. pysqlite begins no transaction
        # for a SELECT or DDL, so without it each CREATE TABLE commits alone and both
        # processes create the same tables. Only when there is something to migrate, so
        # opening an up-to-date store (read-only, or while a scan writes) takes no lock.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
