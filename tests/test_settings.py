"""Settings: the install's key (issue 11 item 7) is CENTINELA_SECRET, else a random key
made once per install and kept private (mode 0600); never a default written in the code."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pipelines.settings import SECRET_FILE, Settings, SettingsError, load_or_create_secret


def settings_for(home: Path, **env: str) -> Settings:
    return Settings.from_env({"CENTINELA_HOME": str(home), **env})


def test_the_secret_is_made_once_per_install_and_kept_private(tmp_path: Path) -> None:
    first = settings_for(tmp_path / "home").secret
    assert isinstance(first, bytes) and len(first) >= 32
    assert settings_for(tmp_path / "home").secret == first  # read back, not made again
    path = tmp_path / "home" / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert settings_for(tmp_path / "other").secret != first
    assert first.decode() not in repr(settings_for(tmp_path / "home"))


def test_reading_the_settings_makes_no_key_until_one_is_needed(tmp_path: Path) -> None:
    settings_for(tmp_path)
    assert not (tmp_path / SECRET_FILE).exists()


def test_a_configured_secret_wins_and_must_not_be_short(tmp_path: Path) -> None:
    assert settings_for(tmp_path, CENTINELA_SECRET="from-the-operator-1234").secret == \
        b"from-the-operator-1234"
    assert not (tmp_path / SECRET_FILE).exists()
    with pytest.raises(SettingsError, match="at least 16"):
        _ = settings_for(tmp_path, CENTINELA_SECRET="short").secret


def test_a_key_file_others_may_read_is_refused(tmp_path: Path) -> None:
    _ = settings_for(tmp_path).secret  # makes the file
    os.chmod(tmp_path / SECRET_FILE, 0o644)
    with pytest.raises(SettingsError, match="chmod 600"):
        _ = settings_for(tmp_path).secret


def test_two_processes_starting_at_once_agree(tmp_path: Path) -> None:
    path = tmp_path / SECRET_FILE
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: load_or_create_secret(path), range(16)))
    assert len(keys) == 1
    assert [p.name for p in tmp_path.iterdir()] == [SECRET_FILE]  # no staging file left
