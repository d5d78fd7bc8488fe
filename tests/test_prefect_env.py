"""The temporary Prefect server of a command dies with the command (issue 11 item 10),
however the command ends: SIGKILL leaves no orphan listening on a port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.processes import HAS_PROC, children_of, left_running

# Runs a flow (so the server is certainly started), then says its pid and waits.
COMMAND = textwrap.dedent("""
    import os, time
    from prefect import flow
    from pipelines.prefect_env import local_prefect

    @flow(name="noop")
    def noop() -> int:
        return 1

    with local_prefect():
        noop()
        print(os.getpid(), flush=True)
        time.sleep(600)
""")


@pytest.mark.slow
@pytest.mark.skipif(not HAS_PROC, reason="needs /proc to find the server")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_the_temporary_server_dies_with_the_command(tmp_path: Path, how: signal.Signals) -> None:
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("PREFECT_API_URL", None)
    command = subprocess.Popen([sys.executable, "-c", COMMAND], stdout=subprocess.PIPE,
                               text=True, env=env)
    try:
        pid = int(command.stdout.readline())
        servers = children_of(pid)
        assert servers, "no server process was started"
        command.send_signal(how)
        command.wait(30)
        left = left_running(servers)
    finally:
        command.kill()
        command.wait()
    assert not left, f"server processes {left} outlived the command"
