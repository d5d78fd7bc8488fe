"""Ad sources: one module per kind. Each yields `SourceRecord`s: a dict or an error,
with where it came from, so one bad record never stops a batch.

Local files: `read_source(path)` picks the reader from the file's name (or, for XML
without a known extension and for JSON, from its first bytes). Configured sources (a
`[[source]]` of `sources.toml`, see corpora.sources.config): `read_configured` fetches
web kinds through the polite fetcher and reads file kinds, stamping each record with the
source's name, language and country. Readers are imported only when used, so importing
this package loads no parser.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal

from corpora.sources.record import SourceRecord

if TYPE_CHECKING:
    from corpora.sources.config import SourceConfig
    from corpora.sources.fetch import Fetcher

__all__ = ["SourceError", "SourceKind", "SourceRecord", "UnknownSourceError",
           "read_configured", "read_source", "source_kind"]

# Every kind a sources file may name; a local file's kind is told by `source_kind`.
SourceKind = Literal["rss", "html", "sitemap", "warc", "telegram", "jsonl", "csv"]

_EXTENSIONS: dict[str, SourceKind] = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
    ".csv": "csv",
    ".xml": "rss", ".rss": "rss", ".atom": "rss",
    ".warc": "warc", ".arc": "warc", ".warc.gz": "warc", ".arc.gz": "warc",
}
_SNIFF_BYTES = 512
_XML_STARTS = (b"<?xml", b"<rss", b"<feed", b"<rdf:rdf")


class SourceError(ValueError):
    """A whole source cannot be read (as opposed to one bad record in it)."""


class UnknownSourceError(SourceError):
    """The kind of a source cannot be told from its name or first bytes."""


def source_kind(path: str | Path) -> SourceKind:
    """Which reader a file needs: by extension, else XML sniffed from its first bytes; a
    `.json` file holding one pretty-printed object is a Telegram export.

    Raises SourceError for a URL, UnknownSourceError for a file of another kind and
    OSError when the file cannot be opened.
    """
    text = str(path)
    if "://" in text:
        raise SourceError(
            f"{text}: to fetch from the web, name it in a sources file (centinela scan "
            "--sources sources.toml); or save the feed or file locally and pass its path")
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; pass one file")
    name = path.name.lower()
    kind = _EXTENSIONS.get("".join(path.suffixes[-2:]).lower()) if name.endswith(".gz") \
        else _EXTENSIONS.get(path.suffix.lower())
    with path.open("rb") as stream:
        head = stream.read(_SNIFF_BYTES).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if kind == "jsonl" and head.startswith(b"["):
        raise SourceError(
            f"{path}: a JSON array; Centinela reads JSON Lines (one object per line), "
            "e.g. convert it with: jq -c '.[]'")
    if kind == "jsonl" and head.startswith(b"{") and head[1:].lstrip(b" \t").startswith(
            (b"\n", b"\r")):
        kind = "telegram"  # one object over many lines: not JSON Lines
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


def read_configured(source: SourceConfig, fetcher: Fetcher | None = None,
                    skip: Callable[[str], bool] = lambda key: False,
                    ) -> Iterator[SourceRecord]:
    """Records of a configured source, each stamped with the source's name (and its
    `lang` and `country` where the record gives none).

    Web kinds need a `fetcher` (one per scan); `skip(key)` leaves out items already done
    (item ids: feed entry ids, page URLs, Telegram message ids). Raises OSError or SourceError when
    a file source cannot be read at all; a feed or page that cannot be fetched is an
    error record instead, so the other sources and pages go on.
    """
    if source.kind in ("rss", "html", "sitemap"):
        if fetcher is None:
            raise ValueError(f"source {source.name!r} is fetched: pass a Fetcher")
        records = _fetched(source, fetcher, skip)
    else:
        assert source.path is not None  # checked when the sources file was loaded
        records = _read_and_close(source.kind, source.path.open("rb"), str(source.path), skip)
    for record in records:
        if record.data is not None:
            record.data["source"] = source.name
            for name in ("lang", "country"):
                if getattr(source, name) and not record.data.get(name):
                    record.data[name] = getattr(source, name)
        yield record


def _fetched(source: SourceConfig, fetcher: Fetcher,
             skip: Callable[[str], bool]) -> Iterator[SourceRecord]:
    if source.kind == "rss":
        from corpora.sources.rss import fetch_rss

        return fetch_rss(source, fetcher, skip)
    if source.kind == "html":
        from corpora.sources.html import fetch_html

        return fetch_html(source, fetcher, skip)
    from corpora.sources.sitemap import fetch_sitemap

    return fetch_sitemap(source, fetcher, skip)


def _read_and_close(kind: SourceKind, stream: BinaryIO, where: str,
                    skip: Callable[[str], bool] = lambda key: False,
                    ) -> Generator[SourceRecord, None, None]:
    with stream:
        if kind == "jsonl":
            from corpora.sources.jsonl import read_jsonl

            yield from read_jsonl(stream, where)
        elif kind == "csv":
            from corpora.sources.csv import read_csv

            yield from read_csv(stream, where)
        elif kind == "rss":
            from corpora.sources.rss import read_rss

            yield from read_rss(stream, where)
        elif kind == "warc":
            from corpora.sources.warc import read_warc

            yield from read_warc(stream, where, skip)
        elif kind == "telegram":
            from corpora.sources.telegram import read_telegram

            yield from read_telegram(stream, where, skip)
        else:
            raise SourceError(f"{where}: a {kind} source is fetched, not read from a file")
