"""People's labels in the store as training rows (annotation.learning.corrections), the
training set of a retrain (evaluation.retrain.build_training_set) and `centinela queue
import-decisions`. Nothing is trained here."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from annotation.learning.adjudication import record_adjudication
from annotation.learning.batches import create_batch, submit_answer
from annotation.learning.corrections import (
    CorrectionFileError,
    held_out,
    import_decisions,
    load_corrections,
)
from annotation.learning.selection import Pick, Selection, in_evaluation_slice
from annotation.store import save_ads
from annotation.store.audit import list_audit
from annotation.store.reviews import append_review_decision
from corpora.corpus import read_splits
from corpora.records import Ad, Adjudication, Annotation, Evidence, ReviewDecision
from evaluation.retrain import build_training_set
from pipelines.cli import app

FEE = "la inscripción de 300 dólares se descuenta del primer pago"
TEXTS = {
    "rc-1": f"Trabajo en restaurante en el exterior, {FEE}. Escribe al +57 601 555 0101.",
    "rc-2": "Cajera para supermercado en Cali, contrato fijo y prestaciones de ley.",
    "rc-3": "Vagas em fábrica fora do país, passagem paga pela empresa, embarque imediato.",
    "rc-4": "Auxiliar de bodega en Medellín, turno diurno, sueldo fijo y afiliación a EPS.",
    "rc-5": "Trabalho de garçonete no exterior, moradia no local, contato só por mensagem.",
}


def ad(ad_id: str) -> Ad:
    return Ad(id=ad_id, lang="pt" if "país" in TEXTS[ad_id] or "garçonete" in TEXTS[ad_id]
              else "es", source="test", text=TEXTS[ad_id])


def span(ad_id: str, phrase: str) -> Evidence:
    start = TEXTS[ad_id].index(phrase)
    return Evidence.from_text(TEXTS[ad_id], start, start + len(phrase))


def label(ad_id: str, who: str, batch: int, indicators, risk="high") -> Annotation:
    return Annotation(ad_id=ad_id, annotator=who, batch_id=batch, indicators=indicators,
                      risk=risk)


@pytest.fixture
def labelled(store):
    """rc-1: a confirm, then an adjudication (which wins); rc-2: dismissed; rc-3: a
    consensus of two trainers; rc-4: a confirm stating no indicators (skipped)."""
    with store.begin() as session:
        save_ads(session, [ad(i) for i in TEXTS])
        append_review_decision(session, ReviewDecision(
            ad_id="rc-1", reviewer="iva", decision="confirm", indicators=["ABROAD_VAGUE"],
            risk="medium"))
        append_review_decision(session, ReviewDecision(ad_id="rc-2", reviewer="iva",
                                                       decision="dismiss"))
        append_review_decision(session, ReviewDecision(ad_id="rc-4", reviewer="iva",
                                                       decision="confirm"))
        batch = create_batch(session, Selection("random.v1", [
            Pick(i, "random", 0.0, "random.v1") for i in ("rc-1", "rc-3")]),
            name="b", created_by="lead", trainers=["ana", "bruno"])
        for who in ("ana", "bruno"):
            submit_answer(session, label("rc-3", who, batch, ["TRAVEL_PAID"]))
        submit_answer(session, label("rc-1", "ana", batch, ["FEE_OR_DEBT"]))
        submit_answer(session, label("rc-1", "bruno", batch, []))
        record_adjudication(session, Adjudication(
            ad_id="rc-1", adjudicator="lead", batch_id=batch, risk="high",
            indicators=["ABROAD_VAGUE", "FEE_OR_DEBT"],
            evidence={"FEE_OR_DEBT": [span("rc-1", FEE)]}))
    return store


def test_final_labels_outrank_decisions_and_each_row_says_where_it_comes_from(labelled):
    with labelled.begin() as session:
        found = load_corrections(session)
    rows = {row.id: row for row in found.rows}
    assert sorted(rows) == ["rc-1", "rc-2", "rc-3"]
    assert found.skipped == {"decision states no indicators": 1}
    one = rows["rc-1"]
    assert (one.indicators, one.risk, one.kind) == (["ABROAD_VAGUE", "FEE_OR_DEBT"], "high",
                                                    "deceptive")
    assert one.evidence["FEE_OR_DEBT"][0].text == FEE
    assert one.provenance["source"] == "adjudicated" and one.provenance["by"] == "lead"
    assert one.provenance["outranks"]["source"] == "review"
    two = rows["rc-2"]
    assert (two.indicators, two.risk, two.kind) == ([], "low", "legit")
    assert two.provenance == {"source": "review", "decision": "dismiss", "by": "iva",
                              "at": two.provenance["at"], "model_sha256": None}
    three = rows["rc-3"]
    assert (three.provenance["source"], three.provenance["by"]) == ("consensus", "ana, bruno")


def test_an_erased_ad_is_not_trained_on(labelled):
    from datetime import datetime, timezone

    from annotation.store.redaction import redact_ads

    with labelled.begin() as session:
        redact_ads(session, ["rc-3"], scope="text", kind="erasure",
                   now=datetime.now(timezone.utc))
        redact_ads(session, ["rc-1"], scope="contacts", kind="retention",
                   now=datetime.now(timezone.utc))
        found = load_corrections(session)
    assert sorted(row.id for row in found.rows) == ["rc-1", "rc-2"]  # contacts only: kept
    assert found.skipped["ad text erased"] == 1


def test_the_review_sample_is_fixed_by_id_and_holds_the_evaluation_slice():
    ids = [f"ad-{n:04d}" for n in range(2000)]
    sample = [i for i in ids if held_out(i)]
    assert 0.22 < len(sample) / len(ids) < 0.28
    assert all(held_out(i) for i in ids if in_evaluation_slice(i))
    assert sample == [i for i in ids if held_out(i)]  # no randomness between calls


def test_the_training_set_never_takes_a_dev_or_test_ad(labelled):
    splits = read_splits()
    test_id, train_id = splits.ids["test"][0], splits.ids["train"][0]
    from corpora.corpus import load_corpus

    seed = {a.id: a for a in load_corpus().ads}
    with labelled.begin() as session:
        save_ads(session, [seed[test_id].to_ad(), seed[train_id].to_ad()])
        for ad_id in (test_id, train_id):
            append_review_decision(session, ReviewDecision(
                ad_id=ad_id, reviewer="iva", decision="escalate", indicators=["SECRECY"]))
        corrections = load_corrections(session)
    data = build_training_set(corrections)
    assert data.skipped["ad of the corpus's dev or test split"] == 1
    train = {row.id: row for row in data.train}
    review = {row.id for row in data.review}
    assert test_id not in train and test_id not in review
    for row in corrections.rows:
        if row.id != test_id:
            assert (row.id in train) != (row.id in review)  # one or the other
    assert train[train_id].indicators == ["SECRECY"]  # a person's label replaces the seed's
    assert train_id not in review
    assert set(data.tests) == {f"test-wave-{w}" for w in splits.waves}
    assert sum(map(len, data.tests.values())) == len(splits.ids["test"])
    manifest = data.manifest()
    assert len(manifest) == len(data.train) + len(data.dev)
    assert not any("text" in row for row in manifest)  # hashes only, never ad text
    assert {row["provenance"]["source"] for row in manifest} >= {"seed"}


def record(ad_id: str, **changes) -> dict:
    base = {"ad": {"id": ad_id, "lang": "es", "country": "CO", "source": "fixture",
                   "text": TEXTS[ad_id]},
            "reviewer": "rev-a", "decision": "confirm", "indicators": ["FEE_OR_DEBT"],
            "evidence": {"FEE_OR_DEBT": [FEE]}, "risk": "high", "note": "cobro previo"}
    return {**base, **changes}


def test_decisions_import_once_with_their_audit_rows(store, store_url, tmp_path):
    path = tmp_path / "decisions.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        record("rc-1"), record("rc-2", decision="dismiss", indicators=[], evidence={},
                               risk="low")]) + "\n", encoding="utf-8")
    runner = CliRunner()
    first = runner.invoke(app, ["queue", "import-decisions", str(path), "--db", store_url])
    assert first.exit_code == 0 and "2 decisions stored, 0 already there" in first.output
    again = runner.invoke(app, ["queue", "import-decisions", str(path), "--db", store_url])
    assert "0 decisions stored, 2 already there" in again.output
    with store.begin() as session:
        rows = {row.id: row for row in load_corrections(session).rows}
        assert rows["rc-1"].evidence["FEE_OR_DEBT"][0].text == FEE
        assert rows["rc-1"].provenance["by"] == "rev-a"
        assert [e.action for e in list_audit(session, target="ad:rc-1")] == ["review.decide"]
        with pytest.raises(CorrectionFileError, match="line 7: evidence for FEE_OR_DEBT"):
            import_decisions(session, [("line 7", record("rc-2"))])
        with pytest.raises(CorrectionFileError, match="unknown indicator"):
            import_decisions(session, [("line 8", record("rc-1", indicators=["NOPE"]))])


def test_the_reviewer_fixture_imports_whole(tmp_path):
    """corpora/corrections/reviewer-r1.jsonl (the retrain example in the README) stores
    every decision, every evidence quote found in its ad."""
    from pathlib import Path

    from annotation.store import open_store

    path = Path(__file__).parents[1] / "corpora" / "corrections" / "reviewer-r1.jsonl"
    records = [(f"line {n}", json.loads(line)) for n, line in
               enumerate(path.read_text(encoding="utf-8").splitlines(), 1)]
    with open_store(f"sqlite:///{tmp_path / 'c.db'}") as store, store.begin() as session:
        assert import_decisions(session, records) == (40, 0)
        rows = load_corrections(session).rows
    assert len(rows) == 40 and {r.lang for r in rows} == {"es", "pt"}
    assert sum(r.risk == "low" for r in rows) == 16
    assert all(len(r.evidence) == len(r.indicators) for r in rows)
