"""`centinela detect`: batch scoring of a JSONL file (CONTRACT.md §3)."""

from __future__ import annotations

import csv
import json
import re
import sys
from contextlib import ExitStack
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO, NoReturn, TextIO

import typer

from pipelines.settings import DEFAULT_MODEL, Settings

if TYPE_CHECKING:
    from corpora.taxonomy import Taxonomy
    from models.scoring import ScoredRecord

_PROGRESS_MIN_BYTES = 2_000_000
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_SURROGATES = re.compile("[\ud800-\udfff]")  # in a str, only ever lone ones


class OutputFormat(str, Enum):
    jsonl = "jsonl"
    csv = "csv"


def detect(
    input_path: Annotated[str, typer.Argument(
        metavar="INPUT", help="JSONL file of ads (one object per line with 'text'), or - for stdin.")],
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Write results here instead of stdout.")] = None,
    fmt: Annotated[OutputFormat, typer.Option(
        "--format", help="jsonl (the contract format) or csv (one row per ad, for spreadsheets).")]
        = OutputFormat.jsonl,
    model: Annotated[str | None, typer.Option(
        "--model", help="Registered detector name (default: CENTINELA_MODEL or "
                        f"{DEFAULT_MODEL}).")]
        = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Ads scored together.")] = 256,
    max_line_bytes: Annotated[int, typer.Option(
        min=1, help="Longer input lines are reported as errors, not scored.")] = 1_000_000,
    progress: Annotated[bool | None, typer.Option(
        "--progress/--no-progress",
        help="Progress bar on stderr (default: on for files over 2 MB when stderr is a terminal).")]
        = None,
) -> None:
    """Score job and migration ads for trafficking-recruitment indicators.

    Reads one JSON object per line. Each needs "text"; "id", "lang", "url", "source",
    "country", "published_at" and "title" are optional. A line without "id" gets a stable
    one (a hash of the text); "lang" other than es/pt, or a text in another language, is
    reported as "und" and not scored.

    Writes one JSON line per input line, in the same order: id, lang, risk (high, medium,
    low), score (0-1, higher = review sooner), indicators with evidence (end-exclusive
    character offsets into the exact input text) and IC-TIP-aligned hints, a one-sentence
    explanation per indicator, and the model that made it.

    A bad line (not JSON, no "text", "text" not a string, too long) does not stop the run:
    its output line is {"id": ..., "error": "..."}, the count of bad lines goes to stderr,
    and the exit code is non-zero only when every line failed.
    """
    from corpora.sources.jsonl import read_jsonl
    from corpora.taxonomy import load_taxonomy
    from models.artifacts import ArtifactError
    from models.registry import UnknownDetectorError, load_detector
    from models.scoring import assess_records

    with ExitStack() as stack:
        # Input and output are opened before the model loads (seconds): a wrong path fails
        # at once. The output file is created then, as a shell redirection would.
        stream, where, size = _open_input(input_path, stack)
        out = _open_output(output, stack)
        try:
            settings = Settings.from_env()
            detector = load_detector(model or settings.model, home=settings.home)
        except UnknownDetectorError as exc:
            raise typer.BadParameter(str(exc), param_hint="--model") from None
        except ArtifactError as exc:
            _fail(str(exc), code=2)
        taxonomy = load_taxonomy()
        show = progress if progress is not None else (
            size is not None and size > _PROGRESS_MIN_BYTES and sys.stderr.isatty())
        if show:
            from rich.console import Console
            from rich.progress import Progress

            bar = stack.enter_context(Progress(console=Console(stderr=True), transient=True))
            stream = stack.enter_context(bar.wrap_file(stream, total=size, description="detect"))
        write = _csv_writer(out) if fmt is OutputFormat.csv else _jsonl_writer(out)
        total = failed = 0
        try:
            for scored in assess_records(read_jsonl(stream, where, max_line_bytes), detector,
                                         batch_size):
                total += 1
                failed += scored.assessment is None
                write(output_line(scored, taxonomy))
            out.flush()
        except BrokenPipeError:
            raise  # the reader went away (e.g. `| head`): nothing to report
        except OSError as exc:  # a full disk, a failing device...
            _fail(f"cannot go on reading {where} or writing {output or 'the output'} "
                  f"after {total} lines: {exc.strerror or exc}", code=1)
    if failed:
        typer.echo(f"{failed} of {total} lines could not be scored (see their \"error\").",
                   err=True)
    if total and failed == total:
        raise typer.Exit(1)


def _open_input(input_path: str, stack: ExitStack) -> tuple[BinaryIO, str, int | None]:
    """The input stream, its name for messages and its size (None for stdin)."""
    if input_path == "-":
        if sys.stdin is None:
            _fail("standard input is closed; pass a file, or pipe the ads in", code=2)
        return sys.stdin.buffer, "<stdin>", None
    path = Path(input_path)
    if not path.is_file():
        raise typer.BadParameter(f"no such file: {path}", param_hint="INPUT")
    try:
        return stack.enter_context(path.open("rb")), str(path), path.stat().st_size
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror or exc}", code=2)


def _open_output(output: Path | None, stack: ExitStack) -> TextIO:
    if output is None:
        return sys.stdout
    if output.is_dir():
        _fail(f"cannot write {output}: it is a folder", code=2)
    if not output.parent.is_dir():
        _fail(f"cannot write {output}: no such folder {output.parent}", code=2)
    try:
        return stack.enter_context(output.open("w", encoding="utf-8", newline=""))
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}", code=2)


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def output_line(scored: ScoredRecord, taxonomy: Taxonomy) -> dict[str, Any]:
    """The CONTRACT §3 line of one scored record: its assessment, or its error."""
    from corpora.contract import assessment_record, error_record

    data = scored.record.data
    given = data.get("id") if data else None
    if scored.assessment is not None:
        # The id exactly as given (3 stays a number), or the stable one made for it.
        keep = isinstance(given, (str, int)) and not isinstance(given, bool) and given != ""
        return assessment_record(scored.assessment, taxonomy, given if keep else None)
    return error_record(given, scored.record.location, scored.problem or "unreadable")


def _jsonl_writer(out):
    def write(result: dict[str, Any]) -> None:
        line = json.dumps(result, ensure_ascii=False)
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate in an id given back exactly: JSON escapes keep it exact.
            line = json.dumps(result)
        out.write(line + "\n")
    return write


def _csv_writer(out):
    writer = csv.writer(out)
    writer.writerow(["id", "lang", "risk", "score", "indicators", "evidence", "explanation", "error"])

    def write(result: dict[str, Any]) -> None:
        indicators = result.get("indicators", [])
        writer.writerow([spreadsheet_cell(cell) for cell in (
            result.get("id"), result.get("lang", ""), result.get("risk", ""),
            result.get("score", ""), ";".join(i["id"] for i in indicators),
            " | ".join(f"{i['id']}: {e['text']}" for i in indicators for e in i["evidence"]),
            result.get("explanation", ""), result.get("error", ""),
        )])
    return write


def spreadsheet_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: one that would start a formula (=, +, -, @,
    tab, CR) gets a leading apostrophe (OWASP's advice), and a lone surrogate becomes
    U+FFFD. Numbers stay numbers."""
    if not isinstance(value, str):
        return value
    if value[:1] in _FORMULA_STARTS:
        value = "'" + value
    return _SURROGATES.sub("\ufffd", value)
