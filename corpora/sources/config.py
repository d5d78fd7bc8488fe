"""The sources file (`sources.toml`): which sources a scan reads and how politely it fetches.

    allow_hosts = ["empleos.example.org"]     # the only hosts ever fetched

    [fetch]                                   # optional; these are the defaults
    user_agent = "Centinela/0.1 (+...)"       # names the project; add a contact address
    timeout = 20.0                            # seconds per request
    retries = 2                               # on 5xx and timeouts only, with backoff
    min_interval = 1.0                        # seconds between two requests to one host
    max_bytes = 5_000_000                     # a larger response is cut and skipped

    [[source]]
    name = "empleos-rss"
    kind = "rss"        # rss | html | sitemap | warc | telegram | jsonl | csv
    url = "https://empleos.example.org/feed.xml"   # or path = "dumps/x.jsonl"
    lang = "es"         # used when a record does not say (else the text tells)
    country = "CO"      # ISO 3166 alpha-2: the region of phone numbers written locally
    schedule = "0 */6 * * *"                  # cron, for `centinela schedule`

`html` sources take `url` (one page) or `urls` (several); `sitemap` takes the sitemap's
`url` and an optional `max_pages` per scan. A relative `path` is relative to the sources
file. Every error names the file, the source and the key, so it can be fixed without
guessing.
"""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from corpora.sources import SourceKind

WEB_KINDS: frozenset[str] = frozenset({"rss", "html", "sitemap"})
FILE_KINDS: frozenset[str] = frozenset({"warc", "telegram", "jsonl", "csv"})

DEFAULT_USER_AGENT = ("Centinela/0.1 (open-source scanner for human-trafficking recruitment "
                      "indicators in job ads; polite: robots.txt, rate-limited)")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
_HOST = re.compile(r"^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$"
                   r"|^\[?[0-9a-f:.]+\]?$")


class SourcesFileError(ValueError):
    """The sources file cannot be used; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FetchPolicy(_Strict):
    """How every HTTP request of a scan behaves (see corpora.sources.fetch)."""

    user_agent: str = Field(DEFAULT_USER_AGENT, min_length=8)
    timeout: float = Field(20.0, gt=0, le=300)
    retries: int = Field(2, ge=0, le=10)
    backoff: float = Field(1.0, ge=0, le=60)
    min_interval: float = Field(1.0, ge=0, le=3600)
    max_bytes: int = Field(5_000_000, ge=1024, le=1_000_000_000)
    max_redirects: int = Field(5, ge=0, le=20)
    allow_hosts: tuple[str, ...] = ()
    allow_loopback: bool = False


class SourceConfig(_Strict):
    """One `[[source]]` of the sources file."""

    name: str
    kind: SourceKind
    url: str | None = None
    urls: tuple[str, ...] = ()
    path: Path | None = None
    lang: Literal["es", "pt"] | None = None
    country: str | None = None
    schedule: str | None = None
    max_pages: int = Field(500, ge=1, le=1_000_000)
    enabled: bool = True

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("use 1-63 lowercase letters, digits, '-', '_' or '.', starting "
                             "with a letter or digit")
        return value

    @field_validator("country")
    @classmethod
    def _check_country(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z]{2}", value):
            raise ValueError("use a two-letter ISO 3166 code such as 'CO' or 'BR'")
        return value.upper() if value else value

    @field_validator("schedule")
    @classmethod
    def _check_schedule(cls, value: str | None) -> str | None:
        if value is not None:
            check_cron(value)
        return value

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value)

    @field_validator("urls")
    @classmethod
    def _check_urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_url(url) for url in value)

    @model_validator(mode="after")
    def _check_location(self) -> SourceConfig:
        web = self.kind in WEB_KINDS
        if web and self.path is not None:
            raise ValueError(f"a {self.kind} source is fetched: give 'url', not 'path'")
        if not web and (self.url or self.urls):
            raise ValueError(f"a {self.kind} source is a local file: give 'path', not 'url'")
        if self.urls and self.kind != "html":
            raise ValueError("'urls' is for html sources; give one 'url'")
        if web and not (self.url or self.urls):
            raise ValueError(f"a {self.kind} source needs 'url'")
        if not web and self.path is None:
            raise ValueError(f"a {self.kind} source needs 'path'")
        return self

    @property
    def page_urls(self) -> tuple[str, ...]:
        """Every URL this source starts from (one for rss and sitemap)."""
        return ((self.url,) if self.url else ()) + self.urls


class SourcesFile(_Strict):
    """A loaded, validated sources file."""

    path: Path
    fetch: FetchPolicy
    sources: tuple[SourceConfig, ...]

    def select(self, only: str | None = None) -> tuple[SourceConfig, ...]:
        """The enabled sources, or the one named `only` (enabled or not)."""
        if only is None:
            return tuple(source for source in self.sources if source.enabled)
        for source in self.sources:
            if source.name == only:
                return (source,)
        names = ", ".join(source.name for source in self.sources)
        raise SourcesFileError(f"{self.path}: no source named {only!r}; it has: {names}")


def load_sources_file(path: str | Path, *, allow_loopback: bool = False) -> SourcesFile:
    """Read and validate a sources file.

    Raises SourcesFileError naming the file and the key for anything wrong: bad TOML (with
    its line), an unknown key, a missing url or path, a URL whose host is not in
    `allow_hosts`, a duplicated name, a bad cron line. `allow_loopback` comes from the
    environment (CENTINELA_ALLOW_LOOPBACK=1), never from the file.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise SourcesFileError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise SourcesFileError(f"{path}: not UTF-8 (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SourcesFileError(f"{path}: not valid TOML: {exc}") from None
    return parse_sources(data, path, allow_loopback=allow_loopback)


def parse_sources(data: dict[str, Any], path: Path, *,
                  allow_loopback: bool = False) -> SourcesFile:
    """Validate the parsed TOML of a sources file (see `load_sources_file`)."""
    data = dict(data)
    unknown = sorted(set(data) - {"allow_hosts", "fetch", "source"})
    if unknown:
        raise SourcesFileError(f"{path}: unknown key {unknown[0]!r} at the top level; "
                               "expected allow_hosts, [fetch] and [[source]] tables")
    hosts = data.get("allow_hosts", [])
    if not isinstance(hosts, list) or not all(isinstance(host, str) for host in hosts):
        raise SourcesFileError(f"{path}: 'allow_hosts' must be a list of host names")
    hosts = [host.strip().lower() for host in hosts]
    for host in hosts:
        if not _HOST.match(host):
            raise SourcesFileError(f"{path}: allow_hosts: {host!r} is not a host name "
                                   "(write 'empleos.example.org', without scheme or path)")
    fetch_table = data.get("fetch", {})
    if not isinstance(fetch_table, dict):
        raise SourcesFileError(f"{path}: 'fetch' must be a table ([fetch])")
    try:
        policy = FetchPolicy(**fetch_table, allow_hosts=tuple(hosts),
                             allow_loopback=allow_loopback)
    except ValidationError as exc:
        raise SourcesFileError(f"{path}: [fetch]: {_describe(exc)}") from None
    except TypeError as exc:  # a key given twice, e.g. allow_hosts inside [fetch]
        raise SourcesFileError(f"{path}: [fetch]: {exc}") from None

    tables = data.get("source", [])
    if not isinstance(tables, list) or not tables:
        raise SourcesFileError(f"{path}: no [[source]] table; add at least one source")
    sources: list[SourceConfig] = []
    for number, table in enumerate(tables, start=1):
        label = f"[[source]] #{number}"
        if isinstance(table, dict) and isinstance(table.get("name"), str):
            label += f" ({table['name']!r})"
        try:
            source = SourceConfig(**_resolve_path(table, path))
        except ValidationError as exc:
            raise SourcesFileError(f"{path}: {label}: {_describe(exc)}") from None
        for url in source.page_urls:
            if not host_allowed(urlsplit(url).hostname or "", policy.allow_hosts):
                raise SourcesFileError(
                    f"{path}: {label}: key 'url': host {urlsplit(url).hostname!r} is not in "
                    "allow_hosts; add it there to allow fetching from it")
        if any(other.name == source.name for other in sources):
            raise SourcesFileError(f"{path}: {label}: key 'name': {source.name!r} is used by "
                                   "another source; names must be unique")
        sources.append(source)
    return SourcesFile(path=path, fetch=policy, sources=tuple(sources))


def host_allowed(host: str, allow_hosts: tuple[str, ...]) -> bool:
    """Whether `host` is on the allow-list: named exactly, or under a '*.' entry."""
    host = host.lower().rstrip(".").strip("[]")
    for allowed in allow_hosts:
        allowed = allowed.strip("[]")
        if allowed.startswith("*."):
            if host.endswith(allowed[1:]):
                return True
        elif host == allowed:
            return True
    return False


def check_url(value: str) -> str:
    """An absolute http(s) URL with a host, or ValueError."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL with a host")
    return value


def check_cron(value: str) -> str:
    """A five-field cron line (minute hour day month weekday), or ValueError."""
    from cronsim import CronSim, CronSimError

    if len(value.split()) != 5:
        raise ValueError(f"{value!r} is not a cron line: give five fields, "
                         "minute hour day-of-month month day-of-week, e.g. '0 */6 * * *'")
    try:
        CronSim(value, datetime.now(UTC))
    except CronSimError as exc:
        raise ValueError(f"{value!r} is not a cron line: {exc}") from None
    return value


def _resolve_path(table: Any, sources_path: Path) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise SourcesFileError(f"{sources_path}: every [[source]] must be a table")
    table = dict(table)
    if isinstance(table.get("path"), str):
        path = Path(table["path"]).expanduser()
        table["path"] = path if path.is_absolute() else sources_path.parent / path
    return table


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] == "literal_error":
            message = f"must be one of: {message.split('Input should be ', 1)[-1]}"
        problems.append(f"key {key!r}: {message}" if key else message)
    return "; ".join(problems)


__all__ = ["FILE_KINDS", "WEB_KINDS", "FetchPolicy", "SourceConfig",
           "SourceKind", "SourcesFile", "SourcesFileError", "check_cron", "check_url",
           "host_allowed", "load_sources_file", "parse_sources"]
