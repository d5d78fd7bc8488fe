"""A local HTTP server for the fetch tests: fixed routes on 127.0.0.1, a free port, and a
log of every request it received (so a test can say a URL was never requested)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Response = tuple[int, dict[str, str], bytes]
Route = Response | Callable[[int], Response]  # a callable gets the hit number (1, 2...)


@dataclass
class LocalServer:
    """Routes by path; `hits` lists (path, headers) in arrival order."""

    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    port: int = 0

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def requested(self, path: str) -> int:
        return sum(1 for hit, _ in self.hits if hit == path)


def page(body: str | bytes, content_type: str = "text/html; charset=utf-8",
         status: int = 200, **headers: str) -> Response:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return status, {"Content-Type": content_type, **headers}, data


def slow(seconds: float, response: Response) -> Callable[[int], Response]:
    """A route that answers after `seconds` (bounded: the server thread sleeps)."""
    def answer(hit: int) -> Response:
        time.sleep(seconds)
        return response
    return answer


@contextmanager
def serve(routes: dict[str, Route]) -> Iterator[LocalServer]:
    """Run a server with `routes` on 127.0.0.1 (a free port) for the block."""
    server = LocalServer(routes=dict(routes))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            with lock:
                server.hits.append((self.path, dict(self.headers.items())))
                count = server.requested(self.path)
            route = server.routes.get(self.path)
            if route is None:
                status, headers, body = page("not found", "text/plain", 404)
            else:
                status, headers, body = route(count) if callable(route) else route
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                if headers.get("Transfer-Encoding") == "chunked":
                    for start in range(0, len(body), 65536):
                        chunk = body[start:start + 65536]
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading (size limit, timeout): expected

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    server.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
