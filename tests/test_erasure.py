"""Erasure on request (annotation/erasure.py, `centinela erase`): after it, the erased text
and phone number are in no table and nowhere in the SQLite file's bytes; ids, scores,
decisions, pseudonyms and the audit stay; one audit row with the reason and counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from annotation.erasure import ErasureError, erase_ad, erase_contact
from annotation.queue import load_review
from annotation.store import compact_store, list_audit, list_review_decisions, open_store
from annotation.store.redaction import FILL
from annotation.store.tables import AdEntityRow, AdLinkRow, AssessmentRow, HitRow
from pipelines.cli import app
from tests.privacy_data import (
    ERASE_TEXT,
    KEY,
    OTHER_TEXT,
    PHONE,
    PHONE_FORMS,
    SENTENCE,
    SHARED_TEXT,
    TITLE,
    URL,
    fill_store,
    table_dump,
)

WRITTEN = (PHONE, "601 555 0142", SENTENCE, "guardamos tu pasaporte", "Lisboa", TITLE, URL)
NEEDLES = (*WRITTEN, *PHONE_FORMS)


def file_bytes(db: Path) -> bytes:
    """The database file and any WAL or journal beside it."""
    return b"".join(path.read_bytes() for path in db.parent.glob(db.name + "*"))


def found(haystack: str | bytes, needles: tuple[str, ...] = NEEDLES) -> list[str]:
    if isinstance(haystack, bytes):
        return [n for n in needles if n.encode("utf-8") in haystack]
    return [n for n in needles if n in haystack]


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    return tmp_path / "store" / "centinela.db"


def test_erasing_a_contact_leaves_no_trace_in_tables_or_file_bytes(
        sqlite_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{sqlite_file}"
    with open_store(url) as store:
        fill_store(store)
        before = table_dump(store)
        with store.begin() as session:
            ids_before = session.scalar(select(func.count()).select_from(AssessmentRow))
            pseudonyms = set(session.scalars(select(AdEntityRow.pseudonym)))
            minhashes = dict(session.execute(select(AdLinkRow.ad_id, AdLinkRow.minhash)).all())
        compact_store(store)
    # The test can fail: the words as written are there before the erasure (normalised
    # forms of the phone never are: contacts are stored as pseudonyms only).
    assert found(before) == list(WRITTEN)
    assert found(file_bytes(sqlite_file)) == list(WRITTEN)

    monkeypatch.setenv("CENTINELA_SECRET", KEY.decode())
    result = CliRunner().invoke(app, ["erase", "--contact", PHONE, "--reason", "request 2026-41",
                                      "--db", url])
    assert result.exit_code == 0, result.output
    assert "Erased 2 ad(s)" in result.output  # co-erase and co-shared hold the phone

    with open_store(url) as store:
        assert found(table_dump(store)) == []
        with store.begin() as session:
            # Kept: ids, scores, indicators, decisions, pseudonyms, MinHash signatures.
            assert session.scalar(select(func.count()).select_from(AssessmentRow)) == ids_before
            assert {row.indicator_id for row in session.scalars(select(HitRow))} == {
                "DOCS_HANDLED", "CONTACT_INFORMAL"}
            assert set(session.scalars(select(AdEntityRow.pseudonym))) == pseudonyms
            assert dict(session.execute(
                select(AdLinkRow.ad_id, AdLinkRow.minhash)).all()) == minhashes
            [decision] = list_review_decisions(session, "co-erase")
            assert (decision.decision, decision.indicators, decision.note) == (
                "escalate", ["DOCS_HANDLED"], "")
            review = load_review(session, "co-erase")
            assert review.ad.text == FILL * len(ERASE_TEXT)
            assert (review.ad.title, review.ad.url) == (None, None)
            assert review.assessment.score == 0.93
            assert [h.evidence[0].start for h in review.assessment.hits] == [
                ERASE_TEXT.index("nosotros"), ERASE_TEXT.index("WhatsApp")]
            # An ad without the phone keeps its text.
            assert load_review(session, "co-other").ad.text == OTHER_TEXT
            [entry] = list_audit(session, action="data.erase")
        assert entry.target.startswith("contact:phone:")
        assert entry.after["reason"] == "request 2026-41"
        assert entry.after["ads_erased"] == 2 and entry.after["decisions"] == 2
        assert all(isinstance(value, int) for key, value in entry.after.items()
                   if key != "reason")
    assert found(file_bytes(sqlite_file)) == []


def test_erasing_an_ad_removes_its_contact_from_other_ads_and_notes(store) -> None:
    fill_store(store)
    with store.begin() as session:
        erased = erase_ad(session, "co-erase", actor="cli:dpo", reason="request 7", key=KEY)
    assert (erased.ads_erased, erased.ads_contacts_removed) == (1, 1)
    dump = table_dump(store)
    assert found(dump) == []
    with store.begin() as session:
        shared = load_review(session, "co-shared")
        phone = SHARED_TEXT.index("601 555 0142")
        # The shared ad keeps its words; only the phone's characters are filled.
        assert shared.ad.text == (SHARED_TEXT[:phone] + FILL * len("601 555 0142")
                                  + SHARED_TEXT[phone + len("601 555 0142"):])
        assert shared.decisions[0].note == "Mismo número que otra oferta: [contact removed]."
        assert shared.assessment.explanation == "Contacto informal: «Informes al [contact removed]»."
        assert load_review(session, "co-other").ad.text == OTHER_TEXT
        [entry] = list_audit(session, action="data.erase")
    assert entry.target == "ad:co-erase" and entry.after["reason"] == "request 7"


def test_erasure_refuses_without_reason_or_for_what_is_not_a_contact(store) -> None:
    fill_store(store)
    with store.begin() as session:
        with pytest.raises(ErasureError, match="reason"):
            erase_ad(session, "co-erase", actor="x", reason="  ", key=KEY)
        with pytest.raises(ErasureError, match="no ad"):
            erase_ad(session, "missing", actor="x", reason="r", key=KEY)
        with pytest.raises(ErasureError, match="not a phone"):
            erase_contact(session, "Juan Pérez", actor="x", reason="r", key=KEY)
        nothing = erase_contact(session, "+57 601 555 0100", actor="x", reason="r", key=KEY)
    assert nothing.ads_erased == 0
    assert ERASE_TEXT in table_dump(store)


def test_cli_erase_needs_exactly_one_target_and_a_reason(sqlite_file: Path) -> None:
    url = f"sqlite:///{sqlite_file}"
    runner = CliRunner()
    assert runner.invoke(app, ["erase", "--ad", "x", "--db", url]).exit_code == 2
    both = runner.invoke(app, ["erase", "--ad", "x", "--contact", PHONE, "--reason", "r",
                               "--db", url])
    assert both.exit_code == 2 and "exactly one" in both.output
    missing = runner.invoke(app, ["erase", "--ad", "x", "--reason", "r", "--db", url])
    assert missing.exit_code == 1 and "no ad with id 'x'" in missing.output
