"""A new text under a stored ad id (issue 11, item 5): every text is kept as a revision,
assessed, linked and queued; the review queue keeps one item per ad. SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from annotation.intake import ScanTally, store_batch
from annotation.linking import prepare_ads
from annotation.queue import QueueError, claim_next, decide, list_queue, load_review
from annotation.store import (
    Store,
    find_latest_revisions,
    list_audit,
    load_ad,
    load_assessments,
    save_ads,
    start_scan,
)
from annotation.store.tables import AdLinkRow, AdRow, QueueItemRow
from corpora.records import Ad, ReviewDecision, hash_text
from corpora.sources import SourceRecord
from corpora.sources.ads import ad_from_record, build_ads
from tests.fakes import FakeDetector

CLINIC = "Clínica busca enfermera con título registrado, contrato de un año."
PASSPORT = "Trabajo en el exterior, pasaje pagado, nosotros guardamos tu pasaporte."
PASSPORT_AGAIN = "Trabajo en el exterior, pasaje pagado; entregas tu pasaporte al llegar."
KEY = b"test-key-of-sixteen-bytes"


def make_ad(ad_id: str, text: str) -> Ad:
    return Ad(id=ad_id, source="ads.jsonl", lang="es", text=text, content_hash=hash_text(text))


def scan_batch(store: Store, ads: list[Ad]) -> ScanTally:
    """What the scan flow does with one batch: assess, store, link, queue."""
    detector = FakeDetector()
    with store.begin() as session:
        scan_id = start_scan(session, "ads.jsonl", detector.ref)
    tally = ScanTally(scan_id=scan_id, source="ads.jsonl", model=detector.ref, top_n=10)
    tally.add_batch(store_batch(store, scan_id, ads, detector.assess(ads),
                                prepare_ads(ads, KEY)))
    return tally


def count(store: Store, row_type: type) -> int:
    with store.begin() as session:
        return session.scalar(select(func.count()).select_from(row_type))


def test_each_new_text_under_an_id_is_a_revision_of_its_own(store: Store) -> None:
    with store.begin() as session:
        assert save_ads(session, [make_ad("a1", CLINIC)]).outcomes == ("new",)
    with store.begin() as session:
        saved = save_ads(session, [make_ad("a1", PASSPORT), make_ad("a1", PASSPORT),
                                   make_ad("a2", CLINIC)])
        assert saved.outcomes == ("changed", "seen", "new")
        assert saved.row_ids == ("a1@v2", "a1@v2", "a2")
        assert saved.changed_ids([make_ad("a1", PASSPORT)] * 2 + [make_ad("a2", CLINIC)]) \
            == ("a1",)
    with store.begin() as session:
        # Back to the first text: the source's latest word is a third revision.
        saved = save_ads(session, [make_ad("a1", CLINIC), make_ad("a1", PASSPORT)])
        assert saved.outcomes == ("changed", "changed")
        assert saved.row_ids == ("a1@v3", "a1@v4")
    with store.begin() as session:
        assert load_ad(session, "a1").text == CLINIC  # never rewritten
        assert load_ad(session, "a1@v2").text == PASSPORT
        row = session.get(AdRow, "a1@v4")
        assert (row.revision, row.revision_of, row.text) == (4, "a1", PASSPORT)
        latest = find_latest_revisions(session, ["a1", "a2", "nope"])
        assert {k: (v.row_id, v.revision) for k, v in latest.items()} == {
            "a1": ("a1@v4", 4), "a2": ("a2", 1)}
    assert count(store, AdRow) == 5


def test_a_revision_never_takes_the_row_of_another_ad(store: Store) -> None:
    with store.begin() as session:
        save_ads(session, [make_ad("x", CLINIC), make_ad("x", PASSPORT)])  # x, x@v2
        # A source whose own id looks like a revision's row id.
        saved = save_ads(session, [make_ad("x@v2", CLINIC)])
        assert saved.row_ids[0] not in ("x", "x@v2")
    with store.begin() as session:
        assert load_ad(session, "x@v2").text == PASSPORT
        assert load_ad(session, saved.row_ids[0]).text == CLINIC


def test_the_number_3_and_the_string_3_are_one_id_with_two_texts(store: Store) -> None:
    records = [SourceRecord("d.jsonl", 1, {"id": 3, "text": CLINIC, "lang": "es"}),
               SourceRecord("d.jsonl", 2, {"id": "3", "text": PASSPORT, "lang": "es"})]
    ads = [built.ad for built in build_ads(records)]
    assert [ad.id for ad in ads] == ["3", "3"]
    tally = scan_batch(store, ads)
    assert (tally.ads_new, tally.ads_changed, tally.changed_ids) == (1, 1, ["3"])
    with store.begin() as session:  # both texts are stored, neither is lost
        assert [load_ad(session, i).text for i in ("3", "3@v2")] == [CLINIC, PASSPORT]
    # the ad counts once, as its latest text says
    assert tally.risk_counts == {"low": 0, "medium": 0, "high": 1}
    assert ad_from_record({"id": 3, "text": CLINIC}).id == "3"


def test_a_new_text_is_assessed_and_moves_the_queue_item_to_it(store: Store) -> None:
    scan_batch(store, [make_ad("mx-1", PASSPORT), make_ad("mx-2", CLINIC)])
    with store.begin() as session:
        decide(session, ReviewDecision(ad_id="mx-1", reviewer="ana", decision="dismiss"))

    tally = scan_batch(store, [make_ad("mx-1", PASSPORT_AGAIN), make_ad("mx-2", CLINIC)])
    assert (tally.ads_new, tally.ads_seen, tally.ads_changed) == (0, 1, 1)
    assert tally.assessments_new == 1 and tally.summary().changed_ids == ("mx-1",)
    assert count(store, QueueItemRow) == 1  # updated, never duplicated
    with store.begin() as session:
        page = list_queue(session)
        assert [item.ad_id for item in page.items] == ["mx-1@v2"]
        assert page.items[0].state == "open"  # the dismissed text is gone: open again
        review = load_review(session, "mx-1@v2")
        assert review.ad.text == PASSPORT_AGAIN
        evidence = review.assessment.hits[0].evidence[0]
        assert review.ad.text[evidence.start:evidence.end] == evidence.text
        # the old text keeps its assessment and its decision
        assert [d.decision for d in load_review(session, "mx-1").decisions] == ["dismiss"]
        assert len(load_assessments(session, "mx-1")) == 1
        revise = [e for e in list_audit(session) if e.action == "queue.revise"]
        assert [(e.before, e.after) for e in revise] == [
            ({"ad_id": "mx-1", "state": "dismiss"}, {"ad_id": "mx-1@v2", "state": "open"})]

    scan_batch(store, [make_ad("mx-1", PASSPORT_AGAIN)])  # the same scan again
    assert count(store, QueueItemRow) == 1 and count(store, AdRow) == 3


def test_a_flagged_revision_of_an_unflagged_ad_enters_the_queue(store: Store) -> None:
    """A revision is a near-duplicate of its own earlier text, not a re-post that stays
    out of the queue."""
    first = (f"{CLINIC} Turnos de noche en el hospital central, uniforme incluido, "
             f"alojamiento cerca del trabajo, transporte pagado por la empresa, entregas tu "
             f"pasaprte al llegar y empiezas el lunes. Escribe a reclutamiento@example.org")
    scan_batch(store, [make_ad("co-1", first)])
    scan_batch(store, [make_ad("co-1", first.replace("pasaprte", "pasaporte"))])
    with store.begin() as session:
        link = session.get(AdLinkRow, "co-1@v2")
        assert link.duplicate_of == "co-1"  # linked as a near-duplicate of its first text
        assert [item.ad_id for item in list_queue(session).items] == ["co-1@v2"]


def test_a_decision_on_a_text_revised_meanwhile_is_kept_and_the_revision_stays_open(
        store: Store) -> None:
    scan_batch(store, [make_ad("mx-1", PASSPORT)])
    with store.begin() as session:
        assert claim_next(session, "ana") == "mx-1"
    # While ana reads the first text, the source sends a new one: the item moves to it.
    scan_batch(store, [make_ad("mx-1", PASSPORT_AGAIN)])
    with store.begin() as session:
        revision = decide(session, ReviewDecision(ad_id="mx-1", reviewer="ana",
                                                  decision="confirm", note="leído"))
    assert revision == "mx-1@v2"
    with store.begin() as session:
        # ana's decision is kept on the text she read, and audited ...
        assert [(d.decision, d.note) for d in load_review(session, "mx-1").decisions] == [
            ("confirm", "leído")]
        assert [e.target for e in list_audit(session) if e.action == "review.decide"] == [
            "ad:mx-1"]
        # ... and the new text, which nobody has read, stays open for review.
        [item] = list_queue(session).items
        assert (item.ad_id, item.state) == ("mx-1@v2", "open")
        assert load_review(session, "mx-1@v2").decisions == []
        assert decide(session, ReviewDecision(ad_id="mx-1@v2", reviewer="ana",
                                              decision="dismiss")) is None
        with pytest.raises(QueueError):
            decide(session, ReviewDecision(ad_id="no-such-ad", reviewer="ana",
                                           decision="dismiss"))
