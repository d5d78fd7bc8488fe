"""Publishing accepted phrases as a new rules version: the store's accepted phrases
(annotation.learning.phrases) become `indicators.rules.v<N>` (models.rules.learned), and
the store records the version each went into. `centinela wording publish` calls this."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from annotation.learning.phrases import StoredPhrase, list_phrases, mark_published
from annotation.store import load_ad
from models.rules.learned import (
    LearnedPhrase,
    LearnedVersion,
    load_version,
    publish,
    published_versions,
)


def publish_accepted(session: Session, *, actor: str, home: Path | None = None
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
