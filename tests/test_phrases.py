"""New phrases in the store: saved once per language, refreshed while open, decided and
published with audit rows."""

from __future__ import annotations

import pytest

from annotation.learning.phrases import (
    decide_phrase,
    list_phrases,
    load_phrase,
    mark_published,
    save_phrases,
)
from annotation.learning.wording import NewPhrase, Occurrence
from annotation.store import list_audit


def found(phrase: str, llr: float, lang: str = "es", ads: int = 20) -> NewPhrase:
    return NewPhrase(lang=lang, phrase=phrase, tested=phrase.split()[0], target_ads=ads,
                     reference_ads=0, target_share=ads / 200, reference_share=0.0, llr=llr,
                     covered_share=0.0,
                     examples=tuple(Occurrence(f"ad-{i}", 10, 10 + len(phrase), phrase)
                                    for i in range(3)))


def test_phrases_are_kept_once_refreshed_while_open_and_decisions_stick(store):
    with store.begin() as session:
        assert save_phrases(session, [found("paseos de sobremesa", 40.0),
                                      found("paseos de sobremesa", 30.0, lang="pt"),
                                      found("trato directo", 16.0)]) == (3, 0)
    with store.begin() as session:
        first, second, third = list_phrases(session)
        assert [p.phrase for p in (first, second, third)] == [
            "paseos de sobremesa", "paseos de sobremesa", "trato directo"]
        assert first.examples[0] == {"ad_id": "ad-0", "start": 10, "end": 29}
        with pytest.raises(ValueError, match="needs the indicator"):
            decide_phrase(session, first.id, "accepted", actor="ana")
        decide_phrase(session, first.id, "accepted", actor="ana", indicator="HOSTESS_MODELING")
        decide_phrase(session, third.id, "dismissed", actor="bruno")
    with store.begin() as session:
        assert save_phrases(session, [found("paseos de sobremesa", 80.0, ads=40),
                                      found("trato directo", 90.0),
                                      found("paseos de sobremesa", 35.0, lang="pt")]) == (0, 1)
        accepted = load_phrase(session, first.id)
        assert (accepted.status, accepted.llr, accepted.indicator) == (
            "accepted", 40.0, "HOSTESS_MODELING")
        assert load_phrase(session, second.id).llr == 35.0
        assert [p.lang for p in list_phrases(session)] == ["pt"]
        assert [p.status for p in list_phrases(session, status=None, lang="es")] == [
            "accepted", "dismissed"]
        with pytest.raises(ValueError, match="is dismissed"):
            mark_published(session, [third.id], "rules/indicators.rules.v2", actor="cli:lead")
        mark_published(session, [first.id], "rules/indicators.rules.v2", actor="cli:lead")
        with pytest.raises(ValueError, match="already in rules/indicators.rules.v2"):
            decide_phrase(session, first.id, "dismissed", actor="ana")
    with store.begin() as session:
        audit = list_audit(session, target=f"phrase:{first.id}")
        assert [e.action for e in audit] == ["wording.publish", "wording.accept"]
        assert audit[1].before["status"] == "open" and audit[1].after["indicator"] == \
            "HOSTESS_MODELING"
        assert audit[0].after["rule_file"] == "rules/indicators.rules.v2"
        assert audit[0].after["ads"] == ["ad-0", "ad-1", "ad-2"]
        assert list_audit(session, target=f"phrase:{third.id}")[0].actor == "bruno"
