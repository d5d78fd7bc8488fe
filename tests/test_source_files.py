"""WARC files and Telegram Desktop exports, written by the tests, read through
`read_source` (kind told from the file) and `read_configured` (kind from sources.toml)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from corpora.sources import SourceError, read_configured, read_source, source_kind
from corpora.sources.config import SourceConfig

PAGE = ("<html lang='es'><head><meta charset='iso-8859-1'><title>Ayudante de panadería"
        "</title></head><body><nav>Menú</nav><article><p>Panadería en León busca ayudante "
        "con experiencia. Sueldo según convenio, turno de mañana.</p></article></body></html>")


def write_warc(path: Path, *, gzip: bool = True) -> Path:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=gzip)

        def response(url: str, status: str, content_type: str, body: bytes) -> None:
            headers = StatusAndHeaders(status, [("Content-Type", content_type)],
                                       protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=headers))

        writer.write_record(writer.create_warc_record(
            "https://avisos.example.net/1", "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n"),
            warc_content_type="application/http; msgtype=request"))
        response("https://avisos.example.net/1", "200 OK", "text/html", PAGE.encode("latin-1"))
        response("https://avisos.example.net/2", "404 Not Found", "text/html", b"<p>no</p>")
        response("https://avisos.example.net/logo.png", "200 OK", "image/png", b"\x89PNG")
        writer.write_record(writer.create_warc_record(
            "https://avisos.example.net/3", "conversion",
            payload=io.BytesIO(b"Se necesita chofer con licencia, sueldo fijo."),
            warc_content_type="text/plain"))
    return path


@pytest.mark.parametrize("gzip", [True, False])
def test_warc_pages_and_text_records_become_records(tmp_path: Path, gzip: bool) -> None:
    path = write_warc(tmp_path / ("crawl.warc.gz" if gzip else "crawl.warc"), gzip=gzip)
    assert source_kind(path) == "warc"
    records = list(read_source(path))
    assert [r.data["id"] for r in records] == ["https://avisos.example.net/1",
                                               "https://avisos.example.net/3"]
    assert "Panadería en León busca ayudante" in records[0].data["text"]
    assert records[0].data["raw_ref"].startswith("<urn:uuid:")
    assert records[0].data["fetched_at"] and records[0].position == 2
    assert records[1].data["text"] == "Se necesita chofer con licencia, sueldo fijo."


def test_a_truncated_warc_gives_its_good_records_then_an_error(tmp_path: Path) -> None:
    whole = write_warc(tmp_path / "whole.warc.gz").read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(whole[:len(whole) - 60])
    records = list(read_source(cut))
    assert [r.data["id"] for r in records if r.data] == ["https://avisos.example.net/1"]
    assert records[-1].error and "truncated" in records[-1].error


def test_warc_resume_skips_records_already_done(tmp_path: Path) -> None:
    path = write_warc(tmp_path / "crawl.warc.gz")
    source = SourceConfig(name="crawl", kind="warc", path=path, country="MX")
    records = list(read_configured(source, skip={"https://avisos.example.net/1"}.__contains__))
    assert [r.data["id"] for r in records] == ["https://avisos.example.net/3"]
    assert records[0].data["source"] == "crawl" and records[0].data["country"] == "MX"


def telegram_export(messages: list[object]) -> dict[str, object]:
    return {"name": "Empleos Exterior", "type": "public_channel", "id": 1234, "messages": messages}


MESSAGES: list[object] = [
    {"id": 1, "type": "service", "action": "create_channel", "date": "2025-01-01T09:00:00"},
    {"id": 2, "type": "message", "date": "2025-01-02T10:00:00", "date_unixtime": "1735812000",
     "from": "Empleos Exterior", "text": "Se buscan meseras para temporada."},
    {"id": 3, "type": "message", "date_unixtime": "1735898400",
     "text": ["Trabajo en hotel. ", {"type": "bold", "text": "Pasaje pagado"},
              ". Escribe ", {"type": "text_link", "text": "aquí", "href": "https://wa.me/15555550123"},
              {"type": "mention", "text": " @empleos_exterior"}]},
    {"id": 4, "type": "message", "photo": "photos/1.jpg", "text": ""},
    {"id": 5, "type": "message", "text": 42},
    {"id": 6, "type": "message", "text": "Último aviso: cocinero con experiencia."},
]


def test_telegram_export_messages_become_records(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text(json.dumps(telegram_export(MESSAGES), indent=1, ensure_ascii=False),
                    encoding="utf-8")
    assert source_kind(path) == "telegram"
    records = list(read_source(path))
    assert [(r.position, r.data["id"] if r.data else r.error) for r in records] == [
        (2, "1234:2"), (3, "1234:3"),
        (5, "'text' is a int, not text or a list of parts"), (6, "1234:6")]
    first, linked = records[0].data, records[1].data
    assert first["published_at"] == "2025-01-02T10:00:00+00:00"
    assert first["title"] == "Empleos Exterior"
    assert linked["text"] == ("Trabajo en hotel. Pasaje pagado. Escribe aquí "
                              "(https://wa.me/15555550123) @empleos_exterior")


def test_telegram_resume_and_broken_exports(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    text = json.dumps(telegram_export(MESSAGES), indent=1)
    path.write_text(text, encoding="utf-8")
    source = SourceConfig(name="canal", kind="telegram", path=path, lang="es")
    done = {"1234:2", "1234:3"}
    ids = [r.data["id"] for r in read_configured(source, skip=done.__contains__) if r.data]
    assert ids == ["1234:6"]

    path.write_text(text[:text.index('"id": 6') - 10], encoding="utf-8")  # cut mid-export
    records = list(read_source(path))
    assert [r.data["id"] for r in records if r.data] == ["1234:2", "1234:3"]
    assert records[-1].error and records[-1].error.startswith("broken JSON after message 4")

    path.write_text(json.dumps({"about": "x", "chats": {"list": []}}, indent=1))
    with pytest.raises(SourceError, match="full-account Telegram export"):
        list(read_source(path))
    path.write_text(json.dumps({"name": "x", "id": 1}, indent=1))
    with pytest.raises(SourceError, match="no 'messages' array"):
        list(read_source(path))


def test_json_lines_with_a_json_extension_stay_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "ads.json"
    path.write_text('{"id": "a", "text": "Hola"}\n{"id": "b", "text": "Chau"}\n')
    assert source_kind(path) == "jsonl"
