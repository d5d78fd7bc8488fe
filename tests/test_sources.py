"""Sources: JSON Lines, CSV and RSS/Atom files, good and bad, through `read_source`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpora.sources.ads import ad_from_record
from corpora.sources import SourceError, UnknownSourceError, read_source, source_kind
from corpora.sources.csv import read_csv
from corpora.sources.rss import strip_html

PHONE = "+52 55 5550 0123"


def write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def outcomes(path: Path) -> list[tuple[int, str]]:
    """(position, 'ok:<id or text>' or 'error:<message>') per record."""
    return [
        (r.position, f"ok:{r.data.get('id', r.data['text'])}" if r.data else f"error:{r.error}")
        for r in read_source(path)
    ]


# --- JSON Lines -------------------------------------------------------------------------

def test_jsonl_bad_lines_are_errors_and_the_rest_goes_on(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a1", "text": "Se busca cajero con experiencia."}).encode(),
        b"{not json",
        b"",
        b"[1, 2]",
        "{\"id\": \"a2\", \"text\": \"Se solicita ayudante de cocina en Le\u00f3n.\"}"
        .encode("latin-1"),
        json.dumps({"id": "a3", "text": f"Informes al {PHONE}"}).encode(),
    ]
    path = write(tmp_path / "ads.jsonl", b"\n".join(lines) + b"\n")
    result = outcomes(path)
    assert [position for position, _ in result] == [1, 2, 4, 5, 6]
    assert result[0] == (1, "ok:a1")
    assert result[1][1].startswith("error:invalid JSON")
    assert result[2][1].startswith("error:expected a JSON object")
    assert result[3][1].startswith("error:not UTF-8")
    assert result[4] == (6, "ok:a3")
    assert all(r.where == str(path) for r in read_source(path))


def test_ndjson_and_json_extensions_read_as_json_lines(tmp_path: Path) -> None:
    for name in ("ads.ndjson", "ads.json"):
        path = write(tmp_path / name, '{"id": "a1", "text": "Hola"}\n')
        assert outcomes(path) == [(1, "ok:a1")]


def test_a_json_array_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path / "ads.json", '[{"id": "a1", "text": "Hola"}]')
    with pytest.raises(SourceError, match="JSON Lines"):
        read_source(path)


# --- CSV --------------------------------------------------------------------------------

def test_csv_rows_become_records_with_line_positions(tmp_path: Path) -> None:
    content = (
        "id,Title,TEXT,lang\n"
        "c1,Cajero,\"Sueldo fijo, prestaciones\",es\n"
        "c2,Ayudante,\"Primera línea\nsegunda línea\",es\n"
        "\n"
        "c3,Mesero,Propinas y comida,pt\n"
    )
    records = list(read_source(write(tmp_path / "ads.csv", content)))
    assert [r.position for r in records] == [2, 3, 6]
    assert records[0].data == {"id": "c1", "title": "Cajero", "text": "Sueldo fijo, prestaciones",
                               "lang": "es"}
    assert records[1].data["text"] == "Primera línea\nsegunda línea"


def test_csv_semicolon_delimiter_and_bom_are_handled(tmp_path: Path) -> None:
    content = "\ufeffid;text;country\ns1;Se busca chofer, con licencia;MX\n"
    records = list(read_source(write(tmp_path / "ads.csv", content)))
    assert records[0].data == {"id": "s1", "text": "Se busca chofer, con licencia",
                               "country": "MX"}


def test_csv_bad_rows_are_errors_and_the_rest_goes_on(tmp_path: Path) -> None:
    content = (
        b"id,text\n"
        + b"b1,Se busca cajero\n"
        + b"b2,\n"
        + b"b3,   \n"
        + "b4,Ayudante de cocina en León\n".encode("latin-1")
        + b"b5,uno,dos\n"
        + b"b6\n"
        + f"b7,Informes al {PHONE}\n".encode()
    )
    result = outcomes(write(tmp_path / "ads.csv", content))
    assert result == [
        (2, "ok:b1"),
        (3, "error:row has no text"),
        (4, "error:row has no text"),
        (5, "error:not UTF-8; re-save the file as UTF-8 (in a spreadsheet: CSV UTF-8)"),
        (6, "error:row has 3 cells but the header names 2 columns"),
        (7, "error:row has no text"),
        (8, "ok:b7"),
    ]


@pytest.mark.parametrize(("content", "message"), [
    ("", "empty file"),
    ("id,title\nx1,Cajero\n", "no 'text' column; the header has: id, title"),
    ("text,Text\nuno,dos\n", "columns named more than once: text"),
])
def test_csv_without_a_usable_header_cannot_be_read(tmp_path: Path, content: str,
                                                    message: str) -> None:
    records = read_source(write(tmp_path / "ads.csv", content))
    with pytest.raises(SourceError, match=message):
        list(records)


_cell_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1, max_size=40,
).filter(lambda text: text.strip())


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(_cell_text, min_size=1, max_size=6), delimiter=st.sampled_from(",;"))
def test_csv_written_by_the_csv_module_reads_back_exactly(texts: list[str],
                                                          delimiter: str) -> None:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(["id", "text"])
    starts = []
    for number, text in enumerate(texts):
        # Lines as the csv module and editors count them: \n, \r\n or a lone \r.
        starts.append(len(io.StringIO(out.getvalue(), newline="").readlines()) + 1)
        writer.writerow([f"id{number}", text])
    records = list(read_csv(io.BytesIO(out.getvalue().encode()), "<mem>"))
    assert [r.data for r in records] == [
        {"id": f"id{n}", "text": text} for n, text in enumerate(texts)]
    assert [r.position for r in records] == starts


# --- RSS / Atom -------------------------------------------------------------------------

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
<title>Empleos Ejemplo</title><link>https://empleos.example.com/</link><language>es-MX</language>
<item>
  <title>Trabajo en el extranjero</title>
  <link>https://empleos.example.com/anuncio/1</link>
  <guid isPermaLink="false">empleos-1</guid>
  <pubDate>Mon, 06 Jan 2025 10:00:00 -0600</pubDate>
  <description>{description}</description>
</item>
<item>
  <title>Cajero</title>
  <link>https://empleos.example.com/anuncio/2</link>
  <description>Sueldo fijo y prestaciones de ley.</description>
</item>
</channel></rss>
""".replace("{description}", (
    "&lt;p&gt;Nosotros tramitamos tu &lt;b&gt;pasaporte&lt;/b&gt;.&lt;/p&gt;"
    f"&lt;p&gt;Escribe al {PHONE} &amp;amp; viaja ya&lt;/p&gt;"))

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="pt-BR">
  <title>Vagas</title><link href="https://vagas.example.org/"/>
  <id>urn:example:vagas</id><updated>2025-02-01T12:00:00Z</updated>
  <entry>
    <title>Garçom</title><id>urn:example:vagas:7</id>
    <link href="https://vagas.example.org/7"/>
    <updated>2025-02-01T12:00:00Z</updated>
    <content type="html">&lt;div&gt;Salário fixo&lt;br/&gt;e gorjetas&lt;/div&gt;</content>
  </entry>
</feed>
"""


def test_rss_entries_become_records(tmp_path: Path) -> None:
    records = list(read_source(write(tmp_path / "feed.rss", RSS)))
    assert [r.position for r in records] == [1, 2]
    first, second = (r.data for r in records)
    assert first == {
        "id": "empleos-1",
        "url": "https://empleos.example.com/anuncio/1",
        "title": "Trabajo en el extranjero",
        "text": f"Trabajo en el extranjero\nNosotros tramitamos tu pasaporte.\n"
                f"Escribe al {PHONE} & viaja ya",
        "lang": "es-MX",
        "source": "empleos.example.com",
        "published_at": "2025-01-06T16:00:00+00:00",
    }
    assert second["id"] == second["url"] == "https://empleos.example.com/anuncio/2"
    assert "published_at" not in second
    ad = ad_from_record(first)
    assert ad.lang == "es" and ad.published_at.isoformat() == "2025-01-06T16:00:00+00:00"


def test_atom_entries_become_records(tmp_path: Path) -> None:
    (record,) = read_source(write(tmp_path / "vagas.atom", ATOM))
    assert record.data["text"] == "Garçom\nSalário fixo\ne gorjetas"
    assert record.data["lang"] == "pt-BR"
    assert record.data["id"] == "urn:example:vagas:7"
    assert record.data["published_at"] == "2025-02-01T12:00:00+00:00"


def test_broken_feed_gives_an_error_and_keeps_what_parsed(tmp_path: Path) -> None:
    broken = RSS.replace("</item>\n<item>", "</itm>\n<item>", 1)
    records = list(read_source(write(tmp_path / "feed.xml", broken)))
    errors = [r for r in records if r.error]
    assert len(errors) == 1
    assert errors[0].error.startswith("malformed feed: mismatched tag at line")
    assert errors[0].position > 1
    assert [r.data["title"] for r in records if r.data] == ["Trabajo en el extranjero", "Cajero"]


def test_feed_in_the_wrong_encoding_gives_an_error_and_its_entries(tmp_path: Path) -> None:
    latin = RSS.replace("Cajero", "Cajero en León").encode("latin-1", errors="replace")
    records = list(read_source(write(tmp_path / "feed.xml", latin)))
    assert records[0].error.startswith("wrong encoding")
    assert [r.data["title"] for r in records[1:]] == ["Trabajo en el extranjero",
                                                       "Cajero en León"]


def test_a_file_that_is_not_a_feed_is_one_error(tmp_path: Path) -> None:
    (record,) = read_source(write(tmp_path / "feed.xml", "<html><body>hola</body>"))
    assert record.error.startswith(("not an RSS or Atom feed", "malformed feed"))


def test_entry_without_title_or_text_is_an_error(tmp_path: Path) -> None:
    feed = RSS.replace("<title>Cajero</title>", "").replace(
        "<description>Sueldo fijo y prestaciones de ley.</description>", "")
    records = list(read_source(write(tmp_path / "feed.rss", feed)))
    assert records[1].position == 2 and records[1].error == "entry has no title and no text"


def test_strip_html_keeps_text_and_block_breaks() -> None:
    html = ("<h1>Vacante</h1><p>Sueldo&nbsp;<b>alto</b> &amp; casa</p>"
            "<script>alert(1)</script><ul><li>uno</li><li>dos</li></ul>a<br>b")
    assert strip_html(html) == "Vacante\nSueldo alto & casa\nuno\ndos\na\nb"


# --- choosing the reader ----------------------------------------------------------------

def test_xml_without_a_known_extension_is_sniffed(tmp_path: Path) -> None:
    path = write(tmp_path / "feed.txt", "\ufeff" + RSS)
    assert source_kind(path) == "rss"
    assert len(list(read_source(path))) == 2


def test_unknown_kind_of_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UnknownSourceError, match=r"ads\.txt: unknown kind of source.*\.csv"):
        read_source(write(tmp_path / "ads.txt", "hola"))


def test_missing_file_folder_and_url_are_errors_on_call(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_source(tmp_path / "missing.jsonl")
    with pytest.raises(IsADirectoryError):
        read_source(tmp_path)
    with pytest.raises(SourceError, match="sources file"):
        read_source("https://empleos.example.com/feed.xml")
