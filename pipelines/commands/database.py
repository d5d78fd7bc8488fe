"""Opening the store from a command: the URL from --db or the settings, a clear error."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from annotation.store import Store

DB_HELP = ("SQLAlchemy URL of the store (default: CENTINELA_DB, else centinela.db in "
           "CENTINELA_HOME or your data folder).")


def open_cli_store(db_url: str) -> Store:
    """The store at `db_url`, created or migrated; exits with a message if it cannot open."""
    from sqlalchemy.exc import ArgumentError, OperationalError

    from annotation.store import open_store

    try:
        return open_store(db_url)
    except (ArgumentError, ImportError, OSError, OperationalError) as exc:
        reason = getattr(exc, "orig", None) or exc
        typer.echo(f"Error: cannot open the store at {masked_url(db_url)}: {reason}", err=True)
        raise typer.Exit(1) from None


def masked_url(db_url: str) -> str:
    """The URL with any password hidden, for messages."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(db_url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an invalid URL)"
