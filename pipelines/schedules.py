"""Schedules: one Prefect deployment of the `scan-sources` flow per source that has a
`schedule` (cron) in the sources file, and the daily `purge` flow (retention, on the
`[retention] schedule` cron), served by `centinela schedule`.

Prefect's temporary in-process server runs no scheduler, so when no Prefect server is
configured (PREFECT_API_URL) `local_prefect_server` starts a real one on 127.0.0.1 for as
long as the schedules are served, and stops it after.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from corpora.sources.config import SourcesFile

SERVER_START_TIMEOUT = 120.0


def build_deployments(sources_file: SourcesFile, only: str | None = None) -> list[Any]:
    """A deployment per scheduled source (named after it), running `scan-sources` on that
    source alone. Raises ValueError when no source has a schedule."""
    from pipelines.flows.sources import scan_sources

    scheduled = [source for source in sources_file.select(only) if source.schedule]
    if not scheduled:
        raise ValueError(f"{sources_file.path}: no source has a 'schedule' (a cron line such "
                         "as \"0 */6 * * *\")")
    path = str(Path(sources_file.path).resolve())
    return [scan_sources.to_deployment(
        name=source.name, cron=source.schedule, tags=["centinela", source.kind],
        description=f"Scan the source {source.name!r} of {path}",
        parameters={"sources_path": path, "only": source.name}) for source in scheduled]


def purge_deployment(cron: str) -> Any:
    """The `purge` flow (annotation.retention) on `cron`, named 'purge'."""
    from pipelines.flows.purge import purge_flow

    return purge_flow.to_deployment(
        name="purge", cron=cron, tags=["centinela", "retention"],
        description="Apply the retention policy ([retention] of the settings file)")


@contextmanager
def local_prefect_server() -> Iterator[str]:
    """A Prefect server (API, scheduler and UI) on a free loopback port, for the block;
    yields its API URL. Its database is in PREFECT_HOME, as with `prefect server start`."""
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "WARNING", "--analytics-off"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_healthy(api_url, server)
        yield api_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_healthy(api_url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            detail = (server.stderr.read() if server.stderr else b"").decode(errors="replace")
            raise RuntimeError(f"the Prefect server stopped at start: {detail.strip()[-500:]}")
        try:
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the Prefect server did not answer on {api_url} within "
                       f"{SERVER_START_TIMEOUT:.0f} s")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
