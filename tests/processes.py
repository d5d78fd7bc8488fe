"""Processes seen through /proc (Linux): the children a command started, and whether one
still runs. For the tests that a killed command leaves no Prefect server behind."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

HAS_PROC = Path("/proc").is_dir()


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


def left_running(pids: list[int], within: float = 20.0) -> list[int]:
    """Those of `pids` still running after `within` seconds; they are then killed, so
    that a failing test leaves none behind. (A server told to stop shuts down within its
    grace period, pipelines/prefect_server.py, not necessarily at once.)"""
    deadline = time.monotonic() + within
    while any(running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [pid for pid in pids if running(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    return left
