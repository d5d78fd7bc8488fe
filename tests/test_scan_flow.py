"""The `scan-ads` flow under Prefect's test harness, and `centinela scan` as a user types it.

Everything runs offline with the fake detector (tests/fakes.py). The harness starts a
temporary Prefect server once for this module (a few seconds: hence the `slow` marker).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from annotation.queue import QueueFilters, list_queue
from annotation.store import list_scans, load_ad, load_assessments, open_store
from annotation.store.tables import AdRow, AssessmentRow, HitRow, QueueItemRow
from corpora.sources import SourceError
from models.registry import shared_detector
from pipelines.commands.scan import scan
from pipelines.flows.scan import scan_ads
from tests.fakes import (
    FAKE_DETECTOR_NAME,
    FakeDetector,
    register_fake_detectors,
)

PHONE = "+52 55 5550 0123"
ADS = [
    {"id": "mx-001", "lang": "es", "country": "MX",
     "text": f"Trabajo en Canadá, nosotros tramitamos tu pasaporte. WhatsApp {PHONE}"},
    {"id": "mx-002", "lang": "es", "text": "Cajero para tienda en Zapopan. Sueldo fijo y "
                                           "prestaciones de ley. reclutamiento@tienda.example.com"},
    {"id": "br-001", "lang": "pt", "text": "Vaga de garçom em Recife, salário fixo e gorjetas."},
    {"id": "mx-003", "lang": "es", "text": "Entregas tu pasaporte al llegar; todo pagado.  "
                                           "Informes https://viajes.example.com"},
    {"id": "mx-002", "lang": "es", "text": "Cajero para tienda en Zapopan. Sueldo fijo y "
                                           "prestaciones de ley. reclutamiento@tienda.example.com"},
]
BAD_LINES = ['{"id": "mx-004", "text": ', '{"id": "mx-005", "title": "Sin texto"}']


def write_jsonl(path: Path, records: list[dict], bad_lines: list[str] = ()) -> Path:
    lines = [json.dumps(record, ensure_ascii=False) for record in records]
    lines[1:1] = bad_lines  # bad lines at lines 2 and 3
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def fake_detector() -> FakeDetector:
    """The fake detector as the flow's tasks load it (registered anew, so calls start at 0)."""
    register_fake_detectors()
    return shared_detector(FAKE_DETECTOR_NAME)


def count_rows(db_url: str, row_type: type) -> int:
    with open_store(db_url) as store, store.begin() as session:
        return session.scalar(select(func.count()).select_from(row_type))


@pytest.mark.slow
def test_scan_flow_twice_stores_nothing_new(prefect_harness: None, tmp_path: Path,
                                            fake_detector: FakeDetector,
                                            capfd: pytest.CaptureFixture[str]) -> None:
    source = write_jsonl(tmp_path / "ads.jsonl", ADS, BAD_LINES)
    db_url = f"sqlite:///{tmp_path / 'db' / 'centinela.db'}"
    detector = fake_detector

    first = scan_ads(str(source), db_url, FAKE_DETECTOR_NAME, batch_size=2, top_n=5)

    # Batches of two records; bad ones leave gaps, and the repeated mx-002 of the last batch
    # is already stored with this text and verdict, so it is not assessed again.
    assert detector.calls == [1, 1, 2]
    assert (first.records_read, first.error_count) == (7, 2)
    assert [problem.location for problem in first.errors] == [f"{source}:2", f"{source}:3"]
    assert "invalid JSON" in first.errors[0].message
    assert first.errors[1].message == "missing field 'text'"
    assert (first.ads_new, first.ads_seen, first.ads_changed) == (4, 1, 0)
    assert first.assessments_new == 4
    assert first.risk_counts == {"low": 2, "medium": 0, "high": 2}
    assert [(f.ad_id, f.indicators) for f in first.top_flagged] == [
        ("mx-001", ("DOCS_HANDLED",)), ("mx-003", ("DOCS_HANDLED",))]

    with open_store(db_url) as store, store.begin() as session:
        ad = load_ad(session, "mx-003")
        assert ad.text == ("Entregas tu pasaporte al llegar; todo pagado. "
                           "Informes https://viajes.example.com")  # normalised
        assert ad.raw_ref == f"{source}:6"
        (assessment,) = load_assessments(session, "mx-003")
        span = assessment.hits[0].evidence[0]
        assert ad.text[span.start:span.end] == "pasaporte"

    second = scan_ads(str(source), db_url, FAKE_DETECTOR_NAME, batch_size=2, top_n=5)

    assert (second.ads_new, second.ads_seen, second.assessments_new) == (0, 5, 0)
    assert second.risk_counts == first.risk_counts
    assert second.top_flagged == first.top_flagged
    assert (count_rows(db_url, AdRow), count_rows(db_url, AssessmentRow),
            count_rows(db_url, HitRow)) == (4, 4, 2)
    with open_store(db_url) as store, store.begin() as session:
        scans = list_scans(session)
        assert [(s.id, s.status) for s in scans] == [(second.scan_id, "finished"),
                                                     (first.scan_id, "finished")]
        assert scans[1].counts.ads_new == 4 and scans[0].counts.ads_seen == 5
        queue = list_queue(session)  # flagged ads entered the review queue once
        assert [item.ad_id for item in queue.items] == ["mx-001", "mx-003"]
        assert queue.total == 2 and count_rows(db_url, QueueItemRow) == 2

    logs = "".join(capfd.readouterr())
    assert PHONE not in logs and "pasaporte" not in logs and "Zapopan" not in logs


@pytest.mark.slow
def test_a_changed_ad_is_kept_as_a_revision_assessed_and_listed(
        prefect_harness: None, tmp_path: Path, fake_detector: FakeDetector,
        caplog: pytest.LogCaptureFixture) -> None:
    db_url = f"sqlite:///{tmp_path / 'centinela.db'}"
    scan_ads(str(write_jsonl(tmp_path / "a.jsonl", ADS[:2])), db_url, FAKE_DETECTOR_NAME)
    edited = [{**ADS[0], "text": "Otro texto, sin documentos."}, ADS[2]]
    summary = scan_ads(str(write_jsonl(tmp_path / "b.jsonl", edited)), db_url,
                       FAKE_DETECTOR_NAME)
    assert (summary.ads_new, summary.ads_changed, summary.assessments_new) == (1, 1, 2)
    assert summary.changed_ids == ("mx-001",)
    assert summary.risk_counts == {"low": 2, "medium": 0, "high": 0}
    with open_store(db_url) as store, store.begin() as session:
        assert "pasaporte" in load_ad(session, "mx-001").text  # every text is kept
        assert load_ad(session, "mx-001@v2").text == "Otro texto, sin documentos."
        assert [a.risk for a in load_assessments(session, "mx-001@v2")] == ["low"]
        queue = list_queue(session, QueueFilters(risk="low"))  # followed the new text
        assert [(item.ad_id, item.state) for item in queue.items] == [("mx-001@v2", "open")]
    logs = caplog.text
    assert "stored and assessed as new revisions; ids: mx-001" in logs
    assert "sin documentos" not in logs and "Canadá" not in logs

    # Resumed, the same file is done: nothing is assessed or stored again.
    again = scan_ads(str(tmp_path / "b.jsonl"), db_url, FAKE_DETECTOR_NAME)
    assert (again.ads_seen, again.ads_changed, again.skipped_done) == (2, 0, 2)


@pytest.mark.slow
def test_the_source_is_streamed_batch_by_batch(prefect_harness: None, tmp_path: Path,
                                               fake_detector: FakeDetector,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch is assessed and stored before the next is read: memory holds one batch."""
    from pipelines.flows import scan as scan_flow

    db_url = f"sqlite:///{tmp_path / 'centinela.db'}"
    records = [{"id": f"s-{n}", "lang": "es", "text": f"Oferta {n}: pasaporte"} for n in range(7)]
    source = write_jsonl(tmp_path / "ads.jsonl", records)
    read_when_assessed: list[int] = []
    yielded = 0
    read_source = scan_flow.read_source

    def counting_source(path: str):
        nonlocal yielded
        for record in read_source(path):
            yielded += 1
            yield record

    original_assess = fake_detector.assess

    def assess(ads):
        read_when_assessed.append(yielded)
        return original_assess(ads)

    monkeypatch.setattr(scan_flow, "read_source", counting_source)
    monkeypatch.setattr(fake_detector, "assess", assess)
    # One batch in flight: assessing runs ahead of storing by at most `in_flight` batches.
    summary = scan_ads(str(source), db_url, FAKE_DETECTOR_NAME, batch_size=3, in_flight=1)

    assert read_when_assessed == [3, 6, 7]
    assert summary.ads_new == 7 and count_rows(db_url, AdRow) == 7


@pytest.mark.slow
def test_an_unreadable_source_fails_the_scan(prefect_harness: None, tmp_path: Path,
                                             fake_detector: FakeDetector) -> None:
    source = tmp_path / "ads.csv"
    source.write_text("id,title\nx1,Cajero\n", encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'centinela.db'}"
    with pytest.raises(SourceError, match="no 'text' column"):
        scan_ads(str(source), db_url, FAKE_DETECTOR_NAME)
    with open_store(db_url) as store, store.begin() as session:
        (failed,) = list_scans(session)
        assert failed.status == "failed" and failed.finished_at is not None


# --- the command ------------------------------------------------------------------------

@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> typer.Typer:
    register_fake_detectors()
    monkeypatch.setenv("CENTINELA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CENTINELA_MODEL", FAKE_DETECTOR_NAME)
    monkeypatch.delenv("CENTINELA_DB", raising=False)
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps long paths at 80 columns otherwise
    app = typer.Typer()
    app.callback()(lambda: None)
    app.command("scan")(scan)
    return app


@pytest.mark.slow
def test_scan_command_prints_a_summary(prefect_harness: None, cli: typer.Typer,
                                       tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "ads.jsonl", ADS, BAD_LINES)
    runner = CliRunner()

    result = runner.invoke(cli, ["scan", str(source), "--top", "1"], terminal_width=200)

    assert result.exit_code == 0, result.output
    assert (tmp_path / "home" / "centinela.db").is_file()  # the default store
    out = result.stdout
    assert "new ads" in out and "Top flagged ads" in out and "DOCS_HANDLED" in out
    assert "mx-001" in out and "mx-003" not in out  # --top 1
    assert f"{source}:2" in out and "missing field 'text'" in out
    assert PHONE not in out

    again = runner.invoke(cli, ["scan", str(source)], terminal_width=200)
    assert again.exit_code == 0, again.output
    assert "already stored" in again.stdout
    assert count_rows(f"sqlite:///{tmp_path / 'home' / 'centinela.db'}", AdRow) == 4


@pytest.mark.slow
def test_scan_command_fails_when_no_record_is_usable(prefect_harness: None, cli: typer.Typer,
                                                     tmp_path: Path) -> None:
    source = tmp_path / "ads.jsonl"
    source.write_text("not json\n{}\n", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'other.db'}"
    result = CliRunner().invoke(cli, ["scan", str(source), "--db", db], terminal_width=200)
    assert result.exit_code == 1
    assert "invalid JSON" in result.stdout


@pytest.mark.parametrize(("name", "content", "message"), [
    ("missing.jsonl", None, "no such file"),
    ("ads.txt", "hola", "unknown kind of source"),
    ("ads.json", '[{"text": "hola"}]', "JSON Lines"),
])
def test_scan_command_fails_fast_on_an_unreadable_source(
        cli: typer.Typer, tmp_path: Path, name: str, content: str | None, message: str) -> None:
    source = tmp_path / name
    if content is not None:
        source.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(cli, ["scan", str(source)])
    assert result.exit_code == 1
    assert message in result.stderr


def test_scan_command_fails_fast_when_the_store_cannot_be_opened(cli: typer.Typer,
                                                                 tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "ads.jsonl", ADS)
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    for db in (f"sqlite:///{tmp_path / 'a-file' / 'centinela.db'}", "not a url"):
        result = CliRunner().invoke(cli, ["scan", str(source), "--db", db])
        assert result.exit_code == 1
        assert "cannot open the store" in result.stderr


def test_scan_command_refuses_an_unknown_model(cli: typer.Typer, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "ads.jsonl", ADS)
    result = CliRunner().invoke(cli, ["scan", str(source), "--model", "indicators.nope.v9"])
    assert result.exit_code == 2
    assert "unknown detector" in result.stderr


def test_scan_command_help() -> None:
    app = typer.Typer()
    app.callback()(lambda: None)
    app.command("scan")(scan)
    result = CliRunner().invoke(app, ["scan", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for option in ("--db", "--model", "--batch-size", "--top", "SOURCE"):
        assert option in result.stdout
