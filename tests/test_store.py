"""The store, on SQLite and (with CENTINELA_TEST_PG_URL set) PostgreSQL, same tests
(the `store_url` and `store` fixtures are in conftest.py)."""

from __future__ import annotations

import multiprocessing
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from annotation.store import (
    AppendOnlyError,
    ScanCounts,
    Store,
    append_annotation,
    append_review_decision,
    count_risks,
    finish_scan,
    list_annotations,
    list_audit,
    list_review_decisions,
    list_scans,
    list_top_flagged,
    load_ad,
    load_assessments,
    load_scan,
    open_store,
    save_ads,
    save_assessments,
    start_scan,
)
from annotation.store.db import MIGRATIONS_PATH
from annotation.store.tables import AdRow, AssessmentRow, Base, HitRow, ReviewDecisionRow
from corpora.records import (
    Ad,
    Annotation,
    Assessment,
    Evidence,
    IndicatorHit,
    ModelRef,
    ReviewDecision,
    Risk,
)
from corpora.sources.ads import find_unstorable_text

MODEL = ModelRef(name="fake.pasaporte", version="1", sha256="a" * 64)
OTHER_MODEL = ModelRef(name="fake.pasaporte", version="2", sha256="b" * 64)
TABLES = {"scans", "ads", "assessments", "indicator_hits", "review_decisions", "annotations",
          "audit_log", "review_queue", "users", "login_sessions", "login_failures",
          "alembic_version"}


def make_ad(ad_id: str, text: str = "Se busca cajero.", **fields: object) -> Ad:
    return Ad(id=ad_id, text=text, lang="es", source="test", **fields)


def make_assessment(ad: Ad, risk: Risk = "low", score: float = 0.1,
                    model: ModelRef = MODEL, hits: list[IndicatorHit] | None = None) -> Assessment:
    return Assessment(ad_id=ad.id, lang=ad.lang, risk=risk, score=score, hits=hits or [],
                      explanation="", model=model)


def passport_hit(ad: Ad, indicator: str = "DOCS_HANDLED", score: float = 0.9) -> IndicatorHit:
    start = ad.text.index("pasaporte")
    return IndicatorHit(id=indicator, score=score, strength="strong", detector="fake",
                        evidence=[Evidence.from_text(ad.text, start, start + len("pasaporte"))])


def count_rows(store: Store, row_type: type[Base]) -> int:
    with store.begin() as session:
        return session.scalar(select(func.count()).select_from(row_type))


# --- opening and migrating --------------------------------------------------------------

def test_opening_creates_the_schema_and_reopening_changes_nothing(store_url: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_PATH))
    head = ScriptDirectory.from_config(config).get_current_head()
    with open_store(store_url) as store:
        assert TABLES.issubset(inspect(store.engine).get_table_names())
        with store.begin() as session:
            assert session.scalar(text("SELECT version_num FROM alembic_version")) == head
    with open_store(store_url) as store, store.begin() as session:
        assert session.scalar(text("SELECT count(*) FROM alembic_version")) == 1


def _open_with_the_others(url: str, start: Any) -> str:
    import alembic.command  # noqa: F401  (imported before the start, so that all race at once)

    start.wait(120)
    try:
        open_store(url).close()
    except Exception as exc:  # noqa: BLE001 (the test shows which)
        return f"{type(exc).__name__}: {exc}"
    return "ok"


def test_processes_opening_a_new_store_at_once_all_get_it(store_url: str) -> None:
    """Two commands started together on a new store (a scan and the web app, or a test
    watching a scan) both migrate it: one waits for the other instead of failing with
    'table ... already exists'."""
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(4) as pool:
        start = manager.Barrier(4)
        results = [pool.apply_async(_open_with_the_others, (store_url, start))
                   for _ in range(4)]
        outcomes = [result.get(timeout=180) for result in results]
    assert outcomes == ["ok"] * 4
    with open_store(store_url) as store, store.begin() as session:
        assert session.scalar(text("SELECT count(*) FROM alembic_version")) == 1


def test_migrations_match_the_tables(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_sqlite_gets_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'a' / 'b.db'}") as store, store.begin() as session:
        assert session.scalar(text("PRAGMA journal_mode")) == "wal"
        assert session.scalar(text("PRAGMA foreign_keys")) == 1
        assert session.scalar(text("PRAGMA busy_timeout")) >= 1000
    assert (tmp_path / "a" / "b.db").is_file()


def test_in_memory_sqlite_keeps_its_schema() -> None:
    with open_store("sqlite://") as store, store.begin() as session:
        assert save_ads(session, [make_ad("m1")]).new == 1
        assert load_ad(session, "m1") is not None


# --- ads --------------------------------------------------------------------------------

def test_ads_round_trip(store: Store) -> None:
    mexico = timezone(timedelta(hours=-6))
    ad = Ad(id="es-001", source="empleos.example.com", url="https://empleos.example.com/1",
            lang="es", country="MX", title="Cajero", text="Se busca cajero.\nInformes: "
            "+52 55 5550 0123", published_at=datetime(2025, 1, 6, 10, 0, tzinfo=mexico),
            fetched_at=datetime(2025, 1, 7, 9, 30, 15, 123456, tzinfo=timezone.utc),
            raw_ref="ads.jsonl:1")
    with store.begin() as session:
        save_ads(session, [ad])
    with store.begin() as session:
        loaded = load_ad(session, "es-001")
        assert loaded == ad
        assert loaded.published_at.tzinfo == timezone.utc
        assert load_ad(session, "missing") is None


def test_a_naive_time_is_stored_as_utc(store: Store) -> None:
    ad = make_ad("n1", published_at=datetime(2025, 3, 1, 12, 0))
    with store.begin() as session:
        save_ads(session, [ad])
    with store.begin() as session:
        assert load_ad(session, "n1").published_at == datetime(2025, 3, 1, 12, 0,
                                                               tzinfo=timezone.utc)


def test_saving_ads_twice_stores_them_once(store: Store) -> None:
    first, second = make_ad("a1"), make_ad("a2", "Se solicita mesero.")
    with store.begin() as session:
        saved = save_ads(session, [first, second, first])
        assert saved.outcomes == ("new", "new", "seen")
        scan_id = start_scan(session, "ads.jsonl", MODEL)
    with store.begin() as session:
        changed = make_ad("a1", "Otro texto con el mismo id.")
        saved = save_ads(session, [second, make_ad("a3"), changed], scan_id)
        assert saved.outcomes == ("seen", "new", "changed")
        assert (saved.new, saved.seen, saved.changed) == (1, 1, 1)
        assert saved.row_ids == ("a2", "a3", "a1@v2")  # a new text is a new revision
    with store.begin() as session:
        assert load_ad(session, "a1").text == first.text
        assert load_ad(session, "a1@v2").text == changed.text
        assert session.get(AdRow, "a3").first_seen_scan == scan_id
        assert session.get(AdRow, "a1").first_seen_scan is None
    assert count_rows(store, AdRow) == 4


def test_unstorable_text_is_refused_before_anything_is_stored(store: Store) -> None:
    nul, surrogate = make_ad("u1", "hola\x00mundo"), make_ad("u2", title="hola \ud800")
    assert find_unstorable_text(nul) == "field 'text' contains a NUL character"
    assert find_unstorable_text(surrogate) == (
        "field 'title' is not valid Unicode (a lone surrogate)")
    assert find_unstorable_text(make_ad("u3")) is None
    with store.begin() as session, pytest.raises(ValueError, match="'u1' cannot be stored"):
        save_ads(session, [make_ad("ok"), nul])
    assert count_rows(store, AdRow) == 0


_stored_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1, max_size=200)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(_stored_text, min_size=1, max_size=5, unique=True))
def test_any_text_comes_back_exactly(store: Store, texts: list[str]) -> None:
    ads = [Ad(id=f"h-{uuid.uuid4().hex}", text=value) for value in texts]
    with store.begin() as session:
        save_ads(session, ads)
    with store.begin() as session:
        assert [load_ad(session, ad.id) for ad in ads] == ads


# --- assessments ------------------------------------------------------------------------

def test_assessments_round_trip_with_their_hits(store: Store) -> None:
    ad = make_ad("p1", "Nosotros tramitamos tu pasaporte y el boleto.")
    hits = [passport_hit(ad), IndicatorHit(id="TRAVEL_PAID", score=0.7, strength="medium",
                                           detector="fake", evidence=[])]
    assessment = make_assessment(ad, "high", 0.93, hits=hits)
    with store.begin() as session:
        save_ads(session, [ad])
        assert save_assessments(session, [assessment]).new == 1
    with store.begin() as session:
        (loaded,) = load_assessments(session, "p1")
        assert loaded == assessment
        for hit in loaded.hits:
            for span in hit.evidence:
                assert ad.text[span.start:span.end] == span.text


def test_saving_assessments_twice_stores_them_once(store: Store) -> None:
    ad = make_ad("p2", "Te quitamos el pasaporte al llegar.")
    assessment = make_assessment(ad, "high", 0.9, hits=[passport_hit(ad)])
    with store.begin() as session:
        save_ads(session, [ad])
        saved = save_assessments(session, [assessment, assessment])
        assert (saved.new, saved.existing) == (1, 1)
    with store.begin() as session:
        saved = save_assessments(session, [make_assessment(ad, "low", 0.2)])
        assert (saved.new, saved.existing) == (0, 1)
        other = make_assessment(ad, "medium", 0.5, model=OTHER_MODEL)
        assert save_assessments(session, [other]).new == 1
    assert count_rows(store, AssessmentRow) == 2
    assert count_rows(store, HitRow) == 1
    with store.begin() as session:
        assert [a.model for a in load_assessments(session, "p2")] == [MODEL, OTHER_MODEL]


def test_an_assessment_needs_its_ad_stored(store: Store) -> None:
    with store.begin() as session, pytest.raises(IntegrityError):
        save_assessments(session, [make_assessment(make_ad("nowhere"))])


# --- scans and summaries ----------------------------------------------------------------

def test_scans_start_and_finish(store: Store) -> None:
    with store.begin() as session:
        scan_id = start_scan(session, "ads.jsonl", MODEL)
    with store.begin() as session:
        running = load_scan(session, scan_id)
        assert running.status == "running" and running.finished_at is None
        assert running.model == MODEL and running.counts == ScanCounts()
        counts = ScanCounts(records_read=5, errors=1, ads_new=3, ads_seen=1,
                            assessments_new=3)
        finish_scan(session, scan_id, counts)
    with store.begin() as session:
        done = load_scan(session, scan_id)
        assert done.status == "finished" and done.counts == counts
        assert done.finished_at >= done.started_at
        second = start_scan(session, "feed.xml", OTHER_MODEL)
        assert [scan.id for scan in list_scans(session)] == [second, scan_id]
        assert load_scan(session, 999_999) is None


def _store_scored(store: Store) -> None:
    rows = [("s1", "high", 0.95), ("s2", "medium", 0.6), ("s3", "low", 0.1),
            ("s4", "high", 0.8), ("s5", "low", 0.05)]
    ads = [make_ad(ad_id, f"Anuncio {ad_id}: entregue su pasaporte.") for ad_id, _, _ in rows]
    assessments = [
        make_assessment(ad, risk, score, hits=[passport_hit(ad, score=score)] if risk != "low"
                        else [])
        for ad, (_, risk, score) in zip(ads, rows, strict=True)
    ]
    assessments[0] = make_assessment(ads[0], "high", 0.95, hits=[
        passport_hit(ads[0], "SECRECY", 0.6), passport_hit(ads[0], "DOCS_HANDLED", 0.95)])
    with store.begin() as session:
        save_ads(session, ads)
        save_assessments(session, assessments)
        save_assessments(session, [make_assessment(ads[2], "high", 0.99, model=OTHER_MODEL)])


def test_counts_by_risk(store: Store) -> None:
    _store_scored(store)
    with store.begin() as session:
        assert count_risks(session, model_sha256=MODEL.sha256) == {
            "low": 2, "medium": 1, "high": 2}
        assert count_risks(session) == {"low": 2, "medium": 1, "high": 3}
        assert count_risks(session, model_sha256="0" * 64) == {"low": 0, "medium": 0, "high": 0}


def test_top_flagged_ads_by_score_with_their_indicators(store: Store) -> None:
    _store_scored(store)
    with store.begin() as session:
        top = list_top_flagged(session, 10, model_sha256=MODEL.sha256)
        assert [(f.ad_id, f.risk, f.score) for f in top] == [
            ("s1", "high", 0.95), ("s4", "high", 0.8), ("s2", "medium", 0.6)]
        assert top[0].indicators == ("DOCS_HANDLED", "SECRECY")
        assert [f.ad_id for f in list_top_flagged(session, 1, model_sha256=MODEL.sha256)] == ["s1"]
        assert [f.ad_id for f in list_top_flagged(session, min_risk="high",
                                                  model_sha256=MODEL.sha256)] == ["s1", "s4"]
        assert list_top_flagged(session, 1)[0].ad_id == "s3"  # every model: OTHER_MODEL's 0.99


# --- review decisions, annotations, audit -----------------------------------------------

def test_review_decisions_are_appended_and_audited(store: Store) -> None:
    ad = make_ad("r1", "Viaje pagado, nosotros guardamos su pasaporte.")
    first = ReviewDecision(ad_id="r1", reviewer="ana", decision="escalate", note="ver")
    second = ReviewDecision(ad_id="r1", reviewer="beto", decision="confirm",
                            indicators=["DOCS_HANDLED", "TRAVEL_PAID"])
    with store.begin() as session:
        save_ads(session, [ad])
        append_review_decision(session, first)
    with store.begin() as session:
        append_review_decision(session, second)
    with store.begin() as session:
        assert list_review_decisions(session, "r1") == [first, second]
        latest, earliest = list_audit(session, target="ad:r1")
        assert (latest.actor, latest.action) == ("beto", "review.decide")
        assert latest.before["decision"] == "escalate"
        assert latest.after["indicators"] == ["DOCS_HANDLED", "TRAVEL_PAID"]
        assert earliest.before is None


def test_review_decisions_cannot_be_edited_or_deleted(store: Store) -> None:
    with store.begin() as session:
        save_ads(session, [make_ad("r2")])
        append_review_decision(session, ReviewDecision(ad_id="r2", reviewer="ana",
                                                       decision="dismiss"))
    with pytest.raises(AppendOnlyError), store.begin() as session:
        session.scalars(select(ReviewDecisionRow)).one().note = "changed"
    with pytest.raises(AppendOnlyError), store.begin() as session:
        session.delete(session.scalars(select(ReviewDecisionRow)).one())
    with store.begin() as session:
        (decision,) = list_review_decisions(session, "r2")
        assert decision.note == ""


def test_annotations_round_trip(store: Store) -> None:
    ad = make_ad("t1", "Pagamos el pasaporte; no le digas a tu familia.")
    start = ad.text.index("no le digas")
    annotation = Annotation(
        ad_id="t1", annotator="carla", indicators=["DOCS_HANDLED", "SECRECY"], risk="high",
        evidence={"SECRECY": [Evidence.from_text(ad.text, start, start + 11)]})
    with store.begin() as session:
        save_ads(session, [ad])
        append_annotation(session, annotation)
    with store.begin() as session:
        assert list_annotations(session, "t1") == [annotation]
        (entry,) = list_audit(session, target="ad:t1")
        assert entry.action == "annotation.label" and entry.after["risk"] == "high"
