"""`centinela annotate ...`: annotation batches from the command line (thin over
annotation.learning, like the web pages)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from pipelines.commands.database import DB_HELP, open_cli_store
from pipelines.settings import Settings
from pipelines.terminal import printable

if TYPE_CHECKING:
    from annotation.learning.selection import Thresholds

annotate_app = typer.Typer(
    help="Annotation batches for trainers: fill one with the active-learning policy, "
         "assign trainers, list batches and their agreement.",
    no_args_is_help=True)

DbOption = Annotated[str | None, typer.Option("--db", metavar="URL", help=DB_HELP)]
UserOption = Annotated[str, typer.Option("--user", help="Your user name (see `centinela "
                                                        "users list`).")]


@annotate_app.command("next-batch")
def next_batch(
    user: UserOption,
    size: Annotated[int, typer.Option("--size", min=1, max=5000,
                                      help="How many ads the batch holds.")] = 50,
    policy: Annotated[str, typer.Option(
        "--policy", help="Selection policy: mixed.v1 (uncertainty, detector disagreement "
                         "and random, across near-duplicate clusters), uncertainty.v1, "
                         "disagreement.v1 or random.v1.")] = "mixed.v1",
    name: Annotated[str | None, typer.Option(
        "--name", help="The batch's name (default: the policy and the date).")] = None,
    trainer: Annotated[list[str] | None, typer.Option(
        "--trainer", help="A trainer to assign; repeat for overlap (two or more trainers "
                          "give agreement figures).")] = None,
    pool: Annotated[int, typer.Option("--pool", min=1, help="How many of the newest "
                                      "assessed, unlabelled ads to choose from.")] = 5000,
    db: DbOption = None,
) -> None:
    """Fill a new batch from the assessed ads nobody labelled yet, and assign it.

    A fixed share of every batch (10%) comes from the evaluation slice, chosen by a hash
    of the ad id alone, so labelled slice ads stay a uniform sample for honest
    evaluation. Thresholds for uncertainty come from the latest trained model in
    CENTINELA_HOME (without one, 0.5 everywhere)."""
    from annotation.accounts import require
    from annotation.learning.batches import BatchError, create_batch, unlabelled_candidates
    from annotation.learning.selection import (
        UnknownPolicyError,
        available_policies,
        select_batch,
    )
    from corpora.records import utc_now

    if policy not in available_policies():
        _fail(f"unknown policy {policy!r}; available: {', '.join(available_policies())}")
    settings = Settings.from_env()
    thresholds = selection_thresholds(settings.home)
    with open_cli_store(db or settings.db_url, writable=True) as store, \
            store.begin() as session:
        actor = _allowed(session, require, user, "annotation.batches")
        for name_ in trainer or []:
            _allowed(session, require, name_, "annotation.label")
        candidates = unlabelled_candidates(session, thresholds, limit=pool)
        try:
            selection = select_batch(candidates, size, policy)
            batch_id = create_batch(
                session, selection, created_by=actor, trainers=trainer or [],
                name=name or f"{policy} {utc_now():%Y-%m-%d %H:%M}")
        except (BatchError, UnknownPolicyError) as exc:
            _fail(str(exc))
    reasons: dict[str, int] = {}
    for pick in selection.picks:
        reasons[pick.reason] = reasons.get(pick.reason, 0) + 1
    typer.echo(f"Batch {batch_id}: {len(selection.picks)} ads from a pool of "
               f"{len(candidates)} ({', '.join(f'{k} {v}' for k, v in sorted(reasons.items()))})"
               + (f", assigned to {', '.join(trainer)}" if trainer else
                  "; assign trainers with `centinela annotate assign`") + ".")


@annotate_app.command("assign")
def assign(batch_id: int, trainers: Annotated[list[str], typer.Argument(
               help="Trainers' user names.")], user: UserOption, db: DbOption = None) -> None:
    """Give a batch to more trainers (each labels every ad of it, blind)."""
    from annotation.accounts import require
    from annotation.learning.batches import BatchError, assign_trainers

    with open_cli_store(db or Settings.from_env().db_url, writable=True) as store, \
            store.begin() as session:
        actor = _allowed(session, require, user, "annotation.batches")
        for name in trainers:
            _allowed(session, require, name, "annotation.label")
        try:
            added = assign_trainers(session, batch_id, trainers, actor=actor)
        except BatchError as exc:
            _fail(str(exc))
    typer.echo(f"Batch {batch_id}: assigned to {', '.join(added)}." if added else
               f"Batch {batch_id}: every one of them was already assigned.")


@annotate_app.command("batches")
def batches(trainer: Annotated[str | None, typer.Option(
                "--trainer", help="Only the batches assigned to this trainer.")] = None,
            db: DbOption = None) -> None:
    """List batches, newest first, with each trainer's progress and agreement so far."""
    from rich.console import Console
    from rich.table import Table

    from annotation.learning.batches import list_batches
    from annotation.learning.reports import batch_agreement
    from corpora.taxonomy import load_taxonomy

    ids = load_taxonomy().ids
    with open_cli_store(db or Settings.from_env().db_url) as store, store.begin() as session:
        rows = [(b, batch_agreement(session, b.id, ids))
                for b in list_batches(session, trainer=trainer)]
    table = Table(title=f"{len(rows)} batches", title_justify="left")
    for column in ("id", "name", "policy", "ads", "answered", "mean alpha", "risk alpha",
                   "span F1 (overlap)", "disagreements (open)"):
        table.add_column(column, overflow="fold")
    for summary, report in rows:
        table.add_row(
            str(summary.id), printable(summary.name), summary.policy, str(summary.ads),
            ", ".join(f"{printable(t)} {n}" for t, n in sorted(summary.answered.items()))
            or "nobody assigned",
            _figure(report.mean_alpha), _figure(report.agreement.risk_alpha),
            _figure(report.agreement.spans.overlap_f1),
            f"{report.disagreements} ({report.open_disagreements})")
    Console().print(table)


def selection_thresholds(home: Path) -> dict[str, Thresholds]:
    """Decision thresholds of the latest trained ensemble and TF-IDF models in `home`,
    by detector key; empty when nothing is trained yet."""
    from annotation.learning.selection import Thresholds
    from models.artifact_registry import find_artifact
    from models.artifacts import NoTrainedModelError, models_root
    from models.ensemble.detector import NAME as ENSEMBLE_NAME
    from models.ensemble.detector import VERSION
    from models.ensemble.weights import load_ensemble_weights
    from models.tfidf.detector import NAME as TFIDF_NAME

    root = models_root(home)
    try:
        ensemble = load_ensemble_weights(find_artifact(ENSEMBLE_NAME, root))
        tfidf = find_artifact(TFIDF_NAME, root)
    except NoTrainedModelError:
        return {}
    return {
        f"{ENSEMBLE_NAME}.v{VERSION}": Thresholds(
            dict(zip(ensemble.labels, map(float, ensemble.thresholds), strict=True)),
            float(ensemble.risk_medium), float(ensemble.risk_high)),
        f"{TFIDF_NAME}.v{VERSION}": Thresholds(dict(tfidf.meta.config.get("thresholds", {}))),
    }


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _allowed(session, require, name: str, permission: str) -> str:  # type: ignore[no-untyped-def]
    from annotation.accounts import PermissionDenied

    try:
        return require(session, name, permission).name
    except PermissionDenied as exc:
        _fail(str(exc))


def _fail(message: str) -> NoReturn:
    typer.echo(f"Error: {printable(message)}", err=True)
    raise typer.Exit(1)
