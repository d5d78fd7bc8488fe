"""Settings: the install secret is made once, kept private, and never a default in code."""

from __future__ import annotations

import stat
from pathlib import Path

from pipelines.settings import SECRET_FILE, Settings, load_or_create_secret


def test_the_secret_is_made_once_per_install_and_kept_private(tmp_path: Path) -> None:
    env = {"CENTINELA_HOME": str(tmp_path / "home")}
    first = Settings.from_env(env).secret
    assert len(first) >= 32
    assert Settings.from_env(env).secret == first  # read back, not made again
    path = tmp_path / "home" / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Settings.from_env({"CENTINELA_HOME": str(tmp_path / "other")}).secret != first


def test_a_configured_secret_wins(tmp_path: Path) -> None:
    env = {"CENTINELA_HOME": str(tmp_path), "CENTINELA_SECRET": "from-the-operator-1234"}
    assert Settings.from_env(env).secret == "from-the-operator-1234"
    assert not (tmp_path / SECRET_FILE).exists()


def test_two_processes_starting_at_once_agree(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "secret.key"
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: load_or_create_secret(path), range(16)))
    assert len(keys) == 1
