"""Opening the store from a command: the URL from --db or the settings, a clear error."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from annotation.store import Store

DB_HELP = ("SQLAlchemy URL of the store (default: CENTINELA_DB, else centinela.db in "
           "CENTINELA_HOME or your data folder).")


def open_cli_store(db_url: str, *, writable: bool = False) -> Store:
    """The store at `db_url`, created or migrated (and, with `writable`, checked to take
    writes now); exits with one line saying what is wrong if it cannot be used (a damaged,
    foreign, read-only or locked store: see annotation.store.faults)."""
    from sqlalchemy.exc import ArgumentError, OperationalError

    from annotation.store import check_writable, open_store

    try:
        store = open_store(db_url)
    except (ArgumentError, ImportError, OSError, OperationalError) as exc:
        fail_store(db_url, exc)
    if writable:
        try:
            check_writable(store)
        except OSError as exc:
            store.close()
            fail_store(db_url, exc)
    return store


def fail_store(db_url: str, exc: Exception) -> NoReturn:
    """Exit with one line: which store, and what is wrong with it."""
    from pipelines.terminal import printable

    reason = getattr(exc, "orig", None) or exc
    typer.echo(f"Error: cannot open the store at {printable(masked_url(db_url))}: "
               f"{printable(reason)}", err=True)
    raise typer.Exit(1) from None


def masked_url(db_url: str) -> str:
    """The URL with any password hidden, for messages."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(db_url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an invalid URL)"
