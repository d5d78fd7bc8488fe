"""RSS and Atom feeds saved as files: one ad per entry (parsed by feedparser).

An entry's text is its title, a newline, then its content (or its description), with
HTML turned into plain text. `url` is the entry's link, `id` its guid (or its link),
`published_at` its published (or updated) time in UTC, `lang` the feed's language and
`source` the host of the feed's site.

A record's position is the entry's number in the feed (1-based). A malformed feed gives
one error record, at the XML line of the problem, and every entry that could still be
parsed comes through. `parse_rss` reads the bytes given; `fetch_rss` fetches a source's
feed through the polite fetcher first.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlsplit

from corpora.sources import SourceError
from corpora.sources.record import SourceRecord

if TYPE_CHECKING:
    from corpora.sources.config import SourceConfig
    from corpora.sources.fetch import Fetcher

DEFAULT_MAX_FEED_BYTES = 50_000_000

_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre",
    "section", "table", "td", "th", "tr", "ul",
})
_SKIPPED_TAGS = frozenset({"script", "style", "template"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_SPACES = re.compile(r"[^\S\n]+")  # any whitespace but a line break, &nbsp; included


def read_rss(stream: BinaryIO, where: str,
             max_feed_bytes: int = DEFAULT_MAX_FEED_BYTES) -> Iterator[SourceRecord]:
    """Yield one SourceRecord per entry of an RSS or Atom feed (plus one for a malformed feed).

    Raises SourceError when the feed is larger than `max_feed_bytes` (feedparser holds a
    feed in memory whole).
    """
    content = stream.read(max_feed_bytes + 1)
    if len(content) > max_feed_bytes:
        raise SourceError(f"{where}: feed is over the limit of {max_feed_bytes:,} bytes")
    yield from parse_rss(content, where)


def parse_rss(content: bytes, where: str) -> Iterator[SourceRecord]:
    """Records of a feed held in memory (see `read_rss`)."""
    import feedparser

    # Bytes, never a URL: feedparser would fetch a string that looks like one.
    parsed = feedparser.parse(bytes(content))
    if parsed.get("bozo"):
        yield _malformed_feed_record(where, parsed)
    feed = parsed.get("feed", {})
    lang = feed.get("language") or None
    source = urlsplit(feed.get("link") or "").hostname
    for position, entry in enumerate(parsed.get("entries", []), start=1):
        yield _record_from_entry(where, position, entry, lang, source)


def fetch_rss(source: SourceConfig, fetcher: Fetcher,
              skip: Callable[[str], bool] = lambda entry_id: False) -> Iterator[SourceRecord]:
    """Fetch a source's feed and yield its entries; a feed that cannot be fetched is one
    error record. `skip(id)` leaves out entries already done (a resumed scan)."""
    from corpora.sources.fetch import FetchError

    url = source.url or ""
    try:
        page = fetcher.get(url)
    except FetchError as exc:
        yield SourceRecord(url, 0, error=exc.reason)
        return
    for record in parse_rss(page.content, url):
        if record.data is not None:
            if skip(str(record.data.get("id", ""))):
                continue
            record.data.setdefault("fetched_at", page.fetched_at.isoformat())
        yield record


def strip_html(html: str) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, blocks on new lines."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def _malformed_feed_record(where: str, parsed: Any) -> SourceRecord:
    exc = parsed.get("bozo_exception")
    kept = len(parsed.get("entries", []))
    line = exc.getLineNumber() if hasattr(exc, "getLineNumber") else None
    detail = exc.getMessage() if hasattr(exc, "getMessage") else str(exc)  # SAX: no file:line
    if type(exc).__name__ == "CharacterEncodingOverride":
        problem = f"wrong encoding ({detail}); check the text of its entries"
    elif not parsed.get("version") and not kept:
        problem = f"not an RSS or Atom feed ({detail})"
    else:
        problem = f"malformed feed: {detail}"
    where_in_file = f" at line {line}" if line else ""
    return SourceRecord(where, line or 0, error=(
        f"{problem}{where_in_file}; {kept} entr{'y' if kept == 1 else 'ies'} could still be read"))


def _record_from_entry(where: str, position: int, entry: Any, lang: str | None,
                       source: str | None) -> SourceRecord:
    title = _plain_text(entry.get("title", ""), entry.get("title_detail"))
    body = ""
    for detail in [*entry.get("content", []), entry.get("summary_detail")]:
        if detail and detail.get("value"):
            body = _plain_text(detail["value"], detail)
            break
    if not body and entry.get("summary"):
        body = _plain_text(entry["summary"], None)
    text = "\n".join(part for part in (title, body) if part)
    if not text:
        return SourceRecord(where, position, error="entry has no title and no text")
    data: dict[str, Any] = {"text": text}
    link = entry.get("link")
    fields = {"id": entry.get("id") or link, "url": link, "title": title or None,
              "lang": lang, "source": source, "published_at": _entry_time(entry)}
    data.update({name: value for name, value in fields.items() if value})
    return SourceRecord(where, position, data=data)


def _plain_text(value: str, detail: Any) -> str:
    kind = (detail or {}).get("type", "text/html")
    return strip_html(value) if kind in _HTML_TYPES else value.strip()


def _entry_time(entry: Any) -> str | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    # feedparser gives UTC struct_time; timegm reads it as UTC.
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC).isoformat()
