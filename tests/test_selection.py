"""Active-learning selection: uncertainty, disagreement and diversity rank as documented,
and the evaluation slice stays fixed whatever the policy or the scores."""

from __future__ import annotations

import random
import zlib

import pytest

from annotation.learning.selection import (
    EVALUATION_SLICE_SHARE,
    POLICIES,
    Candidate,
    DetectorView,
    Thresholds,
    UnknownPolicyError,
    candidate_from_assessments,
    closeness,
    disagreement,
    in_evaluation_slice,
    near_duplicate_clusters,
    register_policy,
    select_batch,
    select_uncertain,
    slice_key,
    uncertainty,
)
from corpora.records import Ad, Assessment, Evidence, IndicatorHit, ModelRef

ENSEMBLE = Thresholds({"FEE_OR_DEBT": 0.4, "DOCS_HANDLED": 0.6}, risk_medium=0.3, risk_high=0.7)
VOCAB = ("trabajo vaga salario turno cocina bodega ventas oficina cliente horario contrato "
         "empresa local centro norte sur carro moto chofer limpieza tienda caixa atendente "
         "garcom padaria obra pintor eletricista mesero cajero repartidor almacen guardia "
         "recepcion hotel playa campo granja costura taller mecanico soldador carpintero "
         "jardinero cuidador enfermera maestra tutor contador auxiliar asistente promotor").split()


def text_for(seed: int, words: int = 14) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(VOCAB) for _ in range(words))


def ensemble_view(risk: float, **scores: float) -> DetectorView:
    return DetectorView("indicators.ensemble.v1", scores, risk, ENSEMBLE)


def rules_view(*found: str) -> DetectorView:
    return DetectorView("indicators.rules.v1", {ind: 0.9 for ind in found}, 0.0)


def candidate(ad_id: str, *views: DetectorView, text: str | None = None) -> Candidate:
    return Candidate(ad_id, "es", text or text_for(zlib.crc32(ad_id.encode())), tuple(views))


def test_closeness_to_a_threshold():
    assert closeness(0.5, 0.5) == 1.0
    assert closeness(0.25, 0.5) == pytest.approx(0.5)
    assert closeness(0.9, 0.6) == pytest.approx(0.25)  # 1 - 0.3 / 0.4
    assert closeness(0.0, 0.4) == 0.0 and closeness(1.0, 0.4) == 0.0


def test_uncertainty_takes_the_closest_threshold_over_indicators_and_risk():
    # FEE 0.45 vs threshold 0.4: 1 - 0.05/0.6; risk 0.05 vs medium 0.3: 1 - 0.25/0.3.
    near_indicator = candidate("a", ensemble_view(0.05, FEE_OR_DEBT=0.45))
    assert uncertainty(near_indicator) == pytest.approx(1 - 0.05 / 0.6)
    near_risk = candidate("b", ensemble_view(0.69))  # high at 0.7: 1 - 0.01/0.7
    assert uncertainty(near_risk) == pytest.approx(1 - 0.01 / 0.7)
    sure = candidate("c", ensemble_view(0.99, DOCS_HANDLED=0.99))
    assert uncertainty(sure) < 0.05
    assert uncertainty(candidate("d", rules_view("FEE_OR_DEBT"))) == 0.0  # no thresholds


def test_disagreement_between_detectors():
    agree = candidate("a", ensemble_view(0.9, FEE_OR_DEBT=0.9), rules_view("FEE_OR_DEBT"))
    split = candidate("b", ensemble_view(0.9, FEE_OR_DEBT=0.9), rules_view("DOCS_HANDLED"))
    alone = candidate("c", ensemble_view(0.9, FEE_OR_DEBT=0.9))
    assert disagreement(agree) == 0.0
    assert disagreement(split) == 1.0
    assert disagreement(alone) == 0.0
    three = candidate("d", ensemble_view(0.9, FEE_OR_DEBT=0.9), rules_view("FEE_OR_DEBT"),
                      DetectorView("indicators.tfidf.v1", {}, 0.1, ENSEMBLE))
    assert disagreement(three) == pytest.approx(1 - abs(2 * 2 / 3 - 1))


def test_uncertainty_policy_puts_ads_near_a_threshold_first():
    pool = [candidate(f"ad{i}", ensemble_view(0.01 * i, FEE_OR_DEBT=s))
            for i, s in enumerate((0.99, 0.41, 0.02, 0.7, 0.38, 0.95))]
    clusters = {c.ad_id: n for n, c in enumerate(pool)}
    picks = select_uncertain(pool, 3, clusters)
    assert [p.ad_id for p in picks] == ["ad1", "ad4", "ad3"]
    assert all(p.reason == "uncertainty" and p.policy == "uncertainty.v1" for p in picks)
    assert picks[0].score > picks[1].score > picks[2].score


def test_diversity_spends_one_place_per_near_duplicate_cluster():
    base = text_for(1, words=30)
    copies = [candidate(f"copy{i}", ensemble_view(0.0, FEE_OR_DEBT=0.4),
                        text=f"{base} {VOCAB[i]}") for i in range(5)]
    others = [candidate(f"other{i}", ensemble_view(0.0, FEE_OR_DEBT=0.2 + 0.01 * i),
                        text=text_for(100 + i, words=30)) for i in range(5)]
    clusters = near_duplicate_clusters(copies + others)
    assert len({clusters[c.ad_id] for c in copies}) == 1
    assert len({clusters[c.ad_id] for c in others}) == 5
    picks = select_uncertain(copies + others, 4, clusters)
    assert sum(p.ad_id.startswith("copy") for p in picks) == 1
    assert picks[0].ad_id.startswith("copy")  # the cluster's best still comes first
    everything = select_uncertain(copies + others, 10, clusters)
    assert [p.ad_id.startswith("copy") for p in everything[6:]] == [True] * 4


def test_mixed_policy_says_why_it_chose_an_ad():
    pool = [candidate("unsure", ensemble_view(0.3, FEE_OR_DEBT=0.4)),
            candidate("disputed", ensemble_view(0.99, DOCS_HANDLED=0.99), rules_view()),
            candidate("boring", ensemble_view(0.0))]
    picks = POLICIES["mixed.v1"](pool, 2, {c.ad_id: i for i, c in enumerate(pool)})
    assert {(p.ad_id, p.reason) for p in picks} == {("unsure", "uncertainty"),
                                                   ("disputed", "disagreement")}


def _pool(n: int, shift: float = 0.0) -> list[Candidate]:
    rng = random.Random(shift)
    return [candidate(f"ad-{i:04d}", ensemble_view(rng.random(), FEE_OR_DEBT=rng.random()),
                      text=text_for(i)) for i in range(n)]


def test_the_evaluation_slice_is_fixed_by_the_ad_ids_alone():
    pool = _pool(300)
    members = sorted((c.ad_id for c in pool if in_evaluation_slice(c.ad_id)), key=slice_key)
    assert 10 <= len(members) <= 60  # about 10% of 300
    batches = [select_batch(pool, 40, policy) for policy in POLICIES]
    batches.append(select_batch(_pool(300, shift=1.0), 40, "uncertainty.v1"))  # new scores
    for batch in batches:
        assert sorted(batch.evaluation_slice, key=slice_key) == members[:4]  # 10% of 40
        others = [p.ad_id for p in batch.picks if p.reason != "evaluation-slice"]
        assert len(others) == 36 and not set(others) & set(members)


def test_the_next_batch_continues_the_slice_in_hash_order():
    pool = _pool(300)
    members = sorted((c.ad_id for c in pool if in_evaluation_slice(c.ad_id)), key=slice_key)
    first = select_batch(pool, 20, "mixed.v1")
    labelled = {p.ad_id for p in first.picks}
    second = select_batch([c for c in pool if c.ad_id not in labelled], 20, "mixed.v1")
    assert sorted(first.evaluation_slice + second.evaluation_slice, key=slice_key) == members[:4]


def test_slice_ads_fill_the_batch_when_the_policy_runs_out():
    pool = [c for c in _pool(400) if in_evaluation_slice(c.ad_id)][:5]
    pool += [c for c in _pool(400) if not in_evaluation_slice(c.ad_id)][:2]
    batch = select_batch(pool, 6, "uncertainty.v1")
    assert len(batch.picks) == 6 and len(batch.evaluation_slice) == 4


def test_unknown_policy_and_bad_size_are_clear_errors():
    with pytest.raises(UnknownPolicyError, match="mixed.v1"):
        select_batch(_pool(3), 2, "nope.v9")
    with pytest.raises(ValueError, match="at least 1"):
        select_batch(_pool(3), 0)
    with pytest.raises(ValueError, match="already registered"):
        register_policy("mixed.v1")(lambda pool, size, clusters: [])


def test_candidates_come_from_stored_assessments():
    ad = Ad(id="es-1", lang="es", text="Pagamos tu pasaje y tramitamos el pasaporte.")
    span = Evidence.from_text(ad.text, 0, 19)
    ensemble = ModelRef(name="indicators.ensemble", version="1", sha256="e" * 64)
    rules = ModelRef(name="indicators.rules", version="1", sha256="r" * 64)
    assessments = [
        Assessment(ad_id=ad.id, lang="es", risk="medium", score=0.5, model=ensemble,
                   hits=[IndicatorHit(id="TRAVEL_PAID", score=0.42, strength="medium",
                                      evidence=[span], detector="indicators.ensemble.v1")]),
        Assessment(ad_id=ad.id, lang="es", risk="low", score=0.1, model=rules)]
    c = candidate_from_assessments(ad, assessments, {"indicators.ensemble.v1": ENSEMBLE})
    assert [v.detector for v in c.views] == ["indicators.ensemble.v1", "indicators.rules.v1"]
    assert c.views[0].scores == {"TRAVEL_PAID": 0.42} and c.views[0].thresholds == ENSEMBLE
    assert c.views[1].thresholds is None
    assert disagreement(c) == 1.0
    assert uncertainty(c) == pytest.approx(closeness(0.42, 0.5))
    assert EVALUATION_SLICE_SHARE == 0.1


def test_ads_of_one_stored_cluster_count_as_one_for_diversity():
    pool = [Candidate(f"ad{i}", "es", text_for(200 + i), (ensemble_view(0.0, FEE_OR_DEBT=0.4),),
                      cluster=7 if i < 3 else None) for i in range(6)]
    clusters = near_duplicate_clusters(pool)
    assert len({clusters[f"ad{i}"] for i in range(3)}) == 1
    assert len(set(clusters.values())) == 4
