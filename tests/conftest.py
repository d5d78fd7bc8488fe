"""Shared fixtures: one rules detector per session (building it takes a few seconds)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def rules_detector():
    from models.registry import load_detector

    return load_detector("indicators.rules.v1")


@pytest.fixture(scope="session")
def taxonomy():
    from corpora.taxonomy import load_taxonomy

    return load_taxonomy()


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Never touch the user's data dir: every test gets its own CENTINELA_HOME."""
    monkeypatch.setenv("CENTINELA_HOME", str(tmp_path / "centinela-home"))
    monkeypatch.delenv("CENTINELA_DB", raising=False)
    monkeypatch.delenv("CENTINELA_MODEL", raising=False)
