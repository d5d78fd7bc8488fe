"""`centinela annotate next-batch | assign | batches` as a lead types them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotation.accounts import add_user
from annotation.learning.batches import list_batches, load_batch
from annotation.store import list_audit, open_store
from pipelines.cli import app
from pipelines.commands.annotate import selection_thresholds
from tests.review_data import store_scored

PASSWORD = "correct horse battery"


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
           fast_passwords: None) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'centinela.db'}"
    monkeypatch.setenv("CENTINELA_DB", url)
    with open_store(url) as store:
        store_scored(store)
        with store.begin() as session:
            for name, role in (("lead", "trainer"), ("ana", "trainer"), ("beto", "trainer"),
                               ("ivan", "investigator")):
                add_user(session, name, role, PASSWORD, actor="test")
    yield url


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["annotate", *args])


def test_next_batch_fills_assigns_and_lists(db_url: str) -> None:
    made = run("next-batch", "--size", "3", "--policy", "uncertainty.v1", "--name", "uno",
               "--trainer", "ana", "--user", "lead")
    assert made.exit_code == 0, made.output
    assert "Batch 1: 3 ads from a pool of 5" in made.output and "assigned to ana" in made.output
    again = run("next-batch", "--size", "5", "--user", "lead")
    assert again.exit_code == 0 and "Batch 2: 2 ads from a pool of 2" in again.output
    assert run("assign", "1", "beto", "ana", "--user", "lead").output.strip() == \
        "Batch 1: assigned to beto."
    with open_store(db_url) as store, store.begin() as session:
        first = load_batch(session, 1)
        assert (first.name, first.policy, first.ads, first.trainers) == \
            ("uno", "uncertainty.v1", 3, ["ana", "beto"])
        assert [b.id for b in list_batches(session, trainer="ana")] == [1]
        assert [e.actor for e in list_audit(session, target="batch:1")] == ["lead"] * 3
    listing = run("batches")
    assert listing.exit_code == 0 and "uno" in listing.output and "ana 0" in listing.output


@pytest.mark.parametrize(("args", "message"), [
    (["next-batch", "--policy", "clever.v9", "--user", "lead"], "unknown policy 'clever.v9'"),
    (["next-batch", "--user", "ivan"], "the investigator role may not annotation.batches"),
    (["next-batch", "--user", "lead", "--trainer", "ivan"], "may not annotation.label"),
    (["next-batch", "--user", "nobody"], "no user named 'nobody'"),
    (["assign", "7", "ana", "--user", "lead"], "no batch 7"),
])
def test_mistakes_get_one_clear_line_and_change_nothing(db_url: str, args, message) -> None:
    result = run(*args)
    assert result.exit_code == 1 and message in result.output
    with open_store(db_url) as store, store.begin() as session:
        assert list_batches(session) == []


def test_an_empty_pool_is_said_so(db_url: str) -> None:
    assert run("next-batch", "--size", "10", "--user", "lead").exit_code == 0
    result = run("next-batch", "--user", "lead")
    assert result.exit_code == 1 and "no ad left to label" in result.output


def test_uncertainty_uses_the_trained_models_thresholds(trained_home: Path,
                                                        tmp_path: Path) -> None:
    thresholds = selection_thresholds(trained_home)
    assert set(thresholds) == {"indicators.ensemble.v1", "indicators.tfidf.v1"}
    ensemble = thresholds["indicators.ensemble.v1"]
    assert 0 < ensemble.risk_medium < ensemble.risk_high < 1
    assert 0 < ensemble.indicator("FEE_OR_DEBT") < 1
    assert selection_thresholds(tmp_path / "empty") == {}
