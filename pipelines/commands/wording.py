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
         "rules version (indicators.rules.v3, v4, ...).",
    no_args_is_help=True)

DbOption = Annotated[str | None, typer.Option("--db", metavar="URL", help=DB_HELP)]


@wording_app.command("find")
def find(days: Annotated[int, typer.Option(min=1, help="The recent window, in days.")] = 7,
         reference_days: Annotated[int, typer.Option(
             min=1, help="The earlier window compared with, in days before it.")] = 28,
         min_score: Annotated[float, typer.Option(
             min=0, max=1, help="Near-threshold ads: low-risk ads scored at least this "
                                "count too.")] = 0.25,
         min_ads: Annotated[int, typer.Option(min=2, help="A phrase must be in at least "
                                                          "this many recent ads.")] = 3,
         min_llr: Annotated[float, typer.Option(help="Least G2 (15.13: p = 0.0001).")] = 15.13,
         db: DbOption = None) -> None:
    """Find phrases that rose in recent scans and that no rule covers, per language, and
    keep them for trainers (the New wording page).

    Compares the flagged or near-threshold ads assessed in the last --days with those of
    the --reference-days before, by log-likelihood ratio G2 (Dunning 1993); the rules
    detector (indicators.rules.v1) tells which words are covered already. Decided
    phrases are never reopened."""
    from corpora.records import utc_now
    from models.registry import load_detector
    from pipelines.wording import find_wording

    settings = Settings.from_env()
    rules = load_detector("indicators.rules.v1", home=settings.home)
    with open_cli_store(db or settings.db_url, writable=True) as store, \
            store.begin() as session:
        runs = find_wording(session, rules, now=utc_now(), days=days,
                            reference_days=reference_days, min_score=min_score,
                            min_ads=min_ads, min_llr=min_llr)
    for run in runs:
        typer.echo(f"{run.lang}: {run.target_ads} recent ads against {run.reference_ads} "
                   f"earlier: {run.found} phrases ({run.new} new, {run.refreshed} refreshed)"
                   + ("; needs ads in both windows" if not (run.target_ads and
                                                           run.reference_ads) else "") + ".")


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
