"""A Prefect API server that dies with the process that started it.

Run by `pipelines.prefect_env` as `python -m pipelines.prefect_server PID [--services]`:
it binds a free port on 127.0.0.1, writes the port on its standard output, and serves
Prefect's API until its parent `PID` ends, however it ends: on Linux the kernel sends it
SIGTERM when the parent dies (even by SIGKILL), and a watch thread does the same
everywhere else. Without `--services` it is a temporary API (no UI, no background
services) for flows run in the command; with it, a full server as `prefect server start`
runs one (scheduler and the other services, and the UI), for `centinela schedule`.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1
_WATCH_SECONDS = 0.5
_STOP_GRACE_SECONDS = 10.0


def main(argv: list[str]) -> None:
    parent, services = int(argv[0]), argv[1:] == ["--services"]
    _die_with(parent)
    server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server_socket.bind(("127.0.0.1", 0))
    server_socket.listen(128)
    port = server_socket.getsockname()[1]
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    _quiet_stdout()
    # Read by Prefect's settings, imported below: where the UI finds the API.
    os.environ.setdefault("PREFECT_UI_API_URL", f"http://127.0.0.1:{port}/api")

    import uvicorn
    from prefect.server.api.server import create_app

    config = uvicorn.Config(create_app(ephemeral=not services, final=True),
                            log_level="error", lifespan="on")
    uvicorn.Server(config).run(sockets=[server_socket])


def _die_with(parent: int) -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the kernel was told
        os._exit(0)
    threading.Thread(target=_watch, args=(parent,), name="watch-parent", daemon=True).start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_WATCH_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)  # uvicorn shuts down cleanly on SIGTERM...
    time.sleep(_STOP_GRACE_SECONDS)
    os._exit(1)  # ...or is stopped


def _quiet_stdout() -> None:
    """The parent reads one line; anything more would fill the pipe and block us."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":
    main(sys.argv[1:])
