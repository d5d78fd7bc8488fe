"""CSV with a header row: one ad per row, columns named like the record fields.

The header names the fields (`text` is required; `id`, `title`, `url`, `lang`, `country`,
`source`, `published_at`... are optional and other columns are kept as they are). Names
are matched without case or surrounding spaces. The delimiter (`,` or `;`, as spreadsheet
programs in Spanish and Portuguese locales write it) is sniffed from the header.

A record's position is the line where its row starts, so quoted texts spanning several
lines still point at the right place. A row that is not UTF-8, has more cells than the
header or has no text becomes an error record and reading goes on.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import BinaryIO

from corpora.sources import SourceError
from corpora.sources.record import SourceRecord

_DELIMITERS = ",;"
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

    reader = csv.reader(text, delimiter=delimiter)
    line_before = 1  # reader.line_num counts from the line after the header
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield SourceRecord(where, line_before + 1, error=f"unreadable CSV row: {exc}")
            line_before = 1 + reader.line_num
            continue
        position, line_before = line_before + 1, 1 + reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        yield _record_from_row(where, position, names, row)


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
