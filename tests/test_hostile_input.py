"""Hostile input and faults at the edges of `detect` and `scan` (issue 11): each case gets
a clear per-line error or message, and nothing else is lost."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from annotation.intake import RecordProblem, ScanSummary
from annotation.store import FlaggedAd
from corpora.records import ModelRef, stable_ad_id
from corpora.sources import read_source
from corpora.sources.jsonl import read_jsonl
from pipelines.cli import app
from pipelines.commands.scan import print_scan_summary
from pipelines.terminal import printable

RUNNER = CliRunner()
GOOD = "Se buscan señoritas de buena presencia, trabajo en el exterior, pasaje pagado."
BOM = "\ufeff"


def hostile_lines() -> list[str]:
    """One JSONL line per hostile case, each written as the JSON text a feed could send;
    `detect` must answer every one of them with exactly one line."""
    return [
        BOM + json.dumps({"id": "bom-first", "text": GOOD}),
        '{"id": "lone-text", "text": "x \\ud800 trabajo en el exterior"}',
        '{"id": "a\\udc00", "text": "trabajo en el exterior"}',
        json.dumps({"id": 3, "text": "Cajero para tienda, sueldo fijo."}),
        json.dumps({"id": "3", "text": GOOD}),
        json.dumps({"id": "dup", "text": "Clínica busca enfermera con título registrado."}),
        json.dumps({"id": "dup", "text": GOOD}),
        json.dumps({"id": "\u001b[2J\u001b[31mX", "text": GOOD}),
        json.dumps({"id": '=HYPERLINK("http://evil.example","x")', "text": GOOD}),
        json.dumps({"id": "rtl\u202egnp.exe", "text": GOOD}),
        json.dumps({"id": "nul-title", "title": "a\u0000b", "text": GOOD}),
        json.dumps({"id": "nul-text", "text": "trabajo\u0000 en el exterior"}),
        "{not json",
        "[1, 2, 3]",
        json.dumps({"id": "no-text"}),
        json.dumps({"id": "text-number", "text": 12345}),
        json.dumps({"id": "empty", "text": "  \n\t "}),
        json.dumps({"id": True, "text": GOOD}),
        json.dumps({"id": "symbols", "lang": "es", "text": "!" * 2000 + " trabajo en el exterior"}),
        json.dumps({"text": GOOD + " Sin id."}),
    ]


def run_detect(lines: list[str], *args: str):
    data = "\n".join(lines).encode("utf-8", "surrogatepass") + b"\n"
    result = RUNNER.invoke(app, ["detect", "-", *args], input=data)
    if "csv" in args:
        return result, []
    return result, [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


# --- item 1, 3 and the mixed file: detect ----------------------------------------------

def test_detect_gives_one_line_per_hostile_input_line() -> None:
    lines = hostile_lines()
    result, out = run_detect(lines)

    assert result.exit_code == 0, result.output
    assert len(out) == len(lines)
    scored = [line for line in out if "error" not in line]
    assert [line["id"] for line in scored] == [
        "bom-first", 3, "3", "dup", "dup", "\u001b[2J\u001b[31mX",
        '=HYPERLINK("http://evil.example","x")', "rtl\u202egnp.exe", "nul-title", "nul-text",
        "symbols", stable_ad_id(GOOD + " Sin id.")]
    assert scored[0]["risk"] == "high"  # the first record survives the byte-order mark
    errors = [(line["id"], line["error"].split(": ", 1)[1]) for line in out if "error" in line]
    assert errors == [
        ("lone-text", "field 'text' is not valid Unicode (a lone surrogate at character 2)"),
        ("a\udc00", "field 'id' is not valid Unicode (a lone surrogate at character 1)"),
        (None, "invalid JSON: Expecting property name enclosed in double quotes at column 2"),
        (None, "expected a JSON object, got list"),
        ("no-text", "missing field 'text'"),
        ("text-number", "field 'text' must be a string, got int"),
        ("empty", "field 'text' is empty"),
        (True, "field 'id' must be a string or an integer, got bool")]
    assert f"{len(lines) - len(scored)} of {len(lines)} lines could not be scored" \
        in result.stderr


def test_lone_surrogates_never_stop_the_run() -> None:
    lines = ['{"id":"a","text":"trabajo en el exterior"}',
             '{"id":"p","text":"x \\ud800 trabajo"}',
             '{"id":"a\\udc00","text":"trabajo en el exterior"}',
             '{"id":"b","text":"pasaje pagado"}']
    result, out = run_detect(lines)
    assert result.exit_code == 0
    assert [line["id"] for line in out] == ["a", "p", "a\udc00", "b"]
    assert "error" in out[1] and "error" in out[2] and "risk" in out[3]
    # the id comes back exactly, as a JSON escape, since UTF-8 cannot carry it
    assert '"a\\udc00"' in result.stdout


def test_a_utf8_byte_order_mark_does_not_cost_the_first_record() -> None:
    stream = io.BytesIO(b'\xef\xbb\xbf{"id":"a","text":"trabajo"}\n{"id":"b","text":"x"}\n')
    records = list(read_jsonl(stream, "<t>"))
    assert [r.data["id"] for r in records] == ["a", "b"]


# --- item 4: CSV with an unterminated quote ---------------------------------------------

def test_an_unterminated_csv_quote_is_reported_and_the_rows_after_it_are_kept(
        tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('id,text\nc1,"unterminated trabajo\nc2,pasaje pagado\nc3,otro\n',
                    encoding="utf-8")
    records = list(read_source(path))
    assert records[0].position == 2 and "unterminated quote" in records[0].error
    assert [(r.position, r.data) for r in records[1:]] == [
        (3, {"id": "c2", "text": "pasaje pagado"}), (4, {"id": "c3", "text": "otro"})]


def test_a_quote_closed_lines_later_and_followed_by_text_is_reported_too(
        tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('id,text\nc1,"open\nc2,pasaje\nc3,"otro"\nc4,"ok\nin two lines"\n'
                    'c5,"abc"def\nc6,fin\n', encoding="utf-8")
    found = [(r.position, r.data["id"] if r.data else r.error) for r in read_source(path)]
    assert found[0][0] == 2 and "unterminated quote" in found[0][1]
    assert found[1:4] == [(3, "c2"), (4, "c3"), (5, "c4")]
    assert found[4][0] == 7 and "unreadable CSV row" in found[4][1]  # "abc"def
    assert found[5] == (8, "c6")


# --- item 9: formulas and terminal escapes ----------------------------------------------

def test_csv_output_cells_cannot_start_a_formula() -> None:
    ids = ['=HYPERLINK("http://evil.example","x")', "+SUM(A1)", "-2+3", "@SUM(A1)",
           "\t=1", "\r=1", "ok"]
    result, _ = run_detect([json.dumps({"id": i, "text": GOOD}) for i in ids],
                           "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout)))[1:]
    assert [row[0] for row in rows] == ["'" + i for i in ids[:-1]] + ["ok"]
    for row in rows:
        assert all(not cell or cell[0] not in "=+-@\t\r" for cell in row)


def test_the_scan_summary_shows_control_characters_escaped() -> None:
    model = ModelRef(name="fake", version="1", sha256="a" * 64)
    summary = ScanSummary(
        scan_id=1, source="feed\u001b]0;pwned\u0007.xml", model=model, records_read=2,
        error_count=1, errors=(RecordProblem("f.jsonl:2\u001b[2J", "bad\u202e"),),
        ads_new=1, ads_seen=0, ads_changed=0, assessments_new=1,
        risk_counts={"low": 0, "medium": 0, "high": 1},
        top_flagged=(FlaggedAd("\u001b[2J\u001b[31mFAKE", "high", 0.9, ("DOCS_HANDLED",)),))
    console = Console(file=io.StringIO(), width=200, force_terminal=True)
    print_scan_summary(summary, console, "sqlite:///x.db")
    shown = console.file.getvalue()
    assert "\u001b[2J" not in shown and "\u001b]0;" not in shown and "\u202e" not in shown
    assert "\\x1b[2J\\x1b[31mFAKE" in shown and "\\u202e" in shown
    assert printable("a\u0085b\u2066") == "a\\x85b\\u2066"


# --- item 13: streams and output paths --------------------------------------------------

def test_detect_with_standard_input_closed_is_one_clear_line() -> None:
    proc = subprocess.run(f"{sys.executable} -m pipelines.cli detect - <&-", shell=True,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("Error: standard input is closed; pass a file, or pipe "
                                   "the ads in")


@pytest.mark.parametrize(("target", "message"), [
    ("nope/a/out.jsonl", "no such folder"),
    (".", "it is a folder"),
])
def test_detect_checks_the_output_path_before_loading_the_model(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, message: str) -> None:
    from models import registry

    def never(*args, **kwargs):
        raise AssertionError("the model was loaded before the output path was checked")

    monkeypatch.setattr(registry, "load_detector", never)
    source = tmp_path / "ads.jsonl"
    source.write_text(json.dumps({"id": "a", "text": GOOD}) + "\n", encoding="utf-8")
    result = RUNNER.invoke(app, ["detect", str(source), "-o", str(tmp_path / target)])
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_full_disk_is_one_clear_line(tmp_path: Path) -> None:
    source = tmp_path / "ads.jsonl"
    source.write_text(json.dumps({"id": "a", "text": GOOD}) + "\n", encoding="utf-8")
    result = RUNNER.invoke(app, ["detect", str(source), "-o", "/dev/full"])
    assert result.exit_code == 1
    assert "No space left on device" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_scan_of_the_mixed_hostile_file_stores_every_good_ad(prefect_harness: None,
                                                             tmp_path: Path) -> None:
    """The same hostile lines through `scan`: each line is either an error with its line
    number or an ad, and every ad is stored (a second text under an id as a revision)."""
    from sqlalchemy import select

    from annotation.store import open_store
    from annotation.store.tables import AdRow
    from pipelines.flows.scan import scan_ads

    lines = hostile_lines()
    source = tmp_path / "hostile.jsonl"
    source.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass") + b"\n")
    db_url = f"sqlite:///{tmp_path / 'centinela.db'}"
    summary = scan_ads(str(source), db_url, "indicators.rules.v1", batch_size=4)

    assert summary.records_read == len(lines)
    assert summary.error_count + summary.ads_new + summary.ads_seen + summary.ads_changed \
        == len(lines)  # one outcome per line
    failed = {int(problem.location.rsplit(":", 1)[1]) for problem in summary.errors}
    assert failed == {2, 3, 11, 13, 14, 15, 16, 17, 18}
    assert summary.changed_ids == ("3", "dup")
    with open_store(db_url) as store, store.begin() as session:
        stored = dict(session.execute(select(AdRow.id, AdRow.text)).all())
    assert {ad_id: stored[ad_id] == GOOD for ad_id in (
        "bom-first", "3@v2", "dup@v2", "\u001b[2J\u001b[31mX",
        '=HYPERLINK("http://evil.example","x")', "rtl\u202egnp.exe")} == dict.fromkeys((
            "bom-first", "3@v2", "dup@v2", "\u001b[2J\u001b[31mX",
            '=HYPERLINK("http://evil.example","x")', "rtl\u202egnp.exe"), True)
    assert stored["3"].startswith("Cajero") and stored["dup"].startswith("Clínica")
    assert stored["nul-text"] == "trabajo en el exterior"
    assert stored["symbols"].endswith("trabajo en el exterior")
    assert stored[stable_ad_id(GOOD + " Sin id.")] == GOOD + " Sin id."
    assert len(stored) == len(lines) - len(failed)
