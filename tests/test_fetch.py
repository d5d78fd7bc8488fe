"""The polite fetcher and the web source kinds, against a local HTTP server on 127.0.0.1.

Every refusal (off the allow-list, robots.txt, unsafe address) is checked on the server's
own request log: the URL must never have been requested.
"""

from __future__ import annotations

import gzip

import pytest

from corpora.sources import read_configured
from corpora.sources.addresses import address_refusal
from corpora.sources.config import FetchPolicy, SourceConfig
from corpora.sources.fetch import (
    Fetcher,
    FetchError,
    HTTPStatusError,
    RefusedError,
    ResponseTooLargeError,
)
from tests.webserver import page, serve, slow

ROBOTS = page("User-agent: *\nDisallow: /private/\n", "text/plain")
AD_ES = ("<html lang='es'><head><title>Cajero para tienda</title></head><body>"
         "<nav>Inicio | Empleos | Contacto</nav><article><h1>Cajero para tienda</h1>"
         "<p>Tienda de abarrotes busca cajero con experiencia de un año. Sueldo fijo, "
         "prestaciones de ley y horario de lunes a viernes.</p>"
         "<p>Enviar CV a rh@empleos.example.org.</p></article>"
         "<footer>Todos los derechos reservados</footer></body></html>")
AD_LATIN1 = ("<html><head><title>Ayudante de panadería</title></head><body><article>"
             "<p>Panadería en León busca ayudante con experiencia. Jornada de mañana, "
             "sueldo según convenio y capacitación incluida.</p></article></body></html>")
FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Empleos</title><link>https://empleos.example.org/</link>
<language>es</language>
<item><guid>e1</guid><title>Mesero</title><link>https://empleos.example.org/e1</link>
<description>Restaurante busca mesero con experiencia.</description></item>
<item><guid>e2</guid><title>Chofer</title><link>https://empleos.example.org/e2</link>
<description>Empresa de reparto busca chofer con licencia.</description></item>
</channel></rss>"""


def policy(**overrides: object) -> FetchPolicy:
    options = {"allow_hosts": ("127.0.0.1", "169.254.169.254", "10.0.0.7"),
               "allow_loopback": True, "min_interval": 0.0, "backoff": 0.0, "timeout": 0.5,
               "retries": 1, "max_bytes": 20_000, **overrides}
    return FetchPolicy(**options)  # type: ignore[arg-type]


def test_feed_pages_and_sitemap_come_through_with_robots_and_allow_list_obeyed() -> None:
    routes = {
        "/robots.txt": ROBOTS,
        "/feed.xml": page(FEED, "application/rss+xml"),
        "/ads/1": page(AD_ES),
        "/ads/2": page(AD_LATIN1.encode("latin-1"), "text/html; charset=iso-8859-1"),
        "/private/3": page(AD_ES),
    }
    with serve(routes) as server:
        sitemap = ("<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/"
                   f"sitemap/0.9'><url><loc>{server.url('/ads/1')}</loc>"
                   "<lastmod>2025-01-06</lastmod></url>"
                   f"<url><loc>{server.url('/ads/2')}</loc></url>"
                   f"<url><loc>{server.url('/private/3')}</loc></url>"
                   f"<url><loc>{server.url('/ads/4', host='localhost')}</loc></url>"
                   "</urlset>")
        server.routes["/sitemap.xml.gz"] = page(gzip.compress(sitemap.encode()),
                                                "application/x-gzip")
        sources = [
            SourceConfig(name="feed", kind="rss", url=server.url("/feed.xml"), country="MX"),
            SourceConfig(name="site", kind="sitemap", url=server.url("/sitemap.xml.gz"),
                         lang="es"),
        ]
        with Fetcher(policy()) as fetcher:
            records = [record for source in sources
                       for record in read_configured(source, fetcher)]
    good = [r.data for r in records if r.data]
    assert [(d["id"], d["source"]) for d in good] == [
        ("e1", "feed"), ("e2", "feed"),
        (server.url("/ads/1"), "site"), (server.url("/ads/2"), "site")]
    assert good[0]["country"] == "MX" and good[0]["lang"] == "es"
    assert "Tienda de abarrotes busca cajero" in good[2]["text"]
    assert "Inicio | Empleos" not in good[2]["text"]  # the menu is not the ad
    assert "Panadería en León" in good[3]["text"]  # Latin-1 decoded, not mojibake
    errors = {r.where: r.error for r in records if r.error}
    assert "robots.txt" in errors[server.url("/private/3")]
    assert "not in allow_hosts" in errors[server.url("/ads/4", host="localhost")]
    assert server.requested("/private/3") == 0 and server.requested("/ads/4") == 0
    assert server.requested("/robots.txt") == 1  # cached per host
    assert all("Centinela" in headers.get("User-Agent", "") for _, headers in server.hits)


def test_latin1_page_without_a_declared_charset_is_read_as_windows_1252() -> None:
    with serve({"/a": page(AD_LATIN1.encode("latin-1"), "text/html")}) as server, \
            Fetcher(policy()) as fetcher:
        [record] = read_configured(SourceConfig(name="p", kind="html", url=server.url("/a")),
                                   fetcher)
    assert "Panadería en León" in record.data["text"]


def test_server_error_is_retried_then_succeeds() -> None:
    flaky = {"/ad": lambda hit: page("oops", "text/plain", 500) if hit == 1 else page(AD_ES)}
    with serve(flaky) as server, Fetcher(policy(retries=2)) as fetcher:
        fetched = fetcher.get(server.url("/ad"))
    assert fetched.status == 200 and server.requested("/ad") == 2


def test_a_404_is_not_retried() -> None:
    with serve({}) as server, Fetcher(policy(retries=3)) as fetcher:
        with pytest.raises(HTTPStatusError) as raised:
            fetcher.get(server.url("/gone"))
    assert raised.value.status == 404 and server.requested("/gone") == 1


def test_a_slow_endpoint_times_out_after_its_retries() -> None:
    with serve({"/slow": slow(2.0, page(AD_ES))}) as server, \
            Fetcher(policy(timeout=0.3, retries=1)) as fetcher:
        with pytest.raises(FetchError, match="timed out"):
            fetcher.get(server.url("/slow"))
    assert server.requested("/slow") == 2


@pytest.mark.parametrize(("target", "reason"), [
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://10.0.0.7/", "private"),
])
def test_a_redirect_to_an_internal_address_is_refused(target: str, reason: str) -> None:
    with serve({"/jump": page("", status=302, Location=target)}) as server, \
            Fetcher(policy()) as fetcher, pytest.raises(RefusedError, match=reason):
        fetcher.get(server.url("/jump"))
    assert server.requested("/jump") == 1


def test_loopback_is_refused_unless_allowed() -> None:
    with serve({"/a": page(AD_ES)}) as server, \
            Fetcher(policy(allow_loopback=False)) as fetcher:
        with pytest.raises(RefusedError, match="loopback"):
            fetcher.get(server.url("/a"))
    assert server.hits == []


def test_private_and_metadata_addresses_stay_refused_with_loopback_allowed() -> None:
    assert address_refusal("127.0.0.1", allow_loopback=True) is None
    assert address_refusal("::1", allow_loopback=True) is None
    for address in ("10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                    "fd00:ec2::254", "::ffff:10.0.0.1", "0.0.0.0", "fe80::1", "100.100.100.200"):
        assert address_refusal(address, allow_loopback=True), address
    assert address_refusal("93.184.216.34") is None


@pytest.mark.parametrize("headers", [{}, {"Transfer-Encoding": "chunked"}])
def test_a_response_over_the_size_limit_is_cut(headers: dict[str, str]) -> None:
    big = page(b"<p>" + b"x" * 200_000 + b"</p>", **headers)
    with serve({"/big": big}) as server, Fetcher(policy(max_bytes=10_000)) as fetcher:
        with pytest.raises(ResponseTooLargeError, match="10,000"):
            fetcher.get(server.url("/big"))


def test_broken_html_is_read_when_it_has_text_and_an_error_record_when_not() -> None:
    routes = {"/garbage": page(b"<html><body><div><p>\x00\x00<<<</scr"),
              "/unclosed": page("<html><body><div><p>Se busca mesero con experiencia en "
                                "restaurante<p>Pago semanal y comida<div></scr"),
              "/ok": page(AD_ES)}
    with serve(routes) as server, Fetcher(policy()) as fetcher:
        urls = tuple(server.url(path) for path in ("/garbage", "/unclosed", "/ok"))
        records = list(read_configured(SourceConfig(name="p", kind="html", urls=urls),
                                       fetcher))
    assert records[0].error and "no main text" in records[0].error
    assert records[0].location == server.url("/garbage")
    assert records[1].data and "Se busca mesero" in records[1].data["text"]
    assert records[2].data and records[2].data["id"] == server.url("/ok")


def test_requests_to_one_host_are_spaced_by_the_minimum_interval() -> None:
    waits: list[float] = []
    now = [100.0]

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    with serve({"/a": page(AD_ES), "/b": page(AD_ES)}) as server, \
            Fetcher(policy(min_interval=2.5), sleep=sleep, clock=lambda: now[0]) as fetcher:
        fetcher.get(server.url("/a"))
        fetcher.get(server.url("/b"))
    # robots.txt, /a and /b: each request waits its turn behind the one before.
    assert waits == [2.5, 2.5]


def test_robots_crawl_delay_is_obeyed_when_longer() -> None:
    waits: list[float] = []
    robots = page("User-agent: *\nCrawl-delay: 7\n", "text/plain")
    with serve({"/robots.txt": robots, "/a": page(AD_ES), "/b": page(AD_ES)}) as server, \
            Fetcher(policy(min_interval=1.0), sleep=waits.append,
                    clock=lambda: 0.0) as fetcher:
        fetcher.get(server.url("/a"))
        fetcher.get(server.url("/b"))
    assert waits[-1] >= 7


def test_a_feed_that_cannot_be_fetched_is_one_error_record() -> None:
    with serve({"/robots.txt": ROBOTS}) as server, Fetcher(policy()) as fetcher:
        source = SourceConfig(name="f", kind="rss", url=server.url("/missing.xml"))
        [record] = read_configured(source, fetcher)
    assert record.error == "HTTP 404" and record.location == server.url("/missing.xml")
