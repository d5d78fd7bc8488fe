"""Scans as they run for real: killed with SIGKILL and run again (nothing lost, nothing
twice), and on a local Dask cluster (the same stored result as the default runner)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from annotation.store import open_store
from annotation.store.tables import (
    AdEntityRow,
    AdLinkRow,
    AdRow,
    AssessmentRow,
    ClusterRow,
    HitRow,
    ScanRow,
)
from tests.processes import HAS_PROC, children_of, left_running

OPENINGS = ["Se busca {job} en {city}.", "Vacante de {job} para {city}.",
            "Importante empresa contrata {job} ({city})."]
JOBS = ["cajero", "mesero", "chofer", "ayudante de cocina", "recepcionista", "modelo"]
CITIES = ["Guadalajara", "Monterrey", "Puebla", "Europa", "Canadá"]
OFFERS = ["Sueldo fijo y prestaciones de ley.", "Pasaje pagado y alojamiento incluido, "
          "nosotros tramitamos tu pasaporte.", "Pago semanal, no se necesita experiencia.",
          "Salida inmediata, cupos limitados, no le digas a tu familia."]


def write_ads(path: Path, count: int) -> Path:
    """`count` ads we write: varied texts, reserved Mexico City phones shared by a few ads
    each, some exact re-posts."""
    lines = []
    for n in range(count):
        text = " ".join([
            OPENINGS[n % 3].format(job=JOBS[n % 6], city=CITIES[(n // 6) % 5]),
            OFFERS[(n // 2) % 4], f"Anuncio {n // 7}.",
            f"Informes al 55 5550 {100 + n % 37:04d}."])
        lines.append(json.dumps({"id": f"ad-{n}", "lang": "es", "country": "MX", "text": text},
                                ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def count(db_url: str, row_type: type, *, migrate: bool = True) -> int:
    with open_store(db_url, migrate=migrate) as store, store.begin() as session:
        return session.scalar(select(func.count()).select_from(row_type))


@pytest.mark.slow
def test_a_scan_killed_mid_way_resumes_with_nothing_lost_or_doubled(
        prefect_harness: None, tmp_path: Path) -> None:
    from prefect.settings import PREFECT_API_URL

    total = 1500
    source = write_ads(tmp_path / "ads.jsonl", total)
    db_url = f"sqlite:///{tmp_path / 'c.db'}"
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(),
           "CENTINELA_MODEL": "indicators.rules.v1", "COLUMNS": "200"}
    command = [sys.executable, "-m", "pipelines.cli", "scan", str(source), "--db", db_url,
               "--batch-size", "25"]
    errors = tmp_path / "first.stderr"
    with errors.open("wb") as stderr:
        first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    stored = 0
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and first.poll() is None:
        if (tmp_path / "c.db").exists():
            try:
                # Watching only: the scan makes the schema (the store serialises two
                # processes migrating a new file, tested in test_store.py).
                stored = count(db_url, AdRow, migrate=False)
            except Exception:  # noqa: BLE001 (the schema may be half made yet)
                stored = 0
            if stored >= 50:
                break
        time.sleep(0.05)
    ended = first.poll()
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert 50 <= stored < total, (
        f"killed after {stored} ads: not mid-way; the first scan "
        + ("was still running" if ended is None else
           f"had ended with exit code {ended} and {count(db_url, AdRow)} ads stored")
        + ", its stderr:\n" + errors.read_text(encoding="utf-8", errors="replace")[-3000:])

    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr[-2000:]
    assert count(db_url, AdRow) == total
    assert count(db_url, AssessmentRow) == total
    assert count(db_url, AdLinkRow) == total
    with open_store(db_url) as store, store.begin() as session:
        entities = session.execute(select(AdEntityRow.ad_id, AdEntityRow.start)).all()
        assert len(entities) == len(set(entities)) >= total  # a phone per ad, none twice
        statuses = [status for (status,) in session.execute(
            select(ScanRow.status).order_by(ScanRow.id))]
        assert statuses[-1] == "finished"
        already = session.scalar(select(ScanRow.ads_seen).order_by(ScanRow.id.desc()).limit(1))
    assert already >= stored  # the rerun did not assess those again


@pytest.mark.slow
@pytest.mark.skipif(not HAS_PROC, reason="needs /proc to find the server")
def test_a_killed_scan_leaves_no_prefect_server(tmp_path: Path) -> None:
    """With no Prefect server configured the scan starts its own; SIGKILL runs no
    clean-up, and that server must still end (issue 11 item 10)."""
    source = write_ads(tmp_path / "ads.jsonl", 3000)
    db_url = f"sqlite:///{tmp_path / 'c.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), CENTINELA_MODEL="indicators.rules.v1")
    errors = tmp_path / "scan.stderr"
    with errors.open("wb") as stderr:
        scan = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "scan", str(source), "--db", db_url,
             "--batch-size", "25"], env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        stored = 0
        deadline = time.monotonic() + 300
        while not stored and time.monotonic() < deadline and scan.poll() is None:
            time.sleep(0.2)
            with contextlib.suppress(Exception):  # the schema may be half made yet
                stored = count(db_url, AdRow, migrate=False)
        # Storing ads, so its flow runs against the server, which is certainly started.
        assert stored and scan.poll() is None, (
            f"the scan did not get going (exit code {scan.poll()}, {stored} ads): "
            + errors.read_text(encoding="utf-8", errors="replace")[-3000:])
        servers = children_of(scan.pid)
        assert servers, "no Prefect server process was started"
        scan.send_signal(signal.SIGKILL)
        scan.wait(timeout=30)
    finally:
        scan.kill()
        scan.wait()
    left = left_running(servers)
    assert not left, f"the Prefect server {left} outlived the killed scan"


@pytest.mark.slow
def test_dask_runner_stores_what_the_default_runner_stores(
        prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import SecretStr

    from pipelines.flows.scan import scan_ads
    from pipelines.runners import in_flight, task_runner

    monkeypatch.setenv("CENTINELA_SECRET", "a-test-secret-for-pseudonyms")
    source = write_ads(tmp_path / "ads.jsonl", 200)
    results = {}
    for runner in ("local", "dask"):
        db_url = f"sqlite:///{tmp_path / f'{runner}.db'}"
        flow = scan_ads if runner == "local" else scan_ads.with_options(
            task_runner=task_runner("dask", workers=2))
        summary = flow(str(source), SecretStr(db_url), "indicators.rules.v1", batch_size=40,
                       in_flight=in_flight(runner, 2))
        results[runner] = (summary.ads_new, summary.reposts, stored_result(db_url))
    assert results["dask"] == results["local"]
    ads_new, reposts, _ = results["local"]
    assert ads_new == 200 and reposts > 0


def stored_result(db_url: str) -> dict[str, object]:
    """Everything a scan stores, without row ids and times."""
    with open_store(db_url) as store, store.begin() as session:
        clusters = {}
        for ad_id, cluster_id in session.execute(select(AdLinkRow.ad_id, AdLinkRow.cluster_id)):
            clusters.setdefault(cluster_id, set()).add(ad_id)
        return {
            "ads": sorted(session.execute(select(AdRow.id, AdRow.text, AdRow.lang)).all()),
            "assessments": sorted(session.execute(select(
                AssessmentRow.ad_id, AssessmentRow.risk, AssessmentRow.score)).all()),
            "hits": sorted(session.execute(select(
                AssessmentRow.ad_id, HitRow.indicator_id, HitRow.score).join(HitRow)).all()),
            "entities": sorted(session.execute(select(
                AdEntityRow.ad_id, AdEntityRow.kind, AdEntityRow.start, AdEntityRow.end,
                AdEntityRow.pseudonym)).all()),
            "reposts": sorted(session.execute(select(
                AdLinkRow.ad_id, AdLinkRow.duplicate_of, AdLinkRow.similarity)).all()),
            "clusters": sorted(sorted(ids) for key, ids in clusters.items() if key is not None),
            "cluster_sizes": sorted(session.scalars(select(ClusterRow.size))),
        }
