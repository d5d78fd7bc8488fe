"""Shared fixtures: one rules detector per session (building it takes a few seconds), and
a store on SQLite and (with CENTINELA_TEST_PG_URL set) PostgreSQL for the same tests.

Each PostgreSQL test gets a fresh schema (through the URL's search_path) and drops it
afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from annotation.store import Store, open_store
from annotation.store.db import temporary_schema

PG_URL = os.environ.get("CENTINELA_TEST_PG_URL")


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
    """Never touch the user's data dir: every test gets its own CENTINELA_HOME. Commands
    default to the rules detector here, since the default ensemble needs training first
    (`centinela train`); tests of the ensemble use the session's `trained_home`."""
    monkeypatch.setenv("CENTINELA_HOME", str(tmp_path / "centinela-home"))
    monkeypatch.delenv("CENTINELA_DB", raising=False)
    monkeypatch.setenv("CENTINELA_MODEL", "indicators.rules.v1")


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server for the whole session (each start takes seconds)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


TRAINED_HOME_SHARE = 3  # the session's models learn from every third ad of each split


@pytest.fixture(scope="session")
def trained_home(tmp_path_factory, prefect_harness):
    """A CENTINELA_HOME with the ensemble, its TF-IDF part and the semantic models trained
    once for the session, through the `train-indicators` flow (which is thereby
    smoke-tested). They learn from every third ad of each split (a splits file of the
    flow's own kind): embedding the whole corpus's sentences would make most of the test
    run, and what these tests check does not need the last points of quality."""
    from dataclasses import replace

    from corpora.corpus import read_splits, write_splits
    from pipelines.flows.train import train_indicators

    home = tmp_path_factory.mktemp("trained-home")
    splits = read_splits()
    fewer = replace(splits, ids={name: ids[::TRAINED_HOME_SHARE]
                                 for name, ids in splits.ids.items()})
    result = train_indicators(home=str(home),
                              splits_path=write_splits(fewer, home / "splits.json"))
    assert result.candidate.meta.name == "indicators.ensemble" and result.promoted
    # the default detector, indicators.ensemble.v2, is trained on top under its version
    assert (home / "models" / "indicators.ensemble.v2" / result.candidate.meta.version
            / "meta.json").is_file()
    return home


@pytest.fixture(scope="session")
def ensemble_detector(trained_home):
    from models.registry import load_detector

    return load_detector("indicators.ensemble.v1", home=trained_home)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'not' / 'yet' / 'centinela.db'}"
        return
    if not PG_URL:
        pytest.skip("set CENTINELA_TEST_PG_URL (postgresql+psycopg://...) to test PostgreSQL")
    with temporary_schema(PG_URL, "test") as url:
        yield url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with open_store(store_url) as opened:
        yield opened


@pytest.fixture
def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters, for tests that make many accounts and sign-ins (the real
    parameters are tested in test_accounts.py)."""
    from argon2 import PasswordHasher

    monkeypatch.setattr("annotation.accounts._hasher",
                        PasswordHasher(time_cost=1, memory_cost=256, parallelism=1))
