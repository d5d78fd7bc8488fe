"""JSON Lines: one JSON object per line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import BinaryIO

from corpora.sources.record import SourceRecord

DEFAULT_MAX_LINE_BYTES = 1_000_000
_BOM = b"\xef\xbb\xbf"


def read_jsonl(stream: BinaryIO, where: str,
               max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[SourceRecord]:
    """Yield one SourceRecord per non-blank line of a binary stream.

    A line that is too long, not UTF-8, not JSON or not an object becomes an error record;
    reading goes on with the next line. A too-long line is skipped without being held in
    memory whole. A UTF-8 byte-order mark at the start of a line (as editors on Windows
    write at the start of a file, and `cat` keeps between files) is ignored.
    """
    position = 0
    while True:
        raw = stream.readline(max_line_bytes + 1)
        if not raw:
            return
        position += 1
        if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
            size = len(raw)
            while raw and not raw.endswith(b"\n"):
                raw = stream.readline(1 << 20)
                size += len(raw)
            yield SourceRecord(where, position, error=(
                f"line is {size:,} bytes, over the limit of {max_line_bytes:,}"))
            continue
        if raw.startswith(_BOM):
            raw = raw[len(_BOM):]
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield SourceRecord(where, position, error=(
                f"not UTF-8 (byte {exc.start}); re-encode the file as UTF-8"))
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield SourceRecord(where, position, error=f"invalid JSON: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(data, dict):
            yield SourceRecord(where, position, error=(
                f"expected a JSON object, got {type(data).__name__}"))
            continue
        yield SourceRecord(where, position, data=data)
