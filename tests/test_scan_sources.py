"""`scan-sources` end to end: a sources file with a feed, a sitemap of pages and a JSON
Lines dump, served by a local HTTP server on 127.0.0.1; linking across sources; a second
run fetches no page again; `centinela scan --sources` as a user types it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from annotation.store import open_store
from annotation.store.clusters import list_clusters, load_cluster
from annotation.store.tables import AdLinkRow, AdRow, AssessmentRow
from pipelines.cli import app
from pipelines.flows.sources import scan_sources
from tests.fakes import FAKE_DETECTOR_NAME, register_fake_detectors
from tests.webserver import page, serve

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Avisos</title><link>http://127.0.0.1/</link>
<item><guid>f1</guid><title>Meseras para Europa</title><link>http://127.0.0.1/f1</link>
<description>Viaje pagado, nosotros guardamos tu pasaporte. WhatsApp 55 5550 0171.
</description></item>
<item><guid>f2</guid><title>Cajero</title><link>http://127.0.0.1/f2</link>
<description>Tienda busca cajero con experiencia, sueldo fijo.</description></item>
</channel></rss>"""
OFFER = ("<html lang='es'><body><article><h1>Trabajo en hoteles de Europa</h1><p>Agencia "
         "busca señoritas de 18 a 25 años para hoteles. Pasaje pagado y alojamiento. Nosotros "
         "tramitamos tu pasaporte y los papeles. Salida inmediata. {contact}</p></article>"
         "</body></html>")


def write_sources(tmp_path: Path, port: int) -> Path:
    dump = tmp_path / "dump.jsonl"
    dump.write_text("\n".join(json.dumps(ad, ensure_ascii=False) for ad in [
        {"id": "d1", "text": "Modelos para eventos, pago diario, llama al 55 5550 0171."},
        {"id": "d2", "text": "Ayudante de cocina con experiencia, turno de mañana."},
    ]) + "\n{broken\n", encoding="utf-8")
    path = tmp_path / "sources.toml"
    path.write_text(f'''allow_hosts = ["127.0.0.1"]
[fetch]
min_interval = 0
backoff = 0
retries = 0

[[source]]
name = "avisos-rss"
kind = "rss"
url = "http://127.0.0.1:{port}/feed.xml"
lang = "es"
country = "MX"

[[source]]
name = "hoteles"
kind = "sitemap"
url = "http://127.0.0.1:{port}/sitemap.xml"
lang = "es"
country = "CO"

[[source]]
name = "dump"
kind = "jsonl"
path = "dump.jsonl"
lang = "es"
country = "MX"

[[source]]
name = "missing"
kind = "telegram"
path = "exports/none.json"
''', encoding="utf-8")
    return path


def routes(port: int) -> dict:
    urls = [f"http://127.0.0.1:{port}/ofertas/{n}" for n in (1, 2, 3)]
    sitemap = "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>" + "".join(
        f"<url><loc>{url}</loc></url>" for url in urls) + "</urlset>"
    return {
        "/robots.txt": page("User-agent: *\nDisallow: /ofertas/3\n", "text/plain"),
        "/feed.xml": page(FEED, "application/rss+xml"),
        "/sitemap.xml": page(sitemap, "application/xml"),
        "/ofertas/1": page(OFFER.format(contact="Escribe al +52 55 5550 0172.")),
        "/ofertas/2": page(OFFER.format(contact="Escribe al +52 55 5550 0173.")),
        "/ofertas/3": page(OFFER.format(contact="nunca pedida")),
    }


@pytest.mark.slow
def test_sources_are_scanned_linked_and_not_fetched_twice(
        prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    register_fake_detectors()
    monkeypatch.setenv("CENTINELA_ALLOW_LOOPBACK", "1")
    db_url = f"sqlite:///{tmp_path / 'c.db'}"
    with serve({}) as server:
        server.routes.update(routes(server.port))
        sources = write_sources(tmp_path, server.port)
        first = scan_sources(str(sources), db_url=db_url, model=FAKE_DETECTOR_NAME,
                             batch_size=2)
        fetched_once = {path: server.requested(path) for path in ("/ofertas/1", "/ofertas/2")}
        second = scan_sources(str(sources), db_url=db_url, model=FAKE_DETECTOR_NAME,
                              batch_size=2)

    by_source = {summary.source: summary for summary in first.summaries}
    assert list(by_source) == ["avisos-rss", "hoteles", "dump"]
    assert [(f.source, "no such file" in f.message) for f in first.failures] == [
        ("missing", True)]
    assert by_source["avisos-rss"].ads_new == 2 and by_source["dump"].ads_new == 2
    assert by_source["dump"].error_count == 1  # the broken line, with its place
    hoteles = by_source["hoteles"]
    assert hoteles.ads_new == 2 and hoteles.reposts == 1
    assert [p.message for p in hoteles.errors] == [
        f"robots.txt of 127.0.0.1 disallows http://127.0.0.1:{server.port}/ofertas/3"]
    assert server.requested("/ofertas/3") == 0

    with open_store(db_url) as store, store.begin() as session:
        sources_of = dict(session.execute(select(AdRow.id, AdRow.source)).all())
        assert sources_of["f1"] == "avisos-rss" and sources_of["d1"] == "dump"
        links = dict(session.execute(select(AdLinkRow.ad_id, AdLinkRow.duplicate_of)).all())
        assert links[f"http://127.0.0.1:{server.port}/ofertas/2"] == \
            f"http://127.0.0.1:{server.port}/ofertas/1"
        clusters = {tuple(load_cluster(session, c.id)[1]) for c in list_clusters(session)}
        assert ("f1", "d1") in clusters  # one phone, two sources
        assert session.scalar(select(func.count()).select_from(AssessmentRow)) == 6

    # The second run fetches no page again and passes over feed entries already stored
    # (web items), assesses no dump line again (files), and stores nothing new.
    assert fetched_once == {"/ofertas/1": 1, "/ofertas/2": 1}
    assert all(s.ads_new == 0 and s.assessments_new == 0 for s in second.summaries)
    assert [s.records_read for s in second.summaries] == [0, 1, 3]  # robots still says no
    assert [s.skipped_done for s in second.summaries] == [0, 0, 2]


@pytest.mark.slow
def test_scan_command_with_sources_and_only(prefect_harness: None, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    register_fake_detectors()
    monkeypatch.setenv("CENTINELA_ALLOW_LOOPBACK", "1")
    monkeypatch.setenv("CENTINELA_MODEL", FAKE_DETECTOR_NAME)
    monkeypatch.setenv("COLUMNS", "200")
    db_url = f"sqlite:///{tmp_path / 'c.db'}"
    runner = CliRunner()
    with serve({}) as server:
        server.routes.update(routes(server.port))
        sources = write_sources(tmp_path, server.port)
        result = runner.invoke(app, ["scan", "--sources", str(sources), "--only", "avisos-rss",
                                     "--db", db_url], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "avisos-rss" in result.stdout and "DOCS_HANDLED" in result.stdout
    assert "2 records" in result.stderr  # the progress bar
    assert server.requested("/sitemap.xml") == 0

    wrong = runner.invoke(app, ["scan", "--sources", str(sources), "--only", "nope"])
    assert wrong.exit_code == 1 and "no source named 'nope'" in wrong.stderr
    both = runner.invoke(app, ["scan", str(sources), "--sources", str(sources)])
    assert both.exit_code == 2 and "one of them" in both.output
