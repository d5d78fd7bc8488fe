"""`centinela erase` and `centinela purge`: erasure requests and the retention policy
(thin over annotation.erasure and annotation.retention)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from pipelines.commands.database import DB_HELP, open_cli_store
from pipelines.commands.users import cli_actor
from pipelines.settings import Settings

DbOption = Annotated[str | None, typer.Option("--db", metavar="URL", help=DB_HELP)]


def erase(
    reason: Annotated[str, typer.Option(
        "--reason", help="Why (e.g. the request's reference); written to the audit log. "
                         "Do not write the person's details here.")],
    ad: Annotated[str | None, typer.Option("--ad", metavar="ID", help="The ad to erase.")] = None,
    contact: Annotated[str | None, typer.Option(
        "--contact", metavar="VALUE",
        help="A phone number, e-mail or @handle: every ad holding it is erased. '-' reads "
             "it from standard input (keeps it out of the shell history).")] = None,
    country: Annotated[str | None, typer.Option(
        help="Region of a phone number written without its country code, e.g. CO.")] = None,
    db: DbOption = None,
) -> None:
    """Erase an ad, or every ad holding a contact, on a person's request.

    Removes the ads' text, title and URL (and the quotes of them in assessments,
    decisions, labels and the audit log), the contact's details in every other ad and
    note, then compacts the database so that no old copy stays in its files. Ids, scores,
    indicators, decisions and pseudonyms stay. Writes one audit row with the reason and
    the counts.
    """
    from annotation.erasure import ERASED_TABLES, ErasureError, erase_ad, erase_contact
    from annotation.store import compact_store

    if (ad is None) == (contact is None):
        raise typer.BadParameter("give exactly one of --ad ID or --contact VALUE")
    if contact == "-":
        contact = sys.stdin.readline().strip()
    settings = Settings.from_env()
    with open_cli_store(db or settings.db_url, writable=True) as store:
        try:
            with store.begin() as session:
                if ad is not None:
                    done = erase_ad(session, ad, actor=cli_actor(), reason=reason,
                                    key=settings.secret)
                else:
                    done = erase_contact(session, contact or "", actor=cli_actor(),
                                         reason=reason, key=settings.secret, country=country)
        except ErasureError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from None
        compacted = compact_store(store, ERASED_TABLES)
    counts = done.as_dict()
    typer.echo(f"Erased {done.ads_erased} ad(s); removed the contact from "
               f"{done.ads_contacts_removed} other ad(s).")
    typer.echo("Rows rewritten: " + ", ".join(f"{name} {value}" for name, value in counts.items()
                                              if name not in ("ads_erased",
                                                              "ads_contacts_removed")))
    if not compacted:
        typer.echo("Warning: another program holds the database open, so its write-ahead "
                   "log still holds old pages; close it (e.g. `centinela serve`) and run "
                   "`centinela purge` to compact the files.", err=True)


_STATE_NAMES = {"unflagged": "never flagged", "dismissed": "dismissed", "closed": "closed cases"}
_KEPT_NAMES = {"open": "waiting for a decision", "case_not_closed": "cases not closed",
               "not_due": "not due yet", "undated": "without a date"}


def purge_command(
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Count what is due now; change nothing.")] = False,
    db: DbOption = None,
) -> None:
    """Apply the retention policy (`[retention]` in the settings file; see the README).

    Redacts the text, title and URL of ads whose days are over (never flagged, dismissed,
    or confirmed/escalated and closed by an admin), with every quote of them, or only
    their contact details when `contact_days` is shorter. Keeps ids, hashes, scores,
    indicator ids, decisions, audit rows, MinHash signatures and pseudonyms. Writes one
    audit row with the counts, then compacts the database.
    """
    from annotation.retention import PURGED_TABLES, STATES, purge
    from annotation.store import compact_store
    from pipelines.settings import SettingsError

    settings = Settings.from_env()
    try:
        policy = settings.retention
    except SettingsError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None
    with open_cli_store(db or settings.db_url, writable=not dry_run) as store:
        with store.begin() as session:
            done = purge(session, policy, actor=cli_actor(), dry_run=dry_run)
        compacted = dry_run or compact_store(store, PURGED_TABLES)
    contacts = ("as long as the text" if policy.contact_days is None
                else f"{policy.contact_days} days at most")
    typer.echo(f"Retention: never flagged {policy.unflagged_days} days, dismissed "
               f"{policy.dismissed_days}, closed cases {policy.closed_days} after closing; "
               f"contact details {contacts}.")
    verb = "Would redact" if dry_run else "Redacted"
    plan = done.plan
    for what, due in (("the text of", plan.text), ("only the contact details of",
                                                   plan.contacts)):
        total = sum(len(ids) for ids in due.values())
        typer.echo(f"{verb} {what} {total} ad(s): " + ", ".join(
            f"{_STATE_NAMES[state]} {len(due[state])}" for state in STATES) + ".")
    typer.echo("Kept: " + (", ".join(f"{_KEPT_NAMES[reason]} {count}"
                                     for reason, count in sorted(plan.kept.items()))
                           or "nothing else") + ".")
    if not compacted:
        typer.echo("Warning: another program holds the database open, so its write-ahead "
                   "log still holds old pages; close it and run `centinela purge` again.",
                   err=True)
