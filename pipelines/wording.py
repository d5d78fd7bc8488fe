"""New wording end to end: finding phrases in recent scans (the rules detector tells which
spans are covered already), and publishing accepted phrases as a new rules version (the
store's accepted phrases become `indicators.rules.v<N>`, models.rules.learned, and the
store records the version each went into). `centinela wording find|publish` call these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from annotation.learning.phrases import (
    StoredPhrase,
    flagged_ads_between,
    list_phrases,
    mark_published,
    save_phrases,
)
from annotation.learning.wording import DEFAULT_MIN_LLR, WordingAd, find_new_wording
from annotation.store import load_ad
from corpora.records import Ad
from models.detector import Detector
from models.rules.learned import (
    LearnedPhrase,
    LearnedVersion,
    load_version,
    publish,
    published_versions,
)


def publish_accepted(session: Session, *, actor: str, home: Path
                     ) -> LearnedVersion:
    """Publish every accepted phrase not yet in a rules version (LearnedRulesError when
    there is none, or one is unfit: then nothing is written or marked). A phrase the
    latest version already holds (its file was written but the store did not record it)
    is recorded against that version, not published twice."""
    waiting = [p for p in list_phrases(session, status="accepted", limit=100_000)
               if p.rule_file is None]
    versions = published_versions(home)
    latest = load_version(versions[-1], home) if versions else None
    held = {p.phrase_id for p in latest.phrases} if latest else set()
    if latest is not None and (recovered := [p.id for p in waiting if p.id in held]):
        mark_published(session, recovered, latest.name, actor=actor)
        waiting = [p for p in waiting if p.id not in held]
        if not waiting:
            return latest
    version = publish([_learned(session, p) for p in waiting], actor=actor, home=home)
    mark_published(session, [p.id for p in waiting], version.name, actor=actor)
    return version


def _learned(session: Session, phrase: StoredPhrase) -> LearnedPhrase:
    ads = [e["ad_id"] for e in phrase.examples]
    return LearnedPhrase(
        phrase_id=phrase.id, lang=phrase.lang, phrase=phrase.surface or phrase.phrase,
        indicator=phrase.indicator or "", accepted_by=phrase.decided_by or "",
        accepted_at=phrase.decided_at.isoformat(timespec="seconds") if phrase.decided_at
        else "", ads=ads, llr=round(phrase.llr, 2),
        examples=[ad for ad_id in ads if (ad := load_ad(session, ad_id)) is not None])


@dataclass(frozen=True)
class WordingRun:
    """One language's run: the window sizes, what was found, what the store kept."""

    lang: str
    target_ads: int
    reference_ads: int
    found: int
    new: int
    refreshed: int


def find_wording(session: Session, rules: Detector, *, now: datetime, days: int = 7,
                 reference_days: int = 28, min_score: float = 0.25, min_ads: int = 3,
                 min_llr: float = DEFAULT_MIN_LLR, langs: Sequence[str] = ("es", "pt")
                 ) -> list[WordingRun]:
    """Per language: the flagged or near-threshold ads assessed in the last `days` (the
    target) against those of the `reference_days` before (the reference); phrases that
    rose and that `rules` does not cover are saved for trainers to decide."""
    from spacy.util import get_lang_class

    target_since = now - timedelta(days=days)
    reference_since = target_since - timedelta(days=reference_days)
    runs = []
    for lang in langs:
        target = flagged_ads_between(session, target_since, now, lang=lang,
                                     min_score=min_score)
        reference = flagged_ads_between(session, reference_since, target_since, lang=lang,
                                        min_score=min_score)
        if not target or not reference:
            runs.append(WordingRun(lang, len(target), len(reference), 0, 0, 0))
            continue
        found = find_new_wording(
            _covered(rules, target), _covered(rules, reference), lang=lang,
            stop_words=get_lang_class(lang).Defaults.stop_words, min_ads=min_ads,
            min_llr=min_llr)
        new, refreshed = save_phrases(session, found)
        runs.append(WordingRun(lang, len(target), len(reference), len(found), new, refreshed))
    return runs


def _covered(rules: Detector, ads: list[Ad]) -> list[WordingAd]:
    hits = rules.detect_hits(ads)
    return [WordingAd(ad.id, ad.text, tuple((e.start, e.end) for hit in found
                                            for e in hit.evidence))
            for ad, found in zip(ads, hits, strict=True)]
