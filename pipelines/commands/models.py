"""`centinela models list|promote|rollback`: the registered trained models and which one
the detectors use. Every change is audited in the store (evaluation.retrain)."""

from __future__ import annotations

from typing import Annotated

import typer

from pipelines.commands.database import DB_HELP, open_cli_store
from pipelines.settings import Settings

models_app = typer.Typer(
    help="Registered trained models (CENTINELA_HOME/models): list them, promote one to "
         "default, roll back to the previous default. The default is what detect, scan "
         "and serve load for a trained detector name such as indicators.ensemble.v1.",
    no_args_is_help=True)

NameOption = Annotated[str, typer.Option(
    "--name", help="Artifact name (indicators.ensemble; indicators.transformer).")]
DbOption = Annotated[str | None, typer.Option("--db", metavar="URL", help=DB_HELP)]
UserOption = Annotated[str, typer.Option(
    "--user", help="Your user name, for the audit log; needs the models.manage "
                   "permission (see `centinela users list`).")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why, for the audit log.")]


@models_app.command("list")
def list_command(name: NameOption = "indicators.ensemble") -> None:
    """Every registered version, oldest first: when, sha256, the default (*), former
    defaults (rollback targets), and the promotion gate's decision with its report."""
    from rich.console import Console
    from rich.table import Table

    from models.artifact_registry import ModelRegistry
    from models.artifacts import models_root

    registry = ModelRegistry(models_root(Settings.from_env().home))
    versions = registry.versions(name)
    if not versions:
        typer.echo(f"no {name} model registered under {registry.root}; run `centinela train`")
        raise typer.Exit(0)
    table = Table(title=f"{name} in {registry.root}")
    table.add_column("")
    table.add_column("version", no_wrap=True)
    table.add_column("created", overflow="fold")
    table.add_column("sha256", no_wrap=True)
    table.add_column("role", no_wrap=True)
    table.add_column("gate", overflow="fold")
    for entry in versions:
        decision = entry.decision or {}
        gate = ("promoted" if decision.get("promote") else "refused") + \
            f": {decision['reason']}" if decision else "–"
        table.add_row("*" if entry.is_default else "", entry.version,
                      entry.artifact.meta.created_at, entry.artifact.meta.sha256[:8],
                      "default" if entry.is_default else
                      ("former default" if entry.was_default else ""), gate)
    Console().print(table)


def _changed(action: str, db: str | None, user: str, reason: str, name: str,
             version: str | None = None) -> None:
    from annotation.accounts import PermissionDenied, require
    from evaluation import retrain
    from models.artifact_registry import RegistryError

    settings = Settings.from_env()
    with open_cli_store(db or settings.db_url, writable=True) as store:
        try:
            with store.begin() as session:
                actor = require(session, user, "models.manage").name
            if action == "promote":
                assert version is not None
                change = retrain.promote(store, settings.home, version, actor, reason, name)
            else:
                change = retrain.rollback(store, settings.home, actor, reason, name)
        except (PermissionDenied, RegistryError) as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from None
    moved = f" (with {', '.join(change.moved)})" if change.moved else ""
    typer.echo(f"{name}: default {change.previous or 'none'} -> {change.version}{moved}")


@models_app.command("promote")
def promote_command(version: Annotated[str, typer.Argument(help="Version (from `list`).")],
                    user: UserOption, reason: ReasonOption = "",
                    name: NameOption = "indicators.ensemble", db: DbOption = None) -> None:
    """Make a registered version the default by hand, bypassing the gate (audited)."""
    _changed("promote", db, user, reason, name, version)


@models_app.command("rollback")
def rollback_command(user: UserOption, reason: ReasonOption = "",
                     name: NameOption = "indicators.ensemble", db: DbOption = None) -> None:
    """Make the previous default the default again; the rolled-back version stays
    registered (audited)."""
    _changed("rollback", db, user, reason, name)
