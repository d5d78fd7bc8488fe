"""`centinela queue ...`: the review queue from the command line (thin over
annotation.queue and annotation.decisions, like the web app)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pipelines.commands.database import DB_HELP, open_cli_store
from pipelines.settings import Settings
from pipelines.terminal import printable, printable_lines

if TYPE_CHECKING:
    from rich.text import Text

    from annotation.queue import AdReview, QueueFilters
    from corpora.records import Entity

queue_app = typer.Typer(
    help="The review queue: flagged ads in risk order, claimed one at a time, decided by "
         "a person (confirm, dismiss, escalate).",
    no_args_is_help=True)

DbOption = Annotated[str | None, typer.Option("--db", metavar="URL", help=DB_HELP)]
UserOption = Annotated[str, typer.Option("--user", help="Your user name (see `centinela "
                                                        "users list`).")]
Lang = Annotated[str | None, typer.Option(help="es or pt.")]
Risk = Annotated[str | None, typer.Option(help="high, medium or low (default: medium or high).")]
Indicator = Annotated[str | None, typer.Option(help="An indicator id, e.g. FEE_OR_DEBT.")]
Source = Annotated[str | None, typer.Option(help="The ads' source.")]
Country = Annotated[str | None, typer.Option(help="Country code, e.g. MX.")]
DateFrom = Annotated[str | None, typer.Option("--from", help="First date, YYYY-MM-DD.")]
DateTo = Annotated[str | None, typer.Option("--to", help="Last date, YYYY-MM-DD.")]
State = Annotated[str, typer.Option(help="open (not decided), confirm, dismiss, escalate "
                                         "or any.")]
_RISK_STYLES = {"high": "bold red", "medium": "yellow", "low": "green"}


@queue_app.command("list")
def list_(lang: Lang = None, risk: Risk = None, indicator: Indicator = None,
          source: Source = None, country: Country = None, date_from: DateFrom = None,
          date_to: DateTo = None, state: State = "open",
          page: Annotated[int, typer.Option(min=1)] = 1,
          per_page: Annotated[int, typer.Option(min=1, max=1000)] = 20,
          db: DbOption = None) -> None:
    """List queued ads, highest score first, with counts per decision state."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from annotation.queue import list_queue

    filters = _filters(locals())
    with open_cli_store(db or Settings.from_env().db_url) as store, store.begin() as session:
        listing = list_queue(session, filters, page=page, per_page=per_page)
    counts = ", ".join(f"{state} {count}" for state, count in listing.state_counts.items())
    table = Table(title=f"{listing.total} ads (page {listing.page} of {listing.pages}); "
                        f"{counts}", title_justify="left")
    for column in ("ad id", "risk hint", "score", "indicators", "lang", "source", "state"):
        table.add_column(column, overflow="fold")
    for item in listing.items:
        holder = item.leased_to()
        table.add_row(Text(printable(item.ad_id)),
                      Text(item.risk, style=_RISK_STYLES[item.risk]), f"{item.score:.2f}",
                      ", ".join(item.indicators) or "-", item.lang,
                      Text(printable(item.source)), f"with {holder}" if holder else item.state)
    Console().print(table)


@queue_app.command("show")
def show(ad_id: str, unmask: Annotated[bool, typer.Option(
             "--unmask", help="Show contact details (needs --user with that permission and "
                              "--reason; audited).")] = False,
         user: Annotated[str | None, typer.Option("--user", help="Your user name.")] = None,
         reason: Annotated[str, typer.Option(
             "--reason", help="Why you need the contact details (with --unmask; audited).")
         ] = "",
         db: DbOption = None) -> None:
    """Show one ad: its text (contact details masked), indicators with evidence spans,
    explanation, model and decisions."""
    from annotation.accounts import PermissionDenied
    from annotation.masking import UnmaskError, unmask_contacts
    from annotation.queue import load_review

    with open_cli_store(db or Settings.from_env().db_url) as store, store.begin() as session:
        try:
            if unmask:
                unmask_contacts(session, ad_id, user=user or "", reason=reason, via="cli")
        except (PermissionDenied, UnmaskError) as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from None
        review = load_review(session, ad_id)
    if review is None:
        typer.echo(f"Error: no ad with id {ad_id!r}", err=True)
        raise typer.Exit(1)
    _print_review(review, unmasked=unmask)


@queue_app.command("contact")
def contact(value: Annotated[str, typer.Argument(
                help="A phone number, e-mail or @handle ('-': read it from standard input).")],
            user: UserOption,
            reason: Annotated[str, typer.Option("--reason", help="Why (audited).")],
            country: Annotated[str | None, typer.Option(
                help="Region of a phone number written without its country code.")] = None,
            db: DbOption = None) -> None:
    """List the stored ads that hold a contact, found by its pseudonym (for an access
    request or a case). Needs a role that may unmask contacts and a reason; audited."""
    import sys

    from annotation.accounts import PermissionDenied
    from annotation.masking import UnmaskError, lookup_contact

    if value == "-":
        value = sys.stdin.readline().strip()
    settings = Settings.from_env()
    with open_cli_store(db or settings.db_url) as store, store.begin() as session:
        try:
            ad_ids = lookup_contact(session, value, user=user, reason=reason,
                                    key=settings.secret, country=country)
        except (PermissionDenied, UnmaskError) as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from None
    typer.echo(f"{len(ad_ids)} stored ad(s) hold this contact" + (":" if ad_ids else "."))
    for ad_id in ad_ids:
        typer.echo(printable(ad_id))


@queue_app.command("claim")
def claim(user: UserOption, lang: Lang = None, risk: Risk = None, indicator: Indicator = None,
          source: Source = None, country: Country = None, date_from: DateFrom = None,
          date_to: DateTo = None,
          minutes: Annotated[int, typer.Option(min=1, max=24 * 60,
                                               help="Lease length.")] = 20,
          db: DbOption = None) -> None:
    """Claim the next ad to review (a lease: nobody else gets it meanwhile) and show it."""
    from datetime import timedelta

    from annotation.accounts import require
    from annotation.queue import claim_next, load_review

    filters = _filters({**locals(), "state": "open"})
    with open_cli_store(db or Settings.from_env().db_url) as store:
        with store.begin() as session:
            _allowed(session, require, user, "queue.decide")
            ad_id = claim_next(session, user, filters, lease=timedelta(minutes=minutes))
        if ad_id is None:
            typer.echo("No ad left to review with these filters.")
            return
        with store.begin() as session:
            review = load_review(session, ad_id)
    typer.echo(f"Claimed {ad_id} for {minutes} minutes.")
    _print_review(review, unmasked=False)


@queue_app.command("decide")
def decide_(
    ad_id: str, user: UserOption,
    decision: Annotated[str, typer.Option("--decision", help="confirm, dismiss or escalate.")],
    add: Annotated[list[str] | None, typer.Option("--add", help="Indicator to add "
                                                               "(repeatable).")] = None,
    remove: Annotated[list[str] | None, typer.Option("--remove", help="Indicator to remove "
                                                                     "(repeatable).")] = None,
    span: Annotated[list[str] | None, typer.Option(
        "--span", help="New evidence for an indicator, IND:START-END[,START-END] "
                       "(end-exclusive character offsets; repeatable). IND: clears it.")] = None,
    risk: Annotated[str | None, typer.Option(help="Your risk (default: the model's).")] = None,
    note: Annotated[str, typer.Option(help="A note for the record.")] = "",
    db: DbOption = None,
) -> None:
    """Record a decision on an ad, starting from the model's indicators and spans.
    Decisions are appended; the latest one is the ad's state."""
    from annotation.accounts import require
    from annotation.decisions import DecisionError, build_decision, parse_offsets
    from annotation.queue import QueueError, decide, load_review

    with open_cli_store(db or Settings.from_env().db_url) as store:
        try:
            with store.begin() as session:
                _allowed(session, require, user, "queue.decide")
                review = load_review(session, ad_id)
                if review is None:
                    raise QueueError(f"no ad with id {ad_id!r}")
                spans = {}
                for given in span or []:
                    indicator, _, offsets = given.partition(":")
                    spans[indicator.strip()] = parse_offsets(offsets)
                made = build_decision(review, user, decision, add=add or [],
                                      remove=remove or [], spans=spans, risk=risk, note=note)
                revision = decide(session, made)
        except (DecisionError, QueueError) as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from None
    typer.echo(f"{made.decision} recorded for {ad_id}: "
               f"{', '.join(made.indicators or []) or 'no indicators'}, risk {made.risk}.")
    if revision is not None:
        typer.echo("The source has since sent a new text of this ad: "
                   f"{printable(revision)} is open for review.")


@queue_app.command("close")
def close(ad_id: str, user: UserOption, db: DbOption = None) -> None:
    """Close the case of a confirmed or escalated ad (admins): from now on, its text is
    kept for `[retention] closed_days` and then purged. A new decision reopens it."""
    from annotation.accounts import require
    from annotation.retention import CaseError, close_case

    with open_cli_store(db or Settings.from_env().db_url) as store:
        try:
            with store.begin() as session:
                _allowed(session, require, user, "cases.close")
                close_case(session, ad_id, actor=user)
        except CaseError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from None
    typer.echo(f"Closed the case of {ad_id}.")


@queue_app.command("import-decisions")
def import_decisions_(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=(
        "JSONL: one object per line with `ad` (id, lang, text, ...), `reviewer`, "
        "`decision`, `indicators`, `evidence` (indicator -> quotes of the text), `risk`, "
        "`note`; see corpora/corrections/README.md."))],
    db: DbOption = None,
) -> None:
    """Store ads and reviewer decisions made elsewhere, each appended and audited as a
    decision made here (a decision equal to an ad's latest is skipped). A bad line stops
    the import before anything is stored."""
    import json

    from annotation.learning.corrections import CorrectionFileError, import_decisions

    try:
        records = [(f"{path.name}:{n}", json.loads(line)) for n, line in
                   enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.strip()]
        with open_cli_store(db or Settings.from_env().db_url, writable=True) as store, \
                store.begin() as session:
            appended, unchanged = import_decisions(session, records)
    except (CorrectionFileError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        typer.echo(f"Error: {printable(str(exc))}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{appended} decisions stored, {unchanged} already there.")


def _filters(values: dict[str, object]) -> QueueFilters:
    from annotation.queue import QueueError, QueueFilters

    names = ("lang", "risk", "indicator", "source", "country", "date_from", "date_to", "state")
    try:
        return QueueFilters.from_params({name: str(values.get(name) or "") for name in names})
    except QueueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _allowed(session, require, name: str, permission: str) -> str:  # type: ignore[no-untyped-def]
    from annotation.accounts import PermissionDenied

    try:
        return require(session, name, permission).name
    except PermissionDenied as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None


def _print_review(review: AdReview, *, unmasked: bool) -> None:
    from rich.console import Console
    from rich.text import Text

    from annotation.masking import find_contact_details

    console = Console()
    ad, assessment = review.ad, review.assessment
    text = Text(printable_lines(ad.text))
    for hit in assessment.hits if assessment else []:
        for evidence in hit.evidence:
            text.stylize("bold underline", evidence.start, evidence.end)
    if not unmasked:
        text = _masked(text, find_contact_details(ad.text, ad.country))
    console.print(Text.assemble((printable(ad.id), "bold"), f"  {ad.lang}  ",
                                printable(ad.source), "  ", printable(ad.url or ""),
                                "  (contact details masked)" if not unmasked
                                else "  (contact details shown; audited)"))
    console.print(text)
    if assessment:
        console.print(Text.assemble(
            ("risk hint ", "dim"), (assessment.risk, _RISK_STYLES[assessment.risk]),
            f"  score {assessment.score:.2f}  model {assessment.model.name} "
            f"v{assessment.model.version}"))
        for hit in assessment.hits:
            spans = ", ".join(f"{e.start}-{e.end}" for e in hit.evidence) or "no span"
            console.print(Text(f"  {hit.id} ({hit.strength}, {hit.score:.2f}, "
                               f"{hit.detector}): {spans}"))
    state = review.item.state if review.item else "not queued"
    console.print(Text(f"state: {state}; decisions: {len(review.decisions)}"))
    for decision in review.decisions:
        console.print(Text(f"  {decision.created_at:%Y-%m-%d %H:%M} {decision.reviewer} "
                           f"{decision.decision} {', '.join(decision.indicators or [])}"))


def _masked(text: Text, contacts: list[Entity]) -> Text:
    from rich.text import Text

    from annotation.masking import MASK_LABELS

    masked = Text()
    position = 0
    for contact in contacts:
        masked.append_text(text[position:contact.span.start])
        masked.append(f"[{MASK_LABELS[contact.kind]}]", style="dim")
        position = contact.span.end
    masked.append_text(text[position:])
    return masked
