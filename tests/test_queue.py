"""The review queue contract (annotation/queue.py, annotation/decisions.py), on SQLite and
PostgreSQL: entering once, order, filters, leases, decisions, audit, and concurrent claims
from 20 threads (and, on PostgreSQL, from several processes)."""

from __future__ import annotations

import math
import multiprocessing
import threading
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from annotation.decisions import DecisionError, build_decision, parse_offsets
from annotation.queue import (
    LeaseHeldError,
    QueueError,
    QueueFilters,
    claim_next,
    decide,
    enqueue_flagged,
    list_queue,
    load_review,
    release_claims,
)
from annotation.store import (
    Store,
    list_audit,
    list_review_decisions,
    open_store,
    save_ads,
    save_assessments,
)
from annotation.store.tables import QueueItemRow, ReviewDecisionRow
from corpora.records import ReviewDecision, utc_now
from tests.review_data import MODEL, NEW_MODEL, SAMPLE, Scored, store_scored

FLAGGED_ORDER = ["mx-pas", "br-taxa", "co-viaje", "mx-script"]


def queued_ids(store: Store, filters: QueueFilters | None = None) -> list[str]:
    with store.begin() as session:
        return [item.ad_id for item in list_queue(session, filters, per_page=100).items]


def count_items(store: Store) -> int:
    with store.begin() as session:
        return session.scalar(select(func.count()).select_from(QueueItemRow))


def claim(store: Store, reviewer: str, **options: object) -> str | None:
    with store.begin() as session:
        return claim_next(session, reviewer, **options)


# --- entering the queue -----------------------------------------------------------------

def test_flagged_ads_enter_once_in_score_order(store: Store) -> None:
    store_scored(store)
    assert queued_ids(store) == FLAGGED_ORDER  # the low-risk cashier ad stays out
    store_scored(store)  # the same scan again
    assert count_items(store) == 4
    with store.begin() as session:
        page = list_queue(session)
        assert page.total == 4 and page.state_counts == {
            "open": 4, "confirm": 0, "dismiss": 0, "escalate": 0}
        top = page.items[0]
        assert (top.risk, top.score, top.lang, top.country) == ("high", 0.95, "es", "MX")
        assert top.indicators == ("CONTACT_INFORMAL", "DOCS_HANDLED", "TRAVEL_PAID")
        assert top.title == "Trabajo en Canadá"
        (entry, *_) = list_audit(session)
        assert entry.action == "queue.enqueue" and entry.after == {"new": 0, "updated": 4}


def test_a_rescan_with_a_new_model_updates_the_item(store: Store) -> None:
    store_scored(store)
    with store.begin() as session:
        decide(session, ReviewDecision(ad_id="co-viaje", reviewer="ana", decision="escalate"))
    rescored = [item.assessment(NEW_MODEL, score=0.99 if item.ad_id == "co-viaje" else None,
                                risk="low" if item.ad_id == "br-taxa" else None)
                for item in SAMPLE]
    with store.begin() as session:
        save_assessments(session, rescored)
        counts = enqueue_flagged(session, rescored)
    assert (counts.new, counts.updated) == (0, 4)
    assert count_items(store) == 4
    # br-taxa is no longer flagged by the current model; co-viaje keeps its decision.
    assert queued_ids(store) == ["mx-pas", "mx-script"]
    assert queued_ids(store, QueueFilters(risk="low")) == ["br-taxa"]
    with store.begin() as session:
        review = load_review(session, "co-viaje")
        assert review.item.state == "escalate" and review.item.score == 0.99
        assert review.assessment.model == NEW_MODEL


def test_ties_on_score_go_by_first_seen(store: Store) -> None:
    later = Scored("tie-2", "Pagamos tu pasaje hoy.", "medium", 0.5, {"TRAVEL_PAID": "pasaje"})
    earlier = Scored("tie-1", "Pasaje pagado ya.", "medium", 0.5, {"TRAVEL_PAID": "Pasaje"})
    store_scored(store, [later])
    store_scored(store, [earlier])
    assert queued_ids(store) == ["tie-2", "tie-1"]


def test_clusters_raise_the_review_score_and_reposts_stay_out(store: Store) -> None:
    from annotation.linking import link_ads, prepare_ads

    phone = "WhatsApp +52 55 5550 0147"
    solo = Scored("solo", "Viaje pagado a Chile para cosecha, salida el lunes.", "medium",
                  0.56, {"TRAVEL_PAID": "Viaje pagado"})
    first = Scored("pair-1", f"Meseras para crucero, te pagamos el pasaje. {phone}",
                   "medium", 0.52, {"TRAVEL_PAID": "te pagamos el pasaje"})
    second = Scored("pair-2", f"Cocineros en el extranjero, pasaje incluido. {phone}",
                    "medium", 0.4, {"TRAVEL_PAID": "pasaje incluido"})
    repost = replace(second, ad_id="pair-2-again")
    items = [solo, first, second, repost]
    with store.begin() as session:
        save_ads(session, [item.ad() for item in items])
        link_ads(session, prepare_ads([item.ad() for item in items], b"k" * 32))
        save_assessments(session, [item.assessment() for item in items])
        counts = enqueue_flagged(session, [item.assessment() for item in items])
    assert counts.new == 3  # the re-post of pair-2 does not enter
    with store.begin() as session:
        scores = {item.ad_id: item.score for item in list_queue(session).items}
    # A cluster of three (a shared phone, a re-post) lifts pair-1 above the solo ad.
    boost = 0.1 * math.log2(3)
    assert list(scores) == ["pair-1", "solo", "pair-2"]
    assert scores["pair-1"] == pytest.approx(1 - 0.48 * (1 - boost))
    assert scores["solo"] == 0.56


# --- filters ----------------------------------------------------------------------------

@pytest.mark.parametrize(("params", "expected"), [
    ({"lang": "pt"}, ["br-taxa"]),
    ({"risk": "medium"}, ["co-viaje"]),  # mx-script is decided
    ({"indicator": "TRAVEL_PAID"}, ["mx-pas", "co-viaje"]),
    ({"source": "vagas.example.org"}, ["br-taxa"]),
    ({"country": "CO"}, ["co-viaje"]),
    ({"date_from": "2026-02-01", "date_to": "2026-02-28"}, ["br-taxa", "co-viaje"]),
    ({"date_to": "2026-01-31"}, ["mx-pas"]),
    ({"state": "dismiss"}, ["mx-script"]),
    ({"state": "any"}, FLAGGED_ORDER),
    ({"lang": "es", "indicator": "SECRECY", "state": "any"}, ["mx-script"]),
])
def test_filters(store: Store, params: dict[str, str], expected: list[str]) -> None:
    dates = {"mx-pas": datetime(2026, 1, 10, tzinfo=timezone.utc),
             "br-taxa": datetime(2026, 2, 1, tzinfo=timezone.utc),
             "co-viaje": datetime(2026, 2, 28, 23, 59, tzinfo=timezone.utc)}
    store_scored(store, [replace(item, published_at=dates.get(item.ad_id, datetime(
        2026, 3, 5, tzinfo=timezone.utc))) for item in SAMPLE])
    with store.begin() as session:
        decide(session, ReviewDecision(ad_id="mx-script", reviewer="ana", decision="dismiss"))
    filters = QueueFilters.from_params(params)
    assert queued_ids(store, filters) == expected
    assert QueueFilters.from_params(filters.to_params()) == filters


@pytest.mark.parametrize(("params", "message"), [
    ({"risk": "extreme"}, "risk must be one of"),
    ({"state": "maybe"}, "state must be one of"),
    ({"date_from": "31/01/2026"}, "date_from must be a date"),
    ({"date_from": "2026-02-01", "date_to": "2026-01-01"}, "is after"),
])
def test_bad_filters_say_what_is_wrong(params: dict[str, str], message: str) -> None:
    with pytest.raises(QueueError, match=message):
        QueueFilters.from_params(params)


def test_pages(store: Store) -> None:
    store_scored(store)
    with store.begin() as session:
        first, second = list_queue(session, page=1, per_page=3), list_queue(session, page=2,
                                                                           per_page=3)
    assert [i.ad_id for i in first.items + second.items] == FLAGGED_ORDER
    assert (first.pages, second.total) == (2, 4)


# --- leases -----------------------------------------------------------------------------

def test_claims_hand_each_item_to_one_reviewer(store: Store) -> None:
    store_scored(store)
    assert claim(store, "ana") == "mx-pas"
    assert claim(store, "beto") == "br-taxa"
    assert claim(store, "ana") == "mx-pas"  # asking again gives back the same item
    assert claim(store, "carla", filters=QueueFilters(lang="es")) == "co-viaje"
    with store.begin() as session:
        item = load_review(session, "mx-pas").item
        assert item.leased_to() == "ana"
        (entry, *_) = list_audit(session, target="ad:co-viaje")
        assert (entry.actor, entry.action) == ("carla", "queue.claim")


def test_an_expired_lease_returns_the_item(store: Store) -> None:
    store_scored(store)
    past = utc_now() - timedelta(hours=1)
    assert claim(store, "ana", lease=timedelta(minutes=20), now=past) == "mx-pas"
    assert claim(store, "beto") == "mx-pas"


def test_skipping_claims_the_next_item_below(store: Store) -> None:
    store_scored(store)
    assert claim(store, "ana") == "mx-pas"
    assert claim(store, "ana", after="mx-pas") == "br-taxa"
    assert claim(store, "beto") == "mx-pas"  # skipping gave mx-pas back
    assert claim(store, "ana", after="mx-script") is None
    with store.begin() as session:
        assert release_claims(session, "beto") == 1
    assert claim(store, "carla") == "mx-pas"


# --- decisions --------------------------------------------------------------------------

def test_decisions_are_appended_and_the_latest_is_the_state(store: Store) -> None:
    store_scored(store)
    assert claim(store, "ana") == "mx-pas"
    with store.begin() as session:
        review = load_review(session, "mx-pas")
        first = build_decision(review, "ana", "escalate", remove=["CONTACT_INFORMAL"],
                               add=["SECRECY"], spans={"SECRECY": [(0, 7)]}, note=" ver ")
        decide(session, first)
    assert queued_ids(store) == ["br-taxa", "co-viaje", "mx-script"]
    assert claim(store, "ana") == "br-taxa"  # the lease on mx-pas ended with the decision
    with store.begin() as session:
        second = build_decision(load_review(session, "mx-pas"), "beto", "confirm", risk="high")
        decide(session, second)
    with store.begin() as session:
        review = load_review(session, "mx-pas")
        assert review.decisions == [first, second]
        assert review.item.state == "confirm" and review.item.leased_to() is None
        assert first.indicators == ["TRAVEL_PAID", "DOCS_HANDLED", "SECRECY"]
        assert first.evidence["SECRECY"][0].text == "Trabajo"
        assert first.evidence["DOCS_HANDLED"][0].text == "guardamos tu pasaporte"
        assert first.note == "ver" and first.model_sha256 == MODEL.sha256
        assert first.risk == "high"
        (latest, earlier) = [e for e in list_audit(session, target="ad:mx-pas")
                             if e.action == "review.decide"]
        assert latest.before["decision"] == "escalate" and latest.after["decision"] == "confirm"
        assert earlier.before is None and earlier.actor == "ana"


def test_a_decision_on_an_item_someone_else_holds_is_refused(store: Store) -> None:
    store_scored(store)
    assert claim(store, "ana") == "mx-pas"
    with pytest.raises(LeaseHeldError, match="being reviewed by ana"), store.begin() as session:
        decide(session, ReviewDecision(ad_id="mx-pas", reviewer="beto", decision="dismiss"))
    with pytest.raises(QueueError, match="not in the review queue"), store.begin() as session:
        decide(session, ReviewDecision(ad_id="mx-cajero", reviewer="beto", decision="dismiss"))
    with store.begin() as session:
        assert list_review_decisions(session, "mx-pas") == []
        assert session.scalar(select(func.count()).select_from(ReviewDecisionRow)) == 0


def test_indicator_order_follows_the_taxonomy(store: Store, taxonomy) -> None:
    store_scored(store)
    with store.begin() as session:
        decision = build_decision(load_review(session, "mx-pas"), "ana", "confirm",
                                  add=["SECRECY"])
    assert decision.indicators == [i for i in taxonomy.ids if i in decision.indicators]


@pytest.mark.parametrize(("options", "message"), [
    ({"add": ["NOT_AN_INDICATOR"]}, "unknown indicator ids"),
    ({"spans": {"TRAVEL_PAID": [(5, 500)]}}, "not inside the ad's text"),
    ({"spans": {"TRAVEL_PAID": [(9, 3)]}}, "not inside the ad's text"),
    ({"spans": {"SECRECY": [(0, 4)]}}, "not kept: SECRECY"),
    ({"risk": "extreme"}, "risk must be one of"),
])
def test_bad_corrections_say_what_is_wrong(store: Store, options: dict, message: str) -> None:
    store_scored(store)
    with store.begin() as session, pytest.raises(DecisionError, match=message):
        build_decision(load_review(session, "co-viaje"), "ana", "confirm", **options)


def test_offsets_are_parsed_or_refused() -> None:
    assert parse_offsets("120-151, 3:9 ,") == [(120, 151), (3, 9)]
    with pytest.raises(DecisionError, match="'12-x' is not a span"):
        parse_offsets("12-x")


# --- concurrency ------------------------------------------------------------------------

def _many(count: int) -> list[Scored]:
    return [Scored(f"c-{n:03d}", f"Anuncio {n}: guardamos tu pasaporte.", "high",
                   round(0.5 + n / 1000, 3), {"DOCS_HANDLED": "guardamos tu pasaporte"})
            for n in range(count)]


def test_twenty_threads_claiming_at_once_never_get_the_same_item(store: Store) -> None:
    store_scored(store, _many(60))
    barrier = threading.Barrier(20)
    claimed: dict[int, list[str]] = {n: [] for n in range(20)}
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait()
            round_ = 0
            while (ad_id := claim(store, f"reviewer-{n}-{round_}")) is not None:
                claimed[n].append(ad_id)
                round_ += 1
        except BaseException as exc:  # reported below, with the thread's number
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    handed_out = [ad_id for ids in claimed.values() for ad_id in ids]
    assert sorted(handed_out) == sorted(item.ad_id for item in _many(60))  # each exactly once
    assert sum(1 for ids in claimed.values() if ids) > 1  # the threads really overlapped


def _claim_all_in_a_process(url: str, worker: int, start) -> list[str]:
    start.wait(60)  # a barrier: every task runs in its own worker before any claims
    claimed = []
    with open_store(url, migrate=False) as store:
        while (ad_id := claim(store, f"process-{worker}-{len(claimed)}")) is not None:
            claimed.append(ad_id)
    return claimed


def test_processes_claiming_at_once_never_get_the_same_item(store_url: str) -> None:
    with open_store(store_url) as store:
        store_scored(store, _many(120))
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(4) as pool:
        # with an event set at once, the first spawned worker could claim all 120 before
        # the others had started; a barrier of four holds each task until all four run
        start = manager.Barrier(4)
        results = [pool.apply_async(_claim_all_in_a_process, (store_url, n, start))
                   for n in range(4)]
        claimed = [result.get(timeout=120) for result in results]
    handed_out = [ad_id for ids in claimed for ad_id in ids]
    assert sorted(handed_out) == sorted(item.ad_id for item in _many(120))
    assert sum(1 for ids in claimed if ids) > 1


def test_filters_as_params_leave_out_the_defaults() -> None:
    assert QueueFilters().to_params() == {}
    assert QueueFilters(date_from=date(2026, 1, 1)).to_params() == {"date_from": "2026-01-01"}
