"""A damaged, foreign, read-only or locked store (issue 11 item 11): refused with one line
that says what to do, before a scan starts; locks are retried first."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from annotation.store import StoreError, check_writable, open_store, save_ads
from annotation.store import db as store_db
from annotation.store import faults
from corpora.records import Ad
from pipelines.commands.scan import scan
from tests.fakes import FAKE_DETECTOR_NAME, register_fake_detectors


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> typer.Typer:
    register_fake_detectors()
    monkeypatch.setenv("CENTINELA_MODEL", FAKE_DETECTOR_NAME)
    app = typer.Typer()
    app.callback()(lambda: None)
    app.command("scan")(scan)
    return app


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "ads.jsonl"
    path.write_text(json.dumps({"id": "a", "lang": "es", "text": "Trabajo, pasaporte."}) + "\n",
                    encoding="utf-8")
    return path


@pytest.fixture
def quick_locks(monkeypatch: pytest.MonkeyPatch) -> None:
    """A busy timeout and retry pauses of a fraction of a second instead of 10 s and 7 s."""
    monkeypatch.setattr(store_db, "SQLITE_BUSY_TIMEOUT_MS", 50)
    monkeypatch.setattr(faults, "LOCK_PAUSES_SECONDS", (0.05, 0.05))


def damaged_store(path: Path) -> str:
    url = f"sqlite:///{path}"
    with open_store(url) as store, store.begin() as session:
        save_ads(session, [Ad(id=f"x{i}", text="Oferta de empleo. " * 100 + str(i))
                           for i in range(200)])
    with path.open("r+b") as stream:  # overwrite page 3 with garbage
        stream.seek(2 * 4096)
        stream.write(os.urandom(4096))
    return url


def one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1, result.output
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_damaged_sqlite_store_is_refused_at_open(tmp_path: Path) -> None:
    url = damaged_store(tmp_path / "c.db")
    with pytest.raises(StoreError, match=r"it is damaged \(Page 3: .*\); restore it from a backup"):
        open_store(url)


def test_scanning_into_a_damaged_store_is_one_clear_line(cli: typer.Typer, tmp_path: Path,
                                                         source: Path) -> None:
    url = damaged_store(tmp_path / "c.db")
    result = CliRunner().invoke(cli, ["scan", str(source), "--db", url])
    line = one_line_error(result)
    assert str(tmp_path / "c.db") in line and "it is damaged" in line


def test_a_file_that_is_not_a_database_is_one_clear_line(cli: typer.Typer, tmp_path: Path,
                                                         source: Path) -> None:
    (tmp_path / "c.db").write_bytes(os.urandom(100_000))
    result = CliRunner().invoke(cli, ["scan", str(source), "--db", f"sqlite:///{tmp_path}/c.db"])
    assert "it is not a SQLite database" in one_line_error(result)


def test_a_read_only_store_is_one_clear_line_before_the_scan_starts(
        cli: typer.Typer, tmp_path: Path, source: Path) -> None:
    path = tmp_path / "ro.db"
    open_store(f"sqlite:///{path}").close()
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    with open_store(read_only) as store, pytest.raises(StoreError, match="read-only"):
        check_writable(store)
    result = CliRunner().invoke(cli, ["scan", str(source), "--db", read_only])
    assert "it is read-only" in one_line_error(result)


def hold_write_lock(path: Path, release: threading.Event) -> threading.Thread:
    holding = threading.Event()

    def hold() -> None:
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        holding.set()
        release.wait(30)
        connection.execute("ROLLBACK")
        connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait(10)
    return thread


def test_a_lock_held_past_the_timeout_is_retried_then_one_clear_line(
        cli: typer.Typer, tmp_path: Path, source: Path, quick_locks: None) -> None:
    path = tmp_path / "locked.db"
    open_store(f"sqlite:///{path}").close()
    release = threading.Event()
    thread = hold_write_lock(path, release)
    try:
        result = CliRunner().invoke(cli, ["scan", str(source), "--db", f"sqlite:///{path}"])
    finally:
        release.set()
        thread.join()
    line = one_line_error(result)
    assert "locked by another program" in line and "3 tries" in line


def test_a_lock_released_during_the_backoff_lets_the_work_through(
        tmp_path: Path, quick_locks: None, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.db"
    store = open_store(f"sqlite:///{path}")
    release = threading.Event()
    thread = hold_write_lock(path, release)
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        release.set()  # the other program finishes while we wait
        thread.join()

    monkeypatch.setattr(faults.time, "sleep", sleep)
    try:
        check_writable(store)
    finally:
        release.set()
        thread.join()
        store.close()
    assert pauses == [0.05]
