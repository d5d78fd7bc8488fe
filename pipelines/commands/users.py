"""`centinela users ...`: accounts for the review web app (thin over annotation.accounts)."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from pipelines.commands.database import DB_HELP, open_cli_store
from pipelines.settings import Settings

users_app = typer.Typer(
    help="Accounts for the review web app: add users, list them, change roles, disable "
         "accounts, set passwords. There is no default account: make the first admin with "
         "`centinela users add NAME --role admin`.",
    no_args_is_help=True)

DbOption = Annotated[str | None, typer.Option("--db", metavar="URL", help=DB_HELP)]
StdinOption = Annotated[bool, typer.Option(
    "--password-stdin", help="Read the password from standard input (one line) instead "
                             "of asking for it, for scripts.")]


def cli_actor() -> str:
    """Who the audit log names for changes made from the command line."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@users_app.command("add")
def add(name: Annotated[str, typer.Argument(help="User name: lower-case letters, digits, "
                                                 "'.', '_' or '-'.")],
        role: Annotated[str, typer.Option("--role", help="admin, analyst, trainer or "
                                                         "investigator.")],
        password_stdin: StdinOption = False, db: DbOption = None) -> None:
    """Add a user with a role. Asks for the password twice (at least 10 characters), or
    reads it from standard input with --password-stdin."""
    from annotation.accounts import AccountError, add_user

    password = _read_password(password_stdin)
    with open_cli_store(db or Settings.from_env().db_url) as store:
        try:
            with store.begin() as session:
                user = add_user(session, name, role, password, actor=cli_actor())
        except AccountError as exc:
            _fail(exc)
    typer.echo(f"Added {user.name} ({user.role}).")


@users_app.command("list")
def list_(db: DbOption = None) -> None:
    """List every account with its role and status."""
    from rich.console import Console
    from rich.table import Table

    from annotation.accounts import list_users

    with open_cli_store(db or Settings.from_env().db_url) as store, store.begin() as session:
        users = list_users(session)
    if not users:
        typer.echo("No user yet. Make the first admin with: centinela users add NAME --role admin")
        return
    table = Table("name", "role", "status", "created")
    for user in users:
        table.add_row(user.name, user.role, "active" if user.active else "disabled",
                      user.created_at.strftime("%Y-%m-%d"))
    Console().print(table)


@users_app.command("set-role")
def set_role_(name: str, role: str, db: DbOption = None) -> None:
    """Give a user another role (admin, analyst, trainer, investigator)."""
    from annotation.accounts import set_role

    user = _change(db, lambda session: set_role(session, name, role, actor=cli_actor()))
    typer.echo(f"{user.name} is now {user.role}.")


@users_app.command("disable")
def disable(name: str, db: DbOption = None) -> None:
    """Disable an account and sign it out everywhere (accounts are never deleted)."""
    from annotation.accounts import set_active

    _change(db, lambda session: set_active(session, name, False, actor=cli_actor()))
    typer.echo(f"{name} is disabled.")


@users_app.command("enable")
def enable(name: str, db: DbOption = None) -> None:
    """Enable a disabled account again."""
    from annotation.accounts import set_active

    _change(db, lambda session: set_active(session, name, True, actor=cli_actor()))
    typer.echo(f"{name} is enabled.")


@users_app.command("passwd")
def passwd(name: str, password_stdin: StdinOption = False, db: DbOption = None) -> None:
    """Set a new password for a user (signs them out everywhere)."""
    from annotation.accounts import set_password

    password = _read_password(password_stdin)
    _change(db, lambda session: set_password(session, name, password, actor=cli_actor()))
    typer.echo(f"New password set for {name}.")


def _change(db: str | None, change):  # type: ignore[no-untyped-def]
    from annotation.accounts import AccountError

    with open_cli_store(db or Settings.from_env().db_url) as store:
        try:
            with store.begin() as session:
                return change(session)
        except AccountError as exc:
            _fail(exc)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        _fail(ValueError("no password given"))
    return password


def _fail(exc: Exception) -> None:
    typer.echo(f"Error: {exc}", err=True)
    raise typer.Exit(1)
