"""Ad sources: one module per kind. Each yields `SourceRecord`s: a dict or an error,
with where it came from, so one bad record never stops a batch.

`read_source(path)` picks the reader from the file's extension (or, for XML without a
known extension, from its first bytes). Readers are imported only when used, so
importing this package loads no parser.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import BinaryIO, Literal

from corpora.sources.record import SourceRecord

__all__ = ["SourceError", "SourceKind", "SourceRecord", "UnknownSourceError",
           "read_source", "source_kind"]

SourceKind = Literal["jsonl", "csv", "rss"]

_EXTENSIONS: dict[str, SourceKind] = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
    ".csv": "csv",
    ".xml": "rss", ".rss": "rss", ".atom": "rss",
}
_SNIFF_BYTES = 512
_XML_STARTS = (b"<?xml", b"<rss", b"<feed", b"<rdf:rdf")


class SourceError(ValueError):
    """A whole source cannot be read (as opposed to one bad record in it)."""


class UnknownSourceError(SourceError):
    """The kind of a source cannot be told from its name or first bytes."""


def source_kind(path: str | Path) -> SourceKind:
    """Which reader a file needs: by extension, else XML sniffed from its first bytes.

    Raises SourceError for a URL, UnknownSourceError for a file of another kind and
    OSError when the file cannot be opened.
    """
    text = str(path)
    if "://" in text:
        raise SourceError(
            f"{text}: fetching from the network is not supported yet; save the feed or "
            "file locally and pass its path")
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; pass one file")
    kind = _EXTENSIONS.get(path.suffix.lower())
    with path.open("rb") as stream:
        head = stream.read(_SNIFF_BYTES).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if kind == "jsonl" and head.startswith(b"["):
        raise SourceError(
            f"{path}: a JSON array; Centinela reads JSON Lines (one object per line), "
            "e.g. convert it with: jq -c '.[]'")
    if kind is None and head.startswith(_XML_STARTS):
        kind = "rss"
    if kind is None:
        known = ", ".join(sorted(_EXTENSIONS))
        raise UnknownSourceError(
            f"{path}: unknown kind of source; use one of these extensions: {known}")
    return kind


def read_source(path: str | Path) -> Generator[SourceRecord, None, None]:
    """Open a source file and yield its records, closing the file when done (or when the
    generator is closed).

    Errors about the whole source (no such file, unknown kind, a CSV without a `text`
    column...) are raised as OSError or SourceError; a bad record is yielded as an error
    record and reading goes on. The kind and the opening are checked on call; the rest
    (e.g. a CSV header) when the first record is asked for.
    """
    kind = source_kind(path)
    stream = Path(path).open("rb")
    return _read_and_close(kind, stream, str(path))


def _read_and_close(kind: SourceKind, stream: BinaryIO,
                    where: str) -> Generator[SourceRecord, None, None]:
    with stream:
        if kind == "jsonl":
            from corpora.sources.jsonl import read_jsonl as reader
        elif kind == "csv":
            from corpora.sources.csv import read_csv as reader
        else:
            from corpora.sources.rss import read_rss as reader
        yield from reader(stream, where)
