"""CSV with a header row: one ad per row, columns named like the record fields.

The header names the fields (`text` is required; `id`, `title`, `url`, `lang`, `country`,
`source`, `published_at`... are optional and other columns are kept as they are). Names
are matched without case or surrounding spaces. The delimiter (`,` or `;`, as spreadsheet
programs in Spanish and Portuguese locales write it) is sniffed from the header.

A record's position is the line where its row starts, so quoted texts spanning several
lines still point at the right place. A row that is not UTF-8, has more cells than the
header or has no text becomes an error record and reading goes on.

Quotes are read strictly. A quoted cell that never closes would otherwise swallow every
later row into one ad's text; instead that row is reported (unterminated quote, with its
line) and the lines after its first are read again as rows of their own. The same goes
for text after a closing quote (`"abc"def`) and for a cell over `MAX_CELL_CHARS`.
"""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Iterator
from typing import BinaryIO, TextIO

from corpora.sources import SourceError
from corpora.sources.record import SourceRecord

_DELIMITERS = ",;"
MAX_CELL_CHARS = 1_000_000  # as the JSON Lines reader's line limit
_BAD_BYTE = "\udc80"  # first lone surrogate that surrogateescape produces for a bad byte


def read_csv(stream: BinaryIO, where: str) -> Iterator[SourceRecord]:
    """Yield one SourceRecord per data row of a CSV file (UTF-8, optional BOM).

    Raises SourceError, before any record, when the file has no header or no `text`
    column: then no row could become an ad.
    """
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    header_line = text.readline()
    if not header_line.strip():
        raise SourceError(f"{where}: empty file; expected a header row naming the columns")
    if _has_bad_bytes(header_line):
        raise SourceError(f"{where}:1: the header is not UTF-8; re-save the file as UTF-8")
    delimiter = _sniff_delimiter(header_line)
    header = next(csv.reader([header_line], delimiter=delimiter))
    names = [name.strip().lower() for name in header]
    if "text" not in names:
        raise SourceError(
            f"{where}:1: no 'text' column; the header has: {', '.join(header) or '(nothing)'}")
    duplicated = sorted({name for name in names if name and names.count(name) > 1})
    if duplicated:
        raise SourceError(f"{where}:1: columns named more than once: {', '.join(duplicated)}")

    # The limit is process-wide in the csv module; raise it, never lower it.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL_CHARS))
    lines = _Lines(text, first_number=2)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    while True:
        lines.start_row()
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            position = lines.row_start()
            yield SourceRecord(where, position, error=_describe(exc, lines.row_length()))
            lines.read_again_after_first()
            continue
        if not any(cell.strip() for cell in row):
            continue
        yield _record_from_row(where, lines.row_start(), names, row)


class _Lines:
    """A text file's lines with their numbers, keeping those of the row being read, so that
    the lines after a broken row's first can be read again as rows of their own."""

    def __init__(self, text: TextIO, first_number: int) -> None:
        self._text = text
        self._number = first_number
        self._again: deque[tuple[int, str]] = deque()
        self._row: list[tuple[int, str]] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._again:
            item = self._again.popleft()
        else:
            line = self._text.readline()
            if not line:
                raise StopIteration
            item = (self._number, line)
            self._number += 1
        self._row.append(item)
        return item[1]

    def start_row(self) -> None:
        self._row.clear()

    def row_start(self) -> int:
        return self._row[0][0] if self._row else self._number

    def row_length(self) -> int:
        return len(self._row)

    def read_again_after_first(self) -> None:
        self._again.extendleft(reversed(self._row[1:]))


def _describe(exc: csv.Error, lines: int) -> str:
    if "unexpected end of data" in str(exc):
        return ("unterminated quote: the quoted cell that opens on this line never closes; "
                f"the {lines - 1} lines after it were read again as rows")
    if "expected after" in str(exc) and lines > 1:
        return ("unterminated quote: a quoted cell opens on this line and the next quote, "
                f"{lines - 1} lines further, is followed by other text; those lines were "
                "read again as rows")
    return f"unreadable CSV row: {exc}"


def _record_from_row(where: str, position: int, names: list[str],
                     row: list[str]) -> SourceRecord:
    if any(_has_bad_bytes(cell) for cell in row):
        return SourceRecord(where, position, error=(
            "not UTF-8; re-save the file as UTF-8 (in a spreadsheet: CSV UTF-8)"))
    if len(row) > len(names):
        return SourceRecord(where, position, error=(
            f"row has {len(row)} cells but the header names {len(names)} columns"))
    data = {name: cell for name, cell in zip(names, row, strict=False)  # short rows: fine
            if name and cell.strip()}
    if "text" not in data:
        return SourceRecord(where, position, error="row has no text")
    return SourceRecord(where, position, data=data)


def _sniff_delimiter(header_line: str) -> str:
    try:
        return csv.Sniffer().sniff(header_line, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return ","  # a single column: no delimiter to find


def _has_bad_bytes(value: str) -> bool:
    return any(_BAD_BYTE <= ch <= "\udcff" for ch in value)
