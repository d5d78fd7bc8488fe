"""Sitemaps (sitemaps.org XML, gzipped or not, sitemap indexes, plain-text URL lists):
the pages they list are fetched and read as HTML ads.

`parse_sitemap` is pure; `fetch_sitemap` walks a source's sitemap (and the sitemaps an
index names, on allowed hosts) through the polite fetcher, up to the source's
`max_pages`. XML is parsed with entities and network access off.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from corpora.sources.html import fetch_pages
from corpora.sources.record import SourceRecord

if TYPE_CHECKING:
    from corpora.sources.config import SourceConfig
    from corpora.sources.fetch import Fetcher

MAX_SITEMAPS = 50  # per source and scan: an index of indexes must not run forever
_NS_END = "}"


class SitemapError(ValueError):
    """A sitemap cannot be read; the message says why."""


@dataclass(frozen=True)
class SitemapLinks:
    """What a sitemap lists: pages (URL, last modification or None) and other sitemaps."""

    pages: tuple[tuple[str, str | None], ...]
    sitemaps: tuple[str, ...]


def page_key(url: str, lastmod: str | None) -> str:
    """What marks a sitemap page as done: its URL, and its lastmod when the sitemap gives
    one, so that a page changed since is read again."""
    return f"{url} {lastmod}" if lastmod else url


def parse_sitemap(content: bytes, max_bytes: int = 50_000_000) -> SitemapLinks:
    """The links of a sitemap (XML urlset or sitemapindex, gzipped or not, or one URL per
    line). Raises SitemapError for anything else."""
    if content[:2] == b"\x1f\x8b":
        content = _gunzip(content, max_bytes)
    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return _parse_xml(head)
    lines = [line.strip() for line in head.decode("utf-8", errors="replace").splitlines()]
    urls = [line for line in lines if line.startswith(("http://", "https://"))]
    if not urls or len(urls) < len([line for line in lines if line]):
        raise SitemapError("not a sitemap (neither XML nor a list of URLs)")
    return SitemapLinks(pages=tuple((url, None) for url in urls), sitemaps=())


def fetch_sitemap(source: SourceConfig, fetcher: Fetcher,
                  skip: Callable[[str], bool] = lambda key: False) -> Iterator[SourceRecord]:
    """Records for the pages a sitemap source lists, at most `max_pages` fetched per scan.

    A sitemap that cannot be fetched or read is an error record; so is each page that
    cannot. `skip(page_key(url, lastmod))` leaves out pages already done.
    """
    from corpora.sources.fetch import FetchError

    queue, seen, fetched = [source.url or ""], set(), 0
    while queue and fetched < source.max_pages and len(seen) < MAX_SITEMAPS:
        sitemap_url = queue.pop(0)
        if sitemap_url in seen:
            continue
        seen.add(sitemap_url)
        try:
            page = fetcher.get(sitemap_url)
            links = parse_sitemap(page.content, fetcher.policy.max_bytes)
        except FetchError as exc:
            yield SourceRecord(sitemap_url, 0, error=exc.reason)
            continue
        except SitemapError as exc:
            yield SourceRecord(sitemap_url, 0, error=str(exc))
            continue
        queue.extend(links.sitemaps)
        todo = [url for url, lastmod in links.pages if not skip(page_key(url, lastmod))]
        todo = todo[:source.max_pages - fetched]
        fetched += len(todo)
        yield from fetch_pages(tuple(todo), fetcher)


def _gunzip(content: bytes, max_bytes: int) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(content)) as stream:
            data = stream.read(max_bytes + 1)
    except (OSError, EOFError) as exc:
        raise SitemapError(f"broken gzip data ({exc})") from None
    if len(data) > max_bytes:
        raise SitemapError(f"unzips to over {max_bytes:,} bytes")
    return data


def _parse_xml(content: bytes) -> SitemapLinks:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                             recover=False, remove_comments=True)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise SitemapError(f"malformed XML: {exc}") from None
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise SitemapError(f"not a sitemap (root element <{kind}>)")
    pages, sitemaps = [], []
    for item in root:
        fields = {_local(child.tag): (child.text or "").strip() for child in item
                  if isinstance(child.tag, str)}
        loc = fields.get("loc")
        if not loc:
            continue
        if kind == "sitemapindex":
            sitemaps.append(loc)
        else:
            pages.append((loc, fields.get("lastmod") or None))
    return SitemapLinks(pages=tuple(pages), sitemaps=tuple(sitemaps))


def _local(tag: object) -> str:
    return str(tag).rsplit(_NS_END, 1)[-1]
