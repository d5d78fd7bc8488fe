"""WARC files (e.g. Common Crawl extracts), plain or gzipped, read as a stream (warcio).

Each `response` record of an HTML page that answered 200 becomes one ad (its main text
through `parse_html`); `conversion` and `resource` records of plain text (Common Crawl's
WET files) become one ad with that text. Requests, metadata, redirects and other types
are passed over. A record's position is its number in the file, its id the page's URL
and `raw_ref` its WARC-Record-ID. Gzip is undone by Python's `gzip`, which notices a truncated file
(warcio alone reads one as if it had ended there); a record cut short is an error too.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from typing import BinaryIO

from corpora.sources.html import HTML_TYPES, parse_content_type, parse_html
from corpora.sources.record import SourceRecord

DEFAULT_MAX_RECORD_BYTES = 5_000_000
_TEXT_TYPES = frozenset({"text/plain"})
_GZIP_MAGIC = b"\x1f\x8b"


def read_warc(stream: BinaryIO, where: str,
              skip: Callable[[str], bool] = lambda url: False, *,
              max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES) -> Iterator[SourceRecord]:
    """Yield one record per page of a WARC stream.

    A record over `max_record_bytes` or cut short is an error record and reading goes on
    where possible; a broken file (bad or truncated gzip, not WARC) gives one error record
    where it broke, and stops there. `skip(url)` passes over pages already done (a
    resumed scan) without parsing them.
    """
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    if _starts_with_gzip(stream):
        stream = _GzipStream(stream)  # type: ignore[assignment]
    position = 0
    try:
        for record in ArchiveIterator(stream, arc2warc=True):
            position += 1
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            if url and skip(url):
                continue
            found = _page_record(record, where, position, max_record_bytes)
            if found is not None:
                yield found
    except (ArchiveLoadFailed, OSError, EOFError, ValueError, AttributeError) as exc:
        # AttributeError: what warcio raises on a stream that ends inside a header.
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        yield SourceRecord(where, position + 1, error=(
            f"broken WARC data after record {position}, reading stopped ({detail})"))


def _page_record(record: object, where: str, position: int,
                 max_bytes: int) -> SourceRecord | None:
    headers = record.rec_headers  # type: ignore[attr-defined]
    kind = record.rec_type  # type: ignore[attr-defined]
    url = headers.get_header("WARC-Target-URI") or ""
    date = headers.get_header("WARC-Date")
    if kind == "response":
        http = record.http_headers  # type: ignore[attr-defined]
        if http is None or http.get_statuscode() != "200":
            return None
        media_type, charset = parse_content_type(http.get_header("Content-Type") or "")
        if media_type not in HTML_TYPES:
            return None
    elif kind in ("conversion", "resource"):
        media_type, charset = parse_content_type(headers.get_header("Content-Type") or "")
        if media_type not in _TEXT_TYPES | HTML_TYPES:
            return None
    else:
        return None
    content = record.content_stream().read(max_bytes + 1)  # type: ignore[attr-defined]
    if len(content) > max_bytes:
        return SourceRecord(where, position, error=(
            f"record for {url or 'a page'} is over the limit of {max_bytes:,} bytes"))
    if getattr(record.raw_stream, "limit", 0) > 0:  # type: ignore[attr-defined]
        return SourceRecord(where, position, error=(
            f"record for {url or 'a page'} is cut short (a truncated file?)"))
    if media_type in HTML_TYPES:
        found = parse_html(content, url, charset=charset, where=where, position=position)
    else:
        text = content.decode(charset or "utf-8", errors="replace").strip()
        if not text:
            return SourceRecord(where, position, error=f"record for {url or 'a page'} has no text")
        found = SourceRecord(where, position, data={"id": url or f"{where}#{position}",
                                                    "text": text, **({"url": url} if url else {})})
    if found.data is not None:
        found.data["raw_ref"] = headers.get_header("WARC-Record-ID") or f"{where}#{position}"
        if date:
            found.data["fetched_at"] = date
    return found


def _starts_with_gzip(stream: BinaryIO) -> bool:
    if hasattr(stream, "peek"):
        return stream.peek(2)[:2] == _GZIP_MAGIC
    head = stream.read(2)
    stream.seek(-len(head), 1)
    return head == _GZIP_MAGIC


class _GzipStream:
    """Gzip-decoded reads whose truncation is an OSError: warcio takes an EOFError (what
    `gzip` raises) for the normal end of the file. Data before the break is still given."""

    def __init__(self, raw: BinaryIO) -> None:
        self._gzip = gzip.GzipFile(fileobj=raw)
        self._broken = False

    def read(self, size: int = -1) -> bytes:
        wanted = size if size is not None and size >= 0 else 1 << 62
        chunks: list[bytes] = []
        got = 0
        while got < wanted and not self._broken:
            try:
                chunk = self._gzip.read1(min(wanted - got, 1 << 16))
            except EOFError:
                self._broken = True
                break
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        if self._broken and not chunks:
            raise OSError("the gzip data ends early (a truncated file?)")
        return b"".join(chunks)

    def tell(self) -> int:
        return self._gzip.tell()
