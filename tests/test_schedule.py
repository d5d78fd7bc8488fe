"""`centinela schedule` for real: it starts a Prefect server on 127.0.0.1, serves one
deployment per scheduled source with its cron, runs a scan when asked, and stops its
server when stopped."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from annotation.store import open_store
from annotation.store.tables import AdRow
from corpora.sources.config import load_sources_file
from pipelines.cli import app
from pipelines.schedules import build_deployments
from tests.processes import HAS_PROC, children_of, left_running

SOURCES = '''allow_hosts = ["empleos.example.org"]
[[source]]
name = "dump"
kind = "jsonl"
path = "dump.jsonl"
lang = "es"
country = "MX"
schedule = "0 */6 * * *"

[[source]]
name = "feed"
kind = "rss"
url = "https://empleos.example.org/feed.xml"
schedule = "30 2 * * 1"

[[source]]
name = "by-hand"
kind = "csv"
path = "x.csv"
'''


def write_sources(tmp_path: Path) -> Path:
    (tmp_path / "dump.jsonl").write_text("\n".join(json.dumps(ad) for ad in [
        {"id": "s1", "text": "Cajero para tienda, sueldo fijo y prestaciones."},
        {"id": "s2", "text": "Viaje pagado a Europa, nosotros guardamos tu pasaporte."},
    ]) + "\n", encoding="utf-8")
    path = tmp_path / "sources.toml"
    path.write_text(SOURCES, encoding="utf-8")
    return path


def test_one_deployment_per_scheduled_source(tmp_path: Path) -> None:
    deployments = build_deployments(load_sources_file(write_sources(tmp_path)))
    assert [(d.name, d.schedules[0].schedule.cron, d.parameters["only"]) for d in deployments] \
        == [("dump", "0 */6 * * *", "dump"), ("feed", "30 2 * * 1", "feed")]
    assert all(d.parameters["sources_path"] == str(tmp_path / "sources.toml")
               for d in deployments)


def test_schedule_refuses_a_file_without_schedules(tmp_path: Path) -> None:
    path = write_sources(tmp_path)
    result = CliRunner().invoke(app, ["schedule", str(path), "--only", "by-hand"])
    assert result.exit_code == 1 and "no source has a 'schedule'" in result.output


def start_schedule(tmp_path: Path) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    """`centinela schedule` on the sources of `write_sources`, with no Prefect server
    configured (so it starts its own), and a queue of the lines it prints."""
    path = write_sources(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), CENTINELA_HOME=str(tmp_path / "home"),
               CENTINELA_DB=f"sqlite:///{tmp_path / 'c.db'}",
               CENTINELA_MODEL="indicators.rules.v1",
               PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "schedule", str(path)], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout],  # type: ignore[union-attr]
                     daemon=True).start()
    return process, lines


def assert_stopped(api_url: str, servers: list[int]) -> None:
    """The schedule's Prefect server processes are gone and nothing answers at its URL."""
    left = left_running(servers)
    assert not left, f"the Prefect server {left} outlived the schedule command"
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{api_url}/health", timeout=2)


@pytest.mark.slow
@pytest.mark.skipif(not HAS_PROC, reason="needs /proc to find the server")
def test_schedule_serves_and_runs_a_scan(tmp_path: Path) -> None:
    process, lines = start_schedule(tmp_path)
    servers: list[int] = []
    try:
        api_url = _wait_for_server(lines, process)
        servers = children_of(process.pid)  # before any flow run: the server alone
        assert servers, "no Prefect server process was started"
        with httpx.Client(base_url=api_url, timeout=10) as client:
            names = _wait_for_deployments(client)
            assert names == {"dump", "feed", "purge"}
            [deployment] = client.post("/deployments/filter", json={
                "deployments": {"name": {"any_": ["dump"]}}}).json()
            _wait_for_scheduled_runs(client, deployment["id"])  # the server's scheduler
            run = _post(client, f"/deployments/{deployment['id']}/create_flow_run", {})
            state = _wait_for_run(client, run["id"])
        assert state == "COMPLETED"
        with open_store(f"sqlite:///{tmp_path / 'c.db'}") as store, store.begin() as session:
            assert session.scalar(select(func.count()).select_from(AdRow)) == 2
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert_stopped(api_url, servers)


@pytest.mark.slow
@pytest.mark.skipif(not HAS_PROC, reason="needs /proc to find the server")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_killed_schedule_leaves_no_prefect_server(tmp_path: Path, how: signal.Signals) -> None:
    """Killed, the command runs no clean-up: its server must end on its own (issue 11
    item 10)."""
    process, lines = start_schedule(tmp_path)
    try:
        api_url = _wait_for_server(lines, process)
        servers = children_of(process.pid)
        assert servers, "no Prefect server process was started"
        process.send_signal(how)
        process.wait(timeout=30)
    finally:
        process.kill()
        process.wait()
    assert_stopped(api_url, servers)


def _wait_for_server(lines: queue.Queue[str], process: subprocess.Popen[str]) -> str:
    seen = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            assert process.poll() is None, "".join(seen)
            continue
        seen.append(line)
        if "Prefect server (and UI) on " in line:
            return line.split(" on ", 1)[1].strip() + "/api"
    raise AssertionError("no server line: " + "".join(seen))


def _post(client: httpx.Client, path: str, body: dict) -> dict:
    """POST to the Prefect API, retrying a server error a few times as Prefect's own client
    does (its SQLite database can be locked for a moment on a loaded machine)."""
    for attempt in range(5):
        response = client.post(path, json=body)
        if response.status_code < 500:
            break
        time.sleep(1 + attempt)
    assert response.is_success, f"{path}: {response.status_code} {response.text[:300]}"
    return response.json()


def _wait_for_deployments(client: httpx.Client) -> set[str]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = {d["name"] for d in client.post("/deployments/filter", json={}).json()}
        if len(found) >= 3:
            return found
        time.sleep(1)
    raise AssertionError("the deployments were not registered")


def _wait_for_scheduled_runs(client: httpx.Client, deployment_id: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        runs = client.post("/flow_runs/filter", json={
            "deployments": {"id": {"any_": [deployment_id]}}}).json()
        if any(run["auto_scheduled"] for run in runs):
            return
        time.sleep(1)
    raise AssertionError("the server's scheduler made no run of the deployment's cron")


def _wait_for_run(client: httpx.Client, run_id: str) -> str:
    deadline = time.monotonic() + 240
    state = ""
    while time.monotonic() < deadline:
        state = client.get(f"/flow_runs/{run_id}").json()["state"]["type"]
        if state in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return state
        time.sleep(1)
    raise AssertionError(f"the run did not finish (last state {state})")
