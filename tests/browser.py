"""Real-browser tests' shared parts: Debian's Chromium for Playwright, and `centinela
serve` started on a free port over a given store (stopped when the block ends)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's Chromium (.ci/run installs it: apt-get install -y chromium)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_server(db_url: str, home: Path) -> Iterator[str]:
    """`centinela serve` over `db_url`; yields its base URL."""
    port = _free_port()
    cli = Path(sys.executable).with_name("centinela")
    command = [str(cli)] if cli.exists() else [sys.executable, "-m", "pipelines.cli"]
    process = subprocess.Popen(
        [*command, "serve", "--port", str(port), "--db", db_url],
        env={**os.environ, "CENTINELA_HOME": str(home)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/login", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"centinela serve did not start:\n{process.communicate()[0]}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
