"""HTML pages: one ad per page, its main text found by trafilatura (menus, footers and
ads around it left out).

`parse_html` is pure (bytes in, one record out); `fetch_html` fetches a source's pages
through the polite fetcher. The page's encoding comes from the HTTP header, else from the
page's own `<meta charset>`, else UTF-8, else Windows-1252 (a superset of Latin-1, what
old Spanish and Portuguese sites without a declaration use).
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from email.message import Message
from typing import TYPE_CHECKING, Any

from corpora.sources.record import SourceRecord

if TYPE_CHECKING:
    from corpora.sources.config import SourceConfig
    from corpora.sources.fetch import Fetcher

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)
_HTML_LANG = re.compile(r"""<html[^>]*?\slang\s*=\s*["']?([a-zA-Z]{2,3})""", re.IGNORECASE)
_SNIFF_BYTES = 4096
_WORD = re.compile(r"[^\W\d_]{2,}")  # two letters in a row: some text, not markup debris


def parse_content_type(value: str) -> tuple[str, str | None]:
    """The media type (lowercase) and charset of a Content-Type header value."""
    message = Message()
    message["content-type"] = value or "application/octet-stream"
    charset = message.get_param("charset")
    return message.get_content_type(), charset if isinstance(charset, str) else None


def decode_html(content: bytes, declared: str | None = None) -> str:
    """The text of an HTML document (see the module docstring for the order of guesses)."""
    if content.startswith(codecs.BOM_UTF8):
        return content[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
    meta = _META_CHARSET.search(content[:_SNIFF_BYTES])
    for candidate in (declared, meta.group(1).decode("ascii") if meta else None):
        if candidate:
            try:
                return content.decode(_codec_name(candidate), errors="replace")
            except LookupError:
                continue
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def parse_html(content: bytes, url: str, *, charset: str | None = None,
               fetched_at: datetime | None = None, where: str | None = None,
               position: int = 0) -> SourceRecord:
    """One record for one page: its main text (the title first, if the text does not
    start with it), title, URL (also its id), publication date when the page gives one,
    and the page's declared language. A page with no main text is an error record."""
    import trafilatura

    where = where or url
    html = decode_html(content, charset)
    document = _extract(trafilatura, html, url)
    text = (document.text or "").strip() if document is not None else ""
    if not _WORD.search(text):
        return SourceRecord(where, position, error="no main text found in the page "
                                                   "(empty, broken or not an article)")
    title = (document.title or "").strip() or None
    if title and not text.startswith(title):
        text = f"{title}\n{text}"
    data: dict[str, Any] = {"id": url, "url": url, "text": text}
    if title:
        data["title"] = title
    if document.date:
        data["published_at"] = document.date
    if lang := _HTML_LANG.search(html[:_SNIFF_BYTES]):
        data["lang"] = lang.group(1).lower()
    if fetched_at is not None:
        data["fetched_at"] = fetched_at.isoformat()
    return SourceRecord(where, position, data=data)


def fetch_html(source: SourceConfig, fetcher: Fetcher,
               skip: Callable[[str], bool] = lambda url: False) -> Iterator[SourceRecord]:
    """Fetch each page of an `html` source (its `url` and `urls`) and parse it; a page
    that cannot be fetched or parsed is an error record and the rest go on. `skip(url)`
    leaves out pages already done (a resumed scan)."""
    yield from fetch_pages(source.page_urls, fetcher, skip)


def fetch_pages(urls: Iterator[str] | tuple[str, ...], fetcher: Fetcher,
                skip: Callable[[str], bool] = lambda url: False) -> Iterator[SourceRecord]:
    """Fetch and parse pages one by one (also used for the pages of a sitemap)."""
    from corpora.sources.fetch import FetchError

    for url in urls:
        if skip(url):
            continue
        try:
            page = fetcher.get(url)
        except FetchError as exc:
            yield SourceRecord(url, 0, error=exc.reason)
            continue
        if page.content_type not in HTML_TYPES:
            yield SourceRecord(url, 0, error=f"not an HTML page ({page.content_type})")
            continue
        yield parse_html(page.content, page.final_url, charset=page.charset,
                         fetched_at=page.fetched_at, where=url)


def _extract(trafilatura: Any, html: str, url: str) -> Any:
    # trafilatura logs parse problems with fragments of the page; keep ad text out of logs.
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    try:
        return trafilatura.bare_extraction(html, url=url, with_metadata=True,
                                           include_comments=False, include_tables=True)
    except (ValueError, TypeError, AttributeError):  # seen on badly broken markup
        return None


def _codec_name(label: str) -> str:
    name = codecs.lookup(label.strip().lower()).name
    # Browsers read pages labelled Latin-1 or ASCII as Windows-1252 (WHATWG Encoding).
    return "cp1252" if name in ("iso8859-1", "ascii") else name
