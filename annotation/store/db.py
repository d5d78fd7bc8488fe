"""Opening the store: the engine, SQLite settings and migrations, run on every open.

`open_store(url)` takes a SQLAlchemy URL: `sqlite:///path/centinela.db` (the default,
one user) or `postgresql+psycopg://user@host/db` (teams). The schema is brought up to
date with Alembic each time, so nobody ever runs a migration by hand.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event, insert, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.dml import Insert

from annotation.store.faults import StoreError, damaged_message, describe_failure, retry_locked

MIGRATIONS_PATH = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class Store:
    """An open store. Use `with store.begin() as session:` for one transaction."""

    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """A session in a transaction, committed on success and rolled back on error."""
        with self.sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_store(url: str | URL, *, migrate: bool = True, verify: bool = True,
               **engine_options: Any) -> Store:
    """Connect to the store at `url`, creating a SQLite file's folder, and migrate it.

    With `verify`, a SQLite file is checked first (`PRAGMA quick_check`), so a damaged
    store is refused before anything is written to it. A damaged, unreadable or locked
    store raises StoreError with a message that says what to do (see
    annotation.store.faults). SQLite connections get WAL mode, a busy timeout and foreign
    keys. Extra keyword arguments go to `sqlalchemy.create_engine`. SQL parameters are
    kept out of logs and error messages, since they hold ad text.
    """
    url = make_url(url)
    engine_options.setdefault("hide_parameters", True)
    if url.get_backend_name() == "sqlite":
        engine = _create_sqlite_engine(url, engine_options)
    else:
        engine = create_engine(url, pool_pre_ping=True, **engine_options)
    try:
        if verify and _is_sqlite_file(url):
            _quick_check(engine)
        if migrate:
            retry_locked(lambda: migrate_store(engine))
    except DBAPIError as exc:
        engine.dispose()
        raise StoreError(describe_failure(exc)) from None
    except BaseException:
        engine.dispose()
        raise
    return Store(engine, sessionmaker(engine, expire_on_commit=False))


def check_writable(store: Store) -> None:
    """Raise StoreError unless the store takes writes now: not read-only, and not locked
    past the busy timeout and the retries. Writes nothing (a no-op update, rolled back)."""
    def probe() -> None:
        with store.engine.connect() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
            connection.rollback()

    try:
        retry_locked(probe)
    except DBAPIError as exc:
        raise StoreError(describe_failure(exc)) from None


def compact_store(store: Store, tables: Sequence[str] = ()) -> bool:
    """Rewrite the store's files so that removed or redacted values leave no bytes behind
    (after an erasure or a purge). Returns False when another program kept part of it.

    SQLite: the WAL is checkpointed and emptied, the file rebuilt with VACUUM (free pages
    and old row images go), and the WAL emptied again; False if another connection held
    the WAL open, so that old pages may remain until it closes and this runs again.
    PostgreSQL: VACUUM FULL of `tables` (a new copy of each; the old files are deleted).
    Backups, WAL archives and replicas are outside the store: see RESPONSIBLE_USE.md.
    """
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if store.engine.dialect.name == "sqlite":
            first = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
            connection.exec_driver_sql("VACUUM")
            last = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
            return not ((first and first[0]) or (last and last[0]))
        if store.engine.dialect.name == "postgresql":
            for table in tables:
                connection.execute(text(f'VACUUM FULL "{table}"'))
        return True


def migrate_store(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema to `revision` (normally the latest) with Alembic."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_PATH))
    # env.py migrates over this connection, so the URL (and any password in it) never goes
    # through Alembic's ConfigParser, which chokes on '%'.
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def insert_new(session: Session, table: Table, conflict_columns: Sequence[str]) -> Insert:
    """An INSERT that skips rows clashing with existing ones on `conflict_columns`.

    Race-free on SQLite and PostgreSQL (ON CONFLICT DO NOTHING); a plain INSERT
    elsewhere, where callers rely on having checked for existing rows first.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=list(conflict_columns))
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing(index_elements=list(conflict_columns))
    return insert(table)


def upsert(session: Session, table: Table, conflict_columns: Sequence[str],
           update_columns: Sequence[str]) -> Insert:
    """An INSERT that, on a clash on `conflict_columns`, updates `update_columns` of the
    existing row from the new one instead (SQLite and PostgreSQL: ON CONFLICT DO UPDATE)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:
        raise NotImplementedError(f"upsert is not available on {dialect}")
    statement = dialect_insert(table)
    return statement.on_conflict_do_update(
        index_elements=list(conflict_columns),
        set_={name: statement.excluded[name] for name in update_columns})


@contextmanager
def temporary_schema(pg_url: str | URL, prefix: str = "scratch") -> Iterator[str]:
    """A URL into a new, empty PostgreSQL schema on the server `pg_url` names (through
    the connection's search_path), dropped with everything in it on exit. For tests and
    benchmarks that must not touch anyone's tables."""
    schema = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = create_engine(pg_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _is_sqlite_file(url: URL) -> bool:
    database = url.database or ""
    return url.get_backend_name() == "sqlite" and database not in ("", ":memory:") \
        and "mode=memory" not in database


def _quick_check(engine: Engine) -> None:
    with engine.connect() as connection:
        found = [row[0] for row in connection.exec_driver_sql("PRAGMA quick_check(3)")]
    if found != ["ok"]:
        lines = [line for row in found for line in row.splitlines()
                 if line.strip() and not line.startswith("***")]
        raise StoreError(damaged_message("; ".join(lines)))


def _create_sqlite_engine(url: URL, engine_options: dict[str, Any]) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or "mode=memory" in database
    connect_args = dict(engine_options.pop("connect_args", {}))
    # Sessions are handed to one thread at a time (e.g. Prefect task threads).
    connect_args.setdefault("check_same_thread", False)
    if in_memory:
        # One shared connection, or every new connection would see an empty database.
        engine_options.setdefault("poolclass", StaticPool)
    elif not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args=connect_args, **engine_options)
    event.listen(engine, "connect", _configure_sqlite_connection)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()
