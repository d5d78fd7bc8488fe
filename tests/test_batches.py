"""Annotation batches, blind tasks, answers, adjudication and agreement per batch, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from annotation.learning.adjudication import (
    differences,
    final_labels,
    find_disagreements,
    record_adjudication,
)
from annotation.learning.batches import (
    BatchError,
    assign_trainers,
    batch_labels,
    create_batch,
    list_batches,
    load_batch,
    next_task,
    submit_answer,
    unlabelled_candidates,
)
from annotation.learning.reports import agreement_trend, batch_agreement
from annotation.learning.selection import Thresholds, select_batch
from annotation.store import (
    AppendOnlyError,
    append_annotation,
    list_annotations,
    list_audit,
    save_ads,
    save_assessments,
)
from annotation.store.tables import AnnotationRow
from corpora.records import (
    Ad,
    Adjudication,
    Annotation,
    Assessment,
    Evidence,
    IndicatorHit,
    ModelRef,
    utc_now,
)

ENSEMBLE = ModelRef(name="indicators.ensemble", version="1", sha256="e" * 64)
RULES = ModelRef(name="indicators.rules", version="1", sha256="r" * 64)
THRESHOLDS = {"indicators.ensemble.v1": Thresholds({"FEE_OR_DEBT": 0.5}, 0.3, 0.7)}
IND = ("FEE_OR_DEBT", "DOCS_HANDLED", "URGENCY")
TEXTS = [
    "Trabajo en bodega {n}, el curso es descontado de tu primer sueldo. Nosotros guardamos tu "
    "pasaporte. Urgente.",
    "Vaga de cozinheira {n} em Lisboa, a taxa de inscrição é descontada do salário.",
]


def _ads(n: int) -> list[Ad]:
    return [Ad(id=f"ad-{i:02d}", lang="pt" if i % 2 else "es", source="test",
               text=TEXTS[i % 2].format(n=f"número {i} " + "palabra " * (i % 5)))
            for i in range(n)]


def _assessments(ads: list[Ad]) -> list[Assessment]:
    out = []
    for i, ad in enumerate(ads):
        start = ad.text.index("descont")
        span = Evidence.from_text(ad.text, start, start + 9)
        hit = IndicatorHit(id="FEE_OR_DEBT", score=0.3 + 0.05 * i, strength="strong",
                           evidence=[span], detector="indicators.ensemble.v1")
        out.append(Assessment(ad_id=ad.id, lang=ad.lang, risk="medium", score=0.1 + 0.03 * i,
                              hits=[hit], model=ENSEMBLE))
        rules_hits = [hit.model_copy(update={"detector": "indicators.rules.v1"})] if i % 3 else []
        out.append(Assessment(ad_id=ad.id, lang=ad.lang, risk="low", score=0.0, hits=rules_hits,
                              model=RULES, created_at=utc_now() + timedelta(seconds=1)))
    return out


@pytest.fixture
def batch(store):
    ads = _ads(12)
    with store.begin() as session:
        save_ads(session, ads)
        save_assessments(session, _assessments(ads))
    with store.begin() as session:
        pool = unlabelled_candidates(session, THRESHOLDS)
        assert len(pool) == 12 and all(len(c.views) == 2 for c in pool)
        selection = select_batch(pool, 6, "mixed.v1")
        batch_id = create_batch(session, selection, name="first", created_by="lead",
                                trainers=["ana", "bruno"])
    return store, batch_id, ads, selection


def label(ad: Ad, who: str, batch_id: int, indicators=(), risk="high", status="labelled",
          spans=None, note="") -> Annotation:
    evidence = {}
    for indicator, phrase in (spans or {}).items():
        start = ad.text.index(phrase)
        evidence[indicator] = [Evidence.from_text(ad.text, start, start + len(phrase))]
    return Annotation(ad_id=ad.id, annotator=who, batch_id=batch_id, status=status, note=note,
                      indicators=list(indicators), evidence=evidence,
                      risk=risk if status == "labelled" else None, model_sha256=ENSEMBLE.sha256)


def test_a_batch_holds_the_selection_and_leaves_the_pool(batch):
    store, batch_id, ads, selection = batch
    with store.begin() as session:
        summary = load_batch(session, batch_id)
        assert summary.ads == 6 and summary.policy == "mixed.v1"
        assert summary.answered == {"ana": 0, "bruno": 0}
        assert sum(summary.reasons.values()) == 6
        left = unlabelled_candidates(session, THRESHOLDS)
        assert {c.ad_id for c in left}.isdisjoint(p.ad_id for p in selection.picks)
        assert len(left) == 6
        assert [b.id for b in list_batches(session, trainer="ana")] == [batch_id]
        assert list_batches(session, trainer="carla") == []
        assert assign_trainers(session, batch_id, ["bruno", "carla"], actor="lead") == ["carla"]
        actions = [e.action for e in list_audit(session, target=f"batch:{batch_id}")]
        assert actions == ["annotation.batch.assign", "annotation.batch.assign",
                           "annotation.batch.create"]


def test_tasks_are_blind_in_order_and_skipped_ads_come_back(batch):
    store, batch_id, ads, selection = batch
    by_id = {ad.id: ad for ad in ads}
    order = [p.ad_id for p in selection.picks]
    with store.begin() as session:
        first = next_task(session, "ana", prefill_model="indicators.ensemble")
        assert (first.ad.id, first.position, first.total, first.answered) == (order[0], 1, 6, 0)
        assert first.prefill.model == ENSEMBLE  # the rules' assessment is newer
        submit_answer(session, label(by_id[order[0]], "bruno", batch_id, ["FEE_OR_DEBT"]))
        # bruno answered; ana's task shows nothing of it
        assert next_task(session, "ana").ad.id == order[0]
        assert not any(isinstance(v, Annotation) for v in vars(first).values())
        submit_answer(session, label(by_id[order[0]], "ana", batch_id, status="skipped"))
        submit_answer(session, label(by_id[order[1]], "ana", batch_id, status="unclear",
                                     note="no sé si el curso es obligatorio"))
        task = next_task(session, "ana")
        assert task.ad.id == order[2] and task.answered == 1  # unclear counts, skipped not
        for ad_id in order[2:]:
            submit_answer(session, label(by_id[ad_id], "ana", batch_id, risk="low"))
        assert next_task(session, "ana").ad.id == order[0]  # the skipped one, last
        submit_answer(session, label(by_id[order[0]], "ana", batch_id, risk="low"))
        assert next_task(session, "ana") is None
        assert next_task(session, "bruno").ad.id == order[1]


def test_answers_are_checked_appended_and_audited(batch):
    store, batch_id, ads, selection = batch
    ad = next(a for a in ads if a.id == selection.picks[0].ad_id)
    outside = next(a for a in ads if a.id not in {p.ad_id for p in selection.picks})
    with store.begin() as session:
        with pytest.raises(BatchError, match="not assigned to carla"):
            submit_answer(session, label(ad, "carla", batch_id))
        with pytest.raises(BatchError, match="not in batch"):
            submit_answer(session, label(outside, "ana", batch_id))
        bad = label(ad, "ana", batch_id, ["FEE_OR_DEBT"], spans={"FEE_OR_DEBT": "descont"})
        bad = bad.model_copy(update={"evidence": {"FEE_OR_DEBT": [
            Evidence(start=0, end=7, text="descont")]}})
        with pytest.raises(BatchError, match="does not match"):
            submit_answer(session, bad)
        submit_answer(session, label(ad, "ana", batch_id, ["FEE_OR_DEBT"]))
        submit_answer(session, label(ad, "ana", batch_id, [], risk="low"))
    with store.begin() as session:
        assert batch_labels(session, batch_id)["ana"][ad.id].indicators == []
        audit = list_audit(session, target=f"ad:{ad.id}")
        assert [e.action for e in audit] == ["annotation.label"] * 2
        assert audit[0].before["indicators"] == ["FEE_OR_DEBT"] and audit[0].after["risk"] == "low"
        row = session.query(AnnotationRow).first()
        row.risk = "high"
        with pytest.raises(AppendOnlyError):
            session.flush()


def test_disagreements_adjudication_and_final_labels(batch):
    store, batch_id, ads, selection = batch
    by_id = {ad.id: ad for ad in ads}
    a1, a2, a3, a4 = (by_id[p.ad_id] for p in selection.picks[:4])
    fee = {"FEE_OR_DEBT": "descont"}
    with store.begin() as session:
        # a1: agreement; a2: FEE vs nothing; a3: risk differs; a4: only ana
        for who in ("ana", "bruno"):
            submit_answer(session, label(a1, who, batch_id, ["FEE_OR_DEBT"], spans=fee))
        submit_answer(session, label(a2, "ana", batch_id, ["FEE_OR_DEBT"], spans=fee))
        submit_answer(session, label(a2, "bruno", batch_id, [], risk="low"))
        submit_answer(session, label(a3, "ana", batch_id, ["FEE_OR_DEBT"], risk="high"))
        submit_answer(session, label(a3, "bruno", batch_id, ["FEE_OR_DEBT"], risk="medium"))
        submit_answer(session, label(a4, "ana", batch_id, ["URGENCY"]))
    with store.begin() as session:
        found = find_disagreements(session, batch_id)
        assert [(d.ad.id, d.differences) for d in found] == sorted(
            [(a2.id, ["FEE_OR_DEBT", "risk"]), (a3.id, ["risk"])])
        assert set(found[0].labels) == {"ana", "bruno"} and found[0].adjudication is None
        final = final_labels(session, batch_id)
        assert set(final) == {a1.id}
        assert (final[a1.id].source, final[a1.id].decided_by) == ("consensus", "ana, bruno")
        record_adjudication(session, Adjudication(
            ad_id=a2.id, adjudicator="lead", batch_id=batch_id, indicators=["FEE_OR_DEBT"],
            risk="high", note="el descuento es una deuda",
            evidence={"FEE_OR_DEBT": label(a2, "x", 1, ["FEE_OR_DEBT"],
                                           spans=fee).evidence["FEE_OR_DEBT"]}))
        with pytest.raises(ValueError, match="not marked"):
            record_adjudication(session, Adjudication(
                ad_id=a3.id, adjudicator="lead", risk="high", batch_id=batch_id,
                evidence={"URGENCY": [Evidence(start=0, end=1, text=a3.text[0])]}))
    with store.begin() as session:
        assert len(find_disagreements(session, batch_id, include_adjudicated=False)) == 1
        final = final_labels(session, batch_id)
        assert final[a2.id].source == "adjudicated" and final[a2.id].decided_by == "lead"
        assert final_labels(session) == final
        assert [e.action for e in list_audit(session, target=f"ad:{a2.id}")][0] == \
            "annotation.adjudicate"
        report = batch_agreement(session, batch_id, IND)
        assert report.agreement.ads == 3 and report.disagreements == 2
        assert report.open_disagreements == 1
        ana = report.confusion[0]
        assert ana.trainer == "ana" and ana.ads == 2  # a1 and a2 have final labels
        assert ana.indicators["FEE_OR_DEBT"].tp == 2
        bruno = report.confusion[1]
        assert bruno.indicators["FEE_OR_DEBT"].fn == 1 and bruno.risk["high"]["low"] == 1
        assert [b.batch.id for b in agreement_trend(session, IND)] == [batch_id]


def test_span_differences_only_count_when_nothing_overlaps():
    ad = Ad(id="x", lang="es", text="se descuenta de tu primer sueldo y guardamos el pasaporte")
    a = label(ad, "ana", 1, ["FEE_OR_DEBT"], spans={"FEE_OR_DEBT": "se descuenta"})
    b = label(ad, "bruno", 1, ["FEE_OR_DEBT"], spans={"FEE_OR_DEBT": "descuenta de tu primer"})
    c = label(ad, "carla", 1, ["FEE_OR_DEBT"], spans={"FEE_OR_DEBT": "guardamos"})
    assert differences({"ana": a, "bruno": b}) == []
    assert differences({"ana": a, "carla": c}) == ["FEE_OR_DEBT evidence"]


def test_an_answer_must_be_consistent():
    ad = Ad(id="x", lang="es", text="texto")
    with pytest.raises(ValueError, match="needs a risk"):
        Annotation(ad_id=ad.id, annotator="ana", indicators=["URGENCY"])
    with pytest.raises(ValueError, match="carries no labels"):
        Annotation(ad_id=ad.id, annotator="ana", status="skipped", risk="low")
    with pytest.raises(ValueError, match="not marked"):
        Annotation(ad_id=ad.id, annotator="ana", risk="low",
                   evidence={"URGENCY": [Evidence(start=0, end=1, text="t")]})


def test_the_store_keeps_every_answer_field(store):
    ad = _ads(1)[0]
    with store.begin() as session:
        save_ads(session, [ad])
        append_annotation(session, label(ad, "ana", None, status="unclear", note="¿curso?"))
    with store.begin() as session:
        (stored,) = list_annotations(session, ad.id)
        assert (stored.status, stored.note, stored.risk, stored.model_sha256) == (
            "unclear", "¿curso?", None, ENSEMBLE.sha256)
