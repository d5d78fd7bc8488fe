"""`sources.toml`: the minimal form of the README works as written; every mistake is an
error that names the file, the source and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpora.sources.config import SourcesFileError, host_allowed, load_sources_file

MINIMAL = '''allow_hosts = ["empleos.example.org"]
[[source]]
name = "empleos-rss"
kind = "rss"            # rss | html | sitemap | warc | telegram | jsonl | csv
url = "https://empleos.example.org/feed.xml"   # or path = "dumps/x.jsonl"
lang = "es"
country = "CO"
schedule = "0 */6 * * *"
'''


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_minimal_form_works_as_written(tmp_path: Path) -> None:
    loaded = load_sources_file(write(tmp_path, MINIMAL))
    [source] = loaded.sources
    assert (source.name, source.kind, source.url, source.lang, source.country,
            source.schedule) == ("empleos-rss", "rss", "https://empleos.example.org/feed.xml",
                                 "es", "CO", "0 */6 * * *")
    assert loaded.fetch.allow_hosts == ("empleos.example.org",)
    assert "Centinela" in loaded.fetch.user_agent
    assert loaded.fetch.allow_loopback is False


def test_the_readme_example_loads(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    loaded = load_sources_file(write(tmp_path, example))
    assert {source.kind for source in loaded.sources} >= {"rss", "sitemap", "jsonl"}


def test_paths_are_relative_to_the_sources_file_and_kinds_take_their_keys(
        tmp_path: Path) -> None:
    text = MINIMAL + '''
[[source]]
name = "dump"
kind = "jsonl"
path = "dumps/x.jsonl"

[[source]]
name = "pages"
kind = "html"
urls = ["https://empleos.example.org/a", "https://jobs.empleos.example.org/b"]
enabled = false
'''
    text = text.replace('allow_hosts = ["empleos.example.org"]',
                        'allow_hosts = ["empleos.example.org", "*.empleos.example.org"]')
    loaded = load_sources_file(write(tmp_path, text))
    assert loaded.sources[1].path == tmp_path / "dumps" / "x.jsonl"
    assert [s.name for s in loaded.select()] == ["empleos-rss", "dump"]
    assert [s.name for s in loaded.select("pages")] == ["pages"]
    with pytest.raises(SourcesFileError, match="no source named 'nope'"):
        loaded.select("nope")


@pytest.mark.parametrize(("change", "message"), [
    (('kind = "rss"', 'kind = "rsss"'), r"\('empleos-rss'\): key 'kind': must be one of"),
    (('url = "https://empleos.example.org', 'url = "https://otro.example.org'),
     r"key 'url': host 'otro.example.org' is not in allow_hosts"),
    (('schedule = "0 */6 * * *"', 'schedule = "0 */6 * *"'), r"key 'schedule': .* five fields"),
    (('schedule = "0 */6 * * *"', 'schedule = "61 * * * *"'), r"key 'schedule': .*cron"),
    (('lang = "es"', 'lang = "en"'), r"key 'lang': must be one of: 'es' or 'pt'"),
    (('country = "CO"', 'country = "Colombia"'), r"key 'country': use a two-letter"),
    (('lang = "es"', 'lang = "es"\nlimit = 3'), r"key 'limit': unknown key"),
    (('url = "https://empleos.example.org/feed.xml"', 'path = "x.xml"'), r"give 'url', not 'path'"),
    (('url = "https://empleos.example.org/feed.xml"', 'url = "ftp://empleos.example.org/f"'),
     r"key 'url': 'ftp://empleos.example.org/f' is not an http\(s\) URL"),
    (('name = "empleos-rss"', 'name = "Empleos RSS"'), r"key 'name': use 1-63 lowercase"),
    (('allow_hosts = ["empleos.example.org"]', 'allow_hosts = ["https://empleos.example.org/"]'),
     r"allow_hosts: 'https://empleos.example.org/' is not a host name"),
    (('allow_hosts', 'allowed_hosts'), r"unknown key 'allowed_hosts' at the top level"),
    (('lang = "es"', 'lang = es'), r"not valid TOML: .*line 6"),
])
def test_mistakes_name_the_file_the_source_and_the_key(tmp_path: Path, change: tuple[str, str],
                                                       message: str) -> None:
    path = write(tmp_path, MINIMAL.replace(*change))
    with pytest.raises(SourcesFileError, match=message) as raised:
        load_sources_file(path)
    assert str(raised.value).startswith(str(path))


def test_fetch_table_is_validated_and_names_duplicates(tmp_path: Path) -> None:
    with pytest.raises(SourcesFileError, match=r"\[fetch\]: key 'timeout': .*greater than 0"):
        load_sources_file(write(tmp_path, "[fetch]\ntimeout = -1\n" + MINIMAL.replace(
            'allow_hosts = ["empleos.example.org"]', "")))
    twice = MINIMAL + MINIMAL.split("\n", 1)[1]
    with pytest.raises(SourcesFileError, match=r"#2 \('empleos-rss'\): key 'name': .* another"):
        load_sources_file(write(tmp_path, twice))
    with pytest.raises(SourcesFileError, match="no such file"):
        load_sources_file(tmp_path / "missing.toml")
    with pytest.raises(SourcesFileError, match=r"no \[\[source\]\]"):
        load_sources_file(write(tmp_path, 'allow_hosts = []\n'))


def test_host_allowed_matches_exact_names_and_star_subdomains() -> None:
    allow = ("empleos.example.org", "*.example.net", "127.0.0.1")
    assert host_allowed("empleos.example.org", allow)
    assert host_allowed("EMPLEOS.example.org.", allow)
    assert host_allowed("a.b.example.net", allow)
    assert not host_allowed("example.net", allow)
    assert not host_allowed("evil-empleos.example.org", allow)
    assert not host_allowed("empleos.example.org.evil.example", allow)
    assert host_allowed("127.0.0.1", allow) and not host_allowed("localhost", allow)
