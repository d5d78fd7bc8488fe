"""Prefect for flows run in-process from the command line, and the Prefect server of
`centinela schedule`.

With a Prefect server configured (PREFECT_API_URL), flows report to it. Without one, a
temporary server is started for the command (`pipelines.prefect_server`): it starts in
the background while the command does its own preparation (`warm_up`, e.g. loading the
model), and it dies with the command, even when the command is killed. `centinela
schedule` gets a full server (scheduler and UI) from the same launcher
(`local_prefect_server`), which dies with it the same way.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

STARTUP_TIMEOUT_SECONDS = 120.0
_POLL_SECONDS = 0.05


class PrefectServerError(RuntimeError):
    """The temporary Prefect server did not start."""


@contextmanager
def local_prefect(warm_up: Callable[[], object] | None = None) -> Iterator[None]:
    """Prefect settings for a local run: no analytics, and a temporary local server unless
    the user configured one. `warm_up` runs while the server starts."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        temporary_settings,
    )

    updates: dict[object, object] = {
        PREFECT_SERVER_ANALYTICS_ENABLED: os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"]}
    if PREFECT_API_URL.value():
        if warm_up is not None:
            warm_up()
        with temporary_settings(updates=updates):  # type: ignore[arg-type]
            yield
        return
    with _temporary_server() as wait_for_api:
        if warm_up is not None:
            warm_up()
        updates[PREFECT_API_URL] = wait_for_api()
        with temporary_settings(updates=updates):  # type: ignore[arg-type]
            yield


@contextmanager
def local_prefect_server() -> Iterator[str]:
    """A full Prefect server (API, scheduler and the other services, UI) on a free
    loopback port, for the block; yields its API URL. Its database is in PREFECT_HOME, as
    with `prefect server start`; it dies with this process, even when this is killed."""
    with _temporary_server(services=True) as wait_for_api:
        yield wait_for_api()


@contextmanager
def _temporary_server(services: bool = False) -> Iterator[Callable[[], str]]:
    """Start `pipelines.prefect_server` now (with its background services and UI, or a
    bare API); yields a function that waits until its API answers and returns the API
    URL. The server is stopped on the way out, and dies with this process anyway."""
    from prefect.settings import get_current_settings

    env = {**os.environ, **get_current_settings().to_environment_variables(exclude_unset=True)}
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if not services:
        env["PREFECT_UI_ENABLED"] = "0"
    process = subprocess.Popen(
        [sys.executable, "-m", "pipelines.prefect_server", str(os.getpid()),
         *(["--services"] if services else [])],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=env, text=True)
    port: list[str] = []
    reader = threading.Thread(target=lambda: port.append(process.stdout.readline().strip()),
                              daemon=True)
    reader.start()

    def wait_for_api() -> str:
        return _wait_until_ready(process, reader, port)

    try:
        yield wait_for_api
    finally:
        if reader.is_alive() is False and port:
            _drain_prefect_workers()
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _drain_prefect_workers() -> None:
    """Send Prefect's queued logs and events while the server still listens (as Prefect's
    own test harness does); otherwise they are retried against a closed port at exit."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        try:
            worker.drain_all(timeout=5)
        except RuntimeError:
            pass  # never started


def _wait_until_ready(process: subprocess.Popen[str], reader: threading.Thread,
                      port: list[str]) -> str:
    import httpx

    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    reader.join(STARTUP_TIMEOUT_SECONDS)
    if not port or not port[0].isdigit():
        raise PrefectServerError(
            f"the temporary Prefect server did not start (exit code {process.poll()}); set "
            "PREFECT_API_URL to use a running server instead")
    api_url = f"http://127.0.0.1:{port[0]}/api"
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            try:
                if client.get(f"{api_url}/health").status_code == 200:
                    return api_url
            except httpx.TransportError:
                pass
            time.sleep(_POLL_SECONDS)
    raise PrefectServerError(
        f"the temporary Prefect server did not answer on {api_url} (exit code "
        f"{process.poll()}); set PREFECT_API_URL to use a running server instead")
