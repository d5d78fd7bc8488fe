"""`centinela wording ...`: new phrases trainers accepted, published as a new rules
version (thin over pipelines.wording, annotation.learning.phrases and models.rules.learned)."""

from __future__ import annotations

from typing import Annotated

import typer

from pipelines.commands.database import DB_HELP, open_cli_store
from pipelines.settings import Settings
from pipelines.terminal import printable

wording_app = typer.Typer(
    help="New wording: phrases that rose in recent scans and that no rule covers; trainers "
         "accept or dismiss them in the web app, and accepted ones are published as a new "
         "rules version (indicators.rules.v2, v3, ...).",
    no_args_is_help=True)

DbOption = Annotated[str | None, typer.Option("--db", metavar="URL", help=DB_HELP)]


@wording_app.command("list")
def list_(status: Annotated[str, typer.Option(
              help="open, accepted, dismissed or all.")] = "open",
          lang: Annotated[str | None, typer.Option(help="es or pt.")] = None,
          db: DbOption = None) -> None:
    """List new phrases, highest G2 first, with their decision and rules version."""
    from rich.console import Console
    from rich.table import Table

    from annotation.learning.phrases import list_phrases

    if status not in ("open", "accepted", "dismissed", "all"):
        typer.echo("Error: --status is open, accepted, dismissed or all", err=True)
        raise typer.Exit(1)
    chosen = None if status == "all" else status
    with open_cli_store(db or Settings.from_env().db_url) as store, store.begin() as session:
        phrases = list_phrases(session, status=chosen, lang=lang)  # type: ignore[arg-type]
    table = Table(title=f"{len(phrases)} phrases", title_justify="left")
    for column in ("id", "lang", "phrase", "ads now / before", "G2", "status", "rules"):
        table.add_column(column, overflow="fold")
    for p in phrases:
        decided = p.status + (f" {p.indicator}" if p.indicator else "") + (
            f" by {p.decided_by}" if p.decided_by else "")
        table.add_row(str(p.id), p.lang, printable(p.surface or p.phrase),
                      f"{p.target_ads} / {p.reference_ads}", f"{p.llr:.1f}",
                      printable(decided), p.rule_file or "-")
    Console().print(table)


@wording_app.command("publish")
def publish(user: Annotated[str, typer.Option("--user", help="Your user name.")],
            db: DbOption = None) -> None:
    """Publish every accepted phrase not yet published as the next rules version.

    Writes CENTINELA_HOME/rules/indicators.rules.v<N>.yaml once (never edited: the next
    publish writes v<N+1>), with who accepted each phrase, when and from which ads; checks
    that each new phrase fires for its indicator on an ad it was found in; then scan with
    `centinela scan --model indicators.rules.v<N>`."""
    from annotation.accounts import PermissionDenied, require
    from models.rules.learned import LearnedRulesError
    from pipelines.wording import publish_accepted

    settings = Settings.from_env()
    with open_cli_store(db or settings.db_url, writable=True) as store, \
            store.begin() as session:
        try:
            actor = require(session, user, "wording.decide").name
            version = publish_accepted(session, actor=actor, home=settings.home)
        except (PermissionDenied, LearnedRulesError) as exc:
            typer.echo(f"Error: {printable(exc)}", err=True)
            raise typer.Exit(1) from None
    new = sum(1 for p in version.phrases if p.since == version.version)
    typer.echo(f"Published {version.name}: {new} new phrases, {len(version.phrases)} in all "
               f"({version.path}).")
