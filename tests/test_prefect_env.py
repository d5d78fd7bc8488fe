"""The temporary Prefect server of a command dies with the command (issue 11 item 10),
however the command ends: SIGKILL leaves no orphan listening on a port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

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


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the server")
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
        deadline = time.monotonic() + 20
        while any(running(server) for server in servers) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = [server for server in servers if running(server)]
    finally:
        command.kill()
        command.wait()
    for server in left:
        os.kill(server, signal.SIGKILL)
    assert not left, f"server processes {left} outlived the command"
