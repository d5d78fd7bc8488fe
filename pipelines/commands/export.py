"""`centinela export decisions`: reviewer decisions as JSONL or a Hugging Face dataset."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from pipelines.commands.database import DB_HELP, open_cli_store
from pipelines.commands.users import cli_actor
from pipelines.settings import Settings

export_app = typer.Typer(help="Export what people recorded (reviewer decisions).",
                         no_args_is_help=True)


class ExportFormat(str, Enum):
    jsonl = "jsonl"
    datasets = "datasets"


@export_app.command("decisions")
def decisions(
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="File (jsonl; default: standard output) or folder "
                               "(datasets, required).")] = None,
    format: Annotated[ExportFormat, typer.Option(
        "--format", help="jsonl: one decision per line; datasets: a Hugging Face dataset "
                         "folder (load it with datasets.load_from_disk).")] = ExportFormat.jsonl,
    history: Annotated[bool, typer.Option(
        "--history", help="Every decision, not only the latest one per ad.")] = False,
    raw_contacts: Annotated[bool, typer.Option(
        "--with-contacts", "--raw-contacts",
        help="Keep contact details as written (needs --user NAME of an admin; audited). "
             "By default they become pseudonyms.")] = False,
    user: Annotated[str | None, typer.Option(
        "--user", help="Who exports (needed for --with-contacts).")] = None,
    db: Annotated[str | None, typer.Option("--db", metavar="URL", help=DB_HELP)] = None,
) -> None:
    """Export reviewer decisions with their ads' ids, indicators and evidence spans.

    Each record has ad_id, lang, source, decision, reviewer, created_at, risk,
    model_sha256, indicators, evidence (indicator -> [{start, end, text}]) and note.
    Contact details (phones, e-mails, handles) in span texts and notes are replaced by
    the store's HMAC pseudonyms, such as [phone:3f9a...], unless an admin asks for
    --with-contacts.
    Offsets point into the stored ad text. Every export is written to the audit log.
    """
    from annotation.accounts import PermissionDenied, require
    from annotation.export import decisions_dataset, iter_decisions
    from annotation.store import record_audit

    if format is ExportFormat.datasets and output is None:
        raise typer.BadParameter("a datasets export needs -o FOLDER", param_hint="--output")
    settings = Settings.from_env()
    with open_cli_store(db or settings.db_url) as store:
        with store.begin() as session:
            actor = cli_actor()
            if raw_contacts or user:
                try:
                    needed = "decisions.export_raw" if raw_contacts else "decisions.export"
                    actor = require(session, user or "", needed).name
                except PermissionDenied as exc:
                    typer.echo(f"Error: {exc}", err=True)
                    raise typer.Exit(1) from None
            records = list(iter_decisions(session, settings.secret,
                                          raw_contacts=raw_contacts, history=history))
            record_audit(session, actor, "decisions.export", None, after={
                "records": len(records), "format": format.value, "history": history,
                "raw_contacts": raw_contacts})
    if format is ExportFormat.datasets:
        decisions_dataset(records).save_to_disk(str(output))
    else:
        stream = output.open("w", encoding="utf-8") if output else sys.stdout
        try:
            for record in records:
                stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        finally:
            if output:
                stream.close()
    typer.echo(f"Exported {len(records)} decision(s)"
               f"{' with raw contact details' if raw_contacts else ''}"
               f"{f' to {output}' if output else ''}.", err=True)
