"""The model registry (models.artifact_registry), the promotion gate (evaluation.promotion)
and the audited changes and `centinela models` commands (evaluation.retrain), on small
stand-in artifacts: nothing is trained here (tests/test_train_flow.py trains)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotation.accounts import add_user
from annotation.store.audit import list_audit
from corpora.taxonomy import load_taxonomy
from evaluation import retrain
from evaluation.promotion import TOLERANCE, decide
from models.artifact_registry import ModelRegistry, RegistryError, find_artifact
from models.artifacts import NoTrainedModelError, models_root, new_version, save_artifact
from pipelines.cli import app

NAME, PART = "indicators.ensemble", "indicators.tfidf"


def register(root: Path, *names: str) -> str:
    """Stand-in artifacts of one training run (one version tag for every name)."""
    version = new_version()
    for name in names or (NAME, PART):
        save_artifact(root, name, version,
                      lambda folder: (folder / "model.bin").write_bytes(version.encode()),
                      training_data_sha256="0" * 64)
    time.sleep(0.002)  # created_at has second resolution; versions sort by microseconds
    return version


def test_loading_a_model_never_trains_it(tmp_path, monkeypatch):
    from models.registry import load_detector

    for name in ("indicators.ensemble.v1", "indicators.tfidf.v1"):
        with pytest.raises(NoTrainedModelError, match="run `centinela train` first"):
            load_detector(name, home=tmp_path)
    assert not list(tmp_path.rglob("meta.json"))
    monkeypatch.setenv("CENTINELA_HOME", str(tmp_path))
    monkeypatch.delenv("CENTINELA_MODEL")
    result = CliRunner().invoke(app, ["detect", "-"], input='{"text": "Se busca cocinero"}\n')
    assert result.exit_code == 2 and "run `centinela train` first" in result.stderr
    assert not list(tmp_path.rglob("meta.json"))


def test_the_latest_is_the_default_until_one_is_promoted(tmp_path):
    root = tmp_path / "models"
    registry = ModelRegistry(root)
    with pytest.raises(NoTrainedModelError):
        find_artifact(NAME, root)
    first = register(root)
    second = register(root)
    assert registry.default_version(NAME) is None
    assert find_artifact(NAME, root).meta.version == second  # no registry yet: the latest
    registry.apply(registry.plan_promote(NAME, first))
    assert find_artifact(NAME, root).meta.version == first
    assert find_artifact(PART, root).meta.version == first  # its TF-IDF part moved with it
    assert registry.default_version(NAME) == first
    register(root)  # a newer artifact does not take over
    assert find_artifact(NAME, root).meta.version == first
    assert json.loads(registry.path.read_text())["defaults"][NAME] == [second, first]


def test_promote_and_rollback_keep_every_version(tmp_path):
    root = tmp_path / "models"
    registry = ModelRegistry(root)
    a = register(root)
    assert registry.pin_default(NAME).meta.version == a
    b, c = register(root), register(root)
    for version in (b, c):
        registry.apply(registry.plan_promote(NAME, version))
    assert registry.default_version(NAME) == c
    with pytest.raises(RegistryError, match="default already"):
        registry.plan_promote(NAME, c)
    change = registry.plan_rollback(NAME)
    assert (change.previous, change.version, change.moved) == (c, b, (PART,))
    registry.apply(change)
    assert (registry.default_version(NAME), registry.default_version(PART)) == (b, b)
    registry.apply(registry.plan_rollback(NAME))
    assert registry.default_version(NAME) == a
    with pytest.raises(RegistryError, match="no previous default"):
        registry.plan_rollback(NAME)
    listed = registry.versions(NAME)
    assert [v.version for v in listed] == [a, b, c]  # nothing deleted
    assert [v.is_default for v in listed] == [True, False, False]


def test_a_stale_plan_or_a_damaged_artifact_is_refused(tmp_path):
    root = tmp_path / "models"
    registry = ModelRegistry(root)
    a, b = register(root), register(root)
    registry.pin_default(NAME)  # b, the latest
    stale = registry.plan_promote(NAME, a)
    registry.apply(registry.plan_promote(NAME, a))
    with pytest.raises(RegistryError, match="changed meanwhile"):
        registry.apply(stale)
    (root / NAME / b / "model.bin").write_bytes(b"tampered")
    with pytest.raises(RegistryError, match="sha256"):
        registry.plan_promote(NAME, b)
    with pytest.raises(RegistryError, match="cannot promote"):
        registry.plan_promote(NAME, "20990101T000000000000Z")
    registry.path.write_text("{not json")
    with pytest.raises(RegistryError, match="cannot be read"):
        registry.default_version(NAME)


# --- the gate ------------------------------------------------------------------------------

def counts(others: tuple[int, int, int], weak: tuple[int, int, int] | None = None) -> dict:
    """One set where every indicator in both languages has the counts (tp, fp, fn)
    `others`, and the weak ones `weak` (default: the same)."""
    taxonomy = load_taxonomy()
    return {"test": {lang: {i.id: list(weak if weak and i.strength == "weak" else others)
                            for i in taxonomy.indicators} for lang in ("es", "pt")}}


DEFAULT = counts((100, 20, 20))  # F1 200/240 = 0.8333 everywhere


@pytest.mark.parametrize(("candidate", "default", "promote", "reason"), [
    (DEFAULT, None, True, "no default model yet"),
    (counts((100, 10, 20)), DEFAULT, True, "better overall"),
    (DEFAULT, DEFAULT, False, "not better overall"),
    # better overall, but weak indicators fall to 200/246 = 0.813 (< 0.8333 - 0.01)
    (counts((110, 5, 10), weak=(100, 23, 23)), DEFAULT, False, "worse on"),
    # weak indicators fall to 200/242 = 0.826 (within the tolerance), the rest gains
    (counts((110, 5, 10), weak=(100, 21, 21)), DEFAULT, True, "better overall"),
])
def test_the_gate(candidate, default, promote, reason):
    taxonomy = load_taxonomy()
    verdict = decide(candidate, default, taxonomy)
    assert verdict.promote is promote and verdict.reason.startswith(reason)
    assert verdict.tolerance == TOLERANCE
    if reason == "worse on":
        assert sorted(w.split(":")[0] for w in verdict.worse) == [
            "all/weak", "es/weak", "pt/weak"]


@pytest.mark.parametrize(("candidate", "ranking", "promote", "reason"), [
    # the same indicators, ranked better: a new risk model on the same data
    (DEFAULT, {"candidate": 0.95, "default": 0.93}, True, "as good on indicators"),
    (DEFAULT, {"candidate": 0.93, "default": 0.93}, False, "not better overall"),
    (DEFAULT, {"candidate": 0.90, "default": 0.93}, False, "not better overall"),
    (DEFAULT, {"candidate": None, "default": 0.93}, False, "not better overall"),
    # ranking never outweighs indicators: fewer found (F1 0.826) with a better ranking
    (counts((100, 22, 20)), {"candidate": 0.99, "default": 0.93}, False, "not better"),
])
def test_the_gate_breaks_a_tie_on_ranking(candidate, ranking, promote, reason):
    verdict = decide(candidate, DEFAULT, load_taxonomy(), ranking=ranking)
    assert verdict.promote is promote and verdict.reason.startswith(reason), verdict.reason


def test_ranking_ap_pools_the_sets():
    from evaluation.promotion import ranking_ap

    # high ads scored 0.9 and 0.5, a low one 0.7: precision 1 at the first, 2/3 at the second
    ranking = {"test": [(True, 0.9), (False, 0.7)], "review": [(True, 0.5), (False, 0.1)]}
    assert ranking_ap(ranking) == pytest.approx((1 + 2 / 3) / 2)
    assert ranking_ap({"test": [(False, 0.3)]}) is None


# --- audited changes and the commands ----------------------------------------------------

def test_changes_are_audited_and_the_commands_work(store, store_url, tmp_path, monkeypatch,
                                                   fast_passwords):
    home = tmp_path / "home"
    monkeypatch.setenv("CENTINELA_HOME", str(home))
    root = models_root(home)
    a = register(root)
    assert retrain.default_model(home).meta.version == a
    b = register(root)
    with store.begin() as session:
        add_user(session, "tina", "trainer", "a long enough password", actor="setup")
        add_user(session, "ivo", "investigator", "a long enough password", actor="setup")
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, ["models", *args, "--db", store_url])

    refused = run("promote", b, "--user", "ivo")
    assert refused.exit_code == 1 and "may not models.manage" in refused.output
    done = run("promote", b, "--user", "tina", "--reason", "better on the new wording")
    assert done.exit_code == 0, done.output
    assert f"default {a} -> {b}" in done.output
    listed = runner.invoke(app, ["models", "list"])
    assert listed.exit_code == 0 and b in listed.output and "former default" in listed.output
    back = run("rollback", "--user", "tina", "--reason", "false alarms in pt")
    assert back.exit_code == 0 and f"default {b} -> {a}" in back.output
    again = run("rollback", "--user", "tina")
    assert again.exit_code == 1 and "no previous default" in again.output
    with store.begin() as session:
        rows = list_audit(session, action="model.")
    assert [(r.action, r.actor, r.before, r.after["default"]) for r in rows] == [
        ("model.rollback", "tina", {"default": b}, a),
        ("model.promote", "tina", {"default": a}, b)]
    assert rows[1].after["reason"] == "better on the new wording"


def test_a_change_whose_audit_fails_is_undone(store, tmp_path, monkeypatch):
    root = models_root(tmp_path)
    a = register(root)
    retrain.default_model(tmp_path)
    b = register(root)

    def broken(*args, **kwargs):
        raise RuntimeError("the audit log is gone")

    monkeypatch.setattr(retrain, "record_audit", broken)
    with pytest.raises(RuntimeError):
        retrain.promote(store, tmp_path, b, "tina", "")
    assert ModelRegistry(root).default_version(NAME) == a
