"""`centinela bench --scan` on ads we write (the real ones stay outside the project): the
stream it builds, the near-duplicate cost per window, and the command end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evaluation.bench import ScanSample, cycled_real_ads, near_duplicate_cost
from pipelines.cli import app
from tests.fakes import FAKE_DETECTOR_NAME, register_fake_detectors


def write_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "ads"
    folder.mkdir()
    (folder / "a.jsonl").write_text("\n".join(json.dumps(
        {"id": f"a{n}", "lang": "es", "country": "MX",
         "text": f"Se busca cajero número {n} para tienda en Puebla, sueldo fijo y "
                 f"prestaciones de ley, turno matutino, informes en sucursal {n}."})
        for n in range(7)) + "\n", encoding="utf-8")
    return folder


def test_the_stream_cycles_with_new_ids_and_near_copies(tmp_path: Path) -> None:
    records = list(cycled_real_ads(write_folder(tmp_path), 16))
    assert [r["id"] for r in records] == [f"bench-{n}" for n in range(16)]
    assert records[7]["text"].startswith(records[0]["text"])
    assert records[7]["text"] != records[0]["text"]  # a near copy, not an exact one
    assert records[0]["lang"] == "es" and records[0]["country"] == "MX"


def test_near_duplicate_cost_is_taken_over_a_window() -> None:
    samples = [ScanSample(records=n, seconds=n / 100, rss_mb=500, linked=n,
                          repost_seconds=n * (0.001 if n <= 500 else 0.002))
               for n in range(100, 1100, 100)]
    assert near_duplicate_cost(samples, 1000, window=500) == pytest.approx(
        (2.0 - 0.5) / 500)
    assert near_duplicate_cost(samples, 5000, window=500) is None  # never got there


@pytest.mark.slow
def test_bench_scan_prints_its_table(prefect_harness: None, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    register_fake_detectors()
    monkeypatch.setenv("CENTINELA_MODEL", FAKE_DETECTOR_NAME)
    result = CliRunner().invoke(app, ["bench", "--scan", "-n", "40", "--real-ads",
                                      str(write_folder(tmp_path)), "--batch-size", "8"],
                                terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "40 ads" in result.stdout and "ads / CPU second" in result.stdout
    assert "new ads / re-posts found" in result.stdout
    missing = CliRunner().invoke(app, ["bench", "--scan", "--real-ads", str(tmp_path / "no")])
    assert missing.exit_code == 1 and "no real ads" in missing.output


def test_bench_detect_reports_sample_and_real_ads_beside_tokenization(
        tmp_path: Path) -> None:
    """The rules detector (no training needed) on the bundled sample and on the ads of
    --real-ads, each beside a bare tokenization of the same texts, and one `detect` run in
    a new process."""
    from evaluation.bench import real_ads

    folder = write_folder(tmp_path)
    assert [ad.id for ad in real_ads(folder, 3)] == ["a0", "a1", "a2"]
    result = CliRunner().invoke(app, ["bench", "-n", "30", "--model", "indicators.rules.v1",
                                      "--real-ads", str(folder), "--batch-size", "16"],
                                terminal_width=250)
    assert result.exit_code == 0, result.output
    table = result.stdout
    assert "sample" in table and "real ads" in table
    for row in ("ads / CPU second", "the same ads again", "distinct texts",
                "detect / tokenization (CPU)",
                "`centinela detect` on one ad, warm cache"):
        assert row in table
    assert table.count("30 ") >= 2  # both sets scored 30 ads
