"""The polite fetcher: the only way a scan reads anything over HTTP.

Every request, redirects included, goes through the same checks, in this order:
1. the host is on the sources file's `allow_hosts` (else never requested);
2. every address the host resolves to is public (see corpora.sources.addresses), and the
   connection goes to the address that was checked, so a second DNS answer cannot swap it;
3. robots.txt of that host allows the path for our user agent (fetched once per host and
   scan, through these same checks; a missing robots.txt allows all, an unreachable one
   or a server error disallows all, as RFC 9309 says);
4. a per-host pause (`min_interval`, or robots.txt's Crawl-delay if longer).

Timeouts and 5xx answers (and dropped connections) are retried with exponential backoff;
4xx answers never are. A response over `max_bytes` (after decompression) is cut and
raised as an error. Errors name the URL and say what happened, never the page content.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

import httpx

from corpora.records import utc_now
from corpora.sources.addresses import Resolver, UnsafeAddressError, resolve_host, vet_host
from corpora.sources.config import FetchPolicy, host_allowed
from corpora.sources.html import parse_content_type

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ROBOTS_MAX_BYTES = 512_000


class FetchError(Exception):
    """A URL could not be fetched; `url` is the URL asked for, the message says why."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class RefusedError(FetchError):
    """Never requested: off the allow-list, disallowed by robots.txt or an unsafe address."""


class HTTPStatusError(FetchError):
    """The server answered with an error status (after retries, for 5xx)."""

    def __init__(self, url: str, status: int) -> None:
        super().__init__(url, f"HTTP {status}")
        self.status = status


class ResponseTooLargeError(FetchError):
    """The response is larger than `max_bytes`; reading stopped there."""


@dataclass(frozen=True)
class Page:
    """A fetched response: the URL asked for, where it ended after redirects, its body."""

    url: str
    final_url: str
    status: int
    content: bytes
    content_type: str
    charset: str | None
    fetched_at: datetime


@dataclass
class _HostState:
    robots: RobotFileParser | bool | None = None  # True: all allowed, False: none
    next_request_at: float = 0.0
    crawl_delay: float = 0.0


@dataclass
class Fetcher:
    """Fetches URLs under a `FetchPolicy`. Use as a context manager (it owns a connection
    pool); keep one per scan so robots.txt and the pauses are shared across its sources.

    `resolve`, `sleep` and `clock` are there so tests can watch the pauses and feed
    addresses; they default to the real ones.
    """

    policy: FetchPolicy
    resolve: Resolver = resolve_host
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    requests: int = 0
    _hosts: dict[str, _HostState] = field(default_factory=dict)
    _client: httpx.Client | None = None

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def get(self, url: str) -> Page:
        """Fetch `url`, following redirects through the same checks.

        Raises RefusedError (nothing was sent), HTTPStatusError, ResponseTooLargeError or
        FetchError (timeouts, connection errors, too many redirects).
        """
        return self._get(url, check_robots=True, max_bytes=self.policy.max_bytes)

    def _get(self, url: str, *, check_robots: bool, max_bytes: int) -> Page:
        current = url
        for _ in range(self.policy.max_redirects + 1):
            parts = urlsplit(current)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise RefusedError(url, f"{current} is not an http(s) URL")
            if not host_allowed(parts.hostname, self.policy.allow_hosts):
                raise RefusedError(url, f"host {parts.hostname} is not in allow_hosts")
            address = self._vet(url, parts.hostname, _port(parts))
            if check_robots and not self._robots_allow(current):
                raise RefusedError(url, f"robots.txt of {parts.hostname} disallows {current}")
            status, headers, content = self._send(url, current, address, max_bytes)
            location = headers.get("location")
            if status in _REDIRECTS and location:
                current = urljoin(current, location.strip())
                continue
            if status >= 400:
                raise HTTPStatusError(url, status)
            media_type, charset = parse_content_type(headers.get("content-type", ""))
            return Page(url=url, final_url=current, status=status, content=content,
                        content_type=media_type, charset=charset, fetched_at=utc_now())
        raise FetchError(url, f"more than {self.policy.max_redirects} redirects")

    def _vet(self, url: str, host: str, port: int) -> str:
        try:
            return vet_host(host, port, allow_loopback=self.policy.allow_loopback,
                            resolve=self.resolve)
        except UnsafeAddressError as exc:
            raise RefusedError(url, str(exc)) from None
        except OSError as exc:
            raise FetchError(url, f"cannot resolve {host}: {exc}") from None

    def _send(self, url: str, current: str, address: str,
              max_bytes: int) -> tuple[int, httpx.Headers, bytes]:
        """One request to a vetted address, with retries on timeouts, dropped connections
        and 5xx. Host and SNI keep the real name."""
        parts = urlsplit(current)
        host = parts.hostname or ""
        port = _port(parts)
        ip_netloc = f"[{address}]" if ":" in address else address
        target = urlunsplit((parts.scheme, f"{ip_netloc}:{port}", parts.path or "/",
                             parts.query, ""))
        extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
        headers = {"Host": parts.netloc.rsplit("@", 1)[-1], "User-Agent": self.policy.user_agent}
        attempts = self.policy.retries + 1
        for attempt in range(attempts):
            self._wait_turn(host)
            last = attempt == attempts - 1
            try:
                status, response_headers, content = self._request(
                    url, target, headers, extensions, max_bytes)
            except httpx.TimeoutException:
                if last:
                    raise FetchError(url, f"timed out after {self.policy.timeout:g} s "
                                          f"({attempts} attempts)") from None
            except httpx.TransportError as exc:
                if last:
                    raise FetchError(url, f"connection failed ({type(exc).__name__}, "
                                          f"{attempts} attempts)") from None
            else:
                if status < 500 or last:
                    return status, response_headers, content
            self.sleep(self.policy.backoff * 2 ** attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _request(self, url: str, target: str, headers: dict[str, str],
                 extensions: dict[str, str], max_bytes: int) -> tuple[int, httpx.Headers, bytes]:
        self.requests += 1
        client = self._http()
        request = client.build_request("GET", target, headers=headers, extensions=extensions)
        response = client.send(request, stream=True)
        try:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise ResponseTooLargeError(url, f"response of {int(declared):,} bytes is over "
                                                 f"the limit of {max_bytes:,}; not read")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise ResponseTooLargeError(url, f"response is over the limit of "
                                                     f"{max_bytes:,} bytes; cut there")
                chunks.append(chunk)
            return response.status_code, response.headers, b"".join(chunks)
        finally:
            response.close()

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(timeout=self.policy.timeout, follow_redirects=False,
                                        trust_env=False, headers={"Accept-Encoding": "gzip"})
        return self._client

    def _wait_turn(self, host: str) -> None:
        state = self._hosts.setdefault(host, _HostState())
        now = self.clock()
        if state.next_request_at > now:
            self.sleep(state.next_request_at - now)
        interval = max(self.policy.min_interval, state.crawl_delay)
        state.next_request_at = max(now, state.next_request_at) + interval

    def _robots_allow(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.path == "/robots.txt":
            return True
        state = self._hosts.setdefault(parts.hostname or "", _HostState())
        if state.robots is None:
            state.robots = self._load_robots(f"{parts.scheme}://{parts.netloc}/robots.txt")
            if isinstance(state.robots, RobotFileParser):
                delay = state.robots.crawl_delay(self.policy.user_agent)
                state.crawl_delay = float(delay) if delay else 0.0
        if isinstance(state.robots, bool):
            return state.robots
        return state.robots.can_fetch(self.policy.user_agent, url)

    def _load_robots(self, robots_url: str) -> RobotFileParser | bool:
        try:
            page = self._get(robots_url, check_robots=False, max_bytes=_ROBOTS_MAX_BYTES)
        except HTTPStatusError as exc:
            return exc.status < 500  # 4xx: no rules, all allowed; 5xx: nothing allowed
        except RefusedError:
            return False
        except FetchError:
            return False  # unreachable: assume nothing is allowed (RFC 9309 2.3.1.4)
        parser = RobotFileParser(robots_url)
        parser.parse(page.content.decode("utf-8", errors="replace").splitlines())
        return parser



def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)
