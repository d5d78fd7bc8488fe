"""Labels people gave in the store, as training rows with their provenance.

Two sources, read as they stand now (both are append-only; the latest entry wins):

- **Trainers' final labels** (annotation.learning.adjudication.final_labels): an
  adjudicated label, or the consensus of two trainers or more.
- **Investigators' review decisions** (annotation.store.reviews): the latest decision on an
  ad, with the indicators, evidence and risk the reviewer left on it (the form starts from
  the model's and the reviewer corrects them). A decision without a stated risk gets the
  one its verdict implies: confirm -> medium, escalate -> high, dismiss -> low. A confirm
  or escalate that states no indicators says nothing about them and is skipped; a dismiss
  without indicators means none.

A trainer's final label outranks a review decision on the same ad (it is the more careful
label); the row's provenance says so. Ads in another language than es or pt, and ads whose
text was erased (on request or by retention), are skipped.

`import_decisions` stores ads and reviewer decisions written elsewhere (a JSON object per
line; see corpora/corrections/README.md), each appended and audited like a decision made
in the web app, so a retrain reads them like any other.

`held_out` says which rows a retrain keeps for its review sample: a fixed share of ads
chosen by a hash of the ad id alone (annotation.learning.selection.slice_key), which
contains the selection policies' evaluation slice, so labelled slice ads are never
trained on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from annotation.learning.adjudication import final_labels
from annotation.learning.selection import EVALUATION_SLICE_SHARE, slice_key
from annotation.store.ads import ad_from_row, save_ads
from annotation.store.redaction import FILL
from annotation.store.reviews import append_review_decision, decision_from_row
from annotation.store.tables import AdRow, ReviewDecisionRow
from corpora.normalize import normalize_text
from corpora.records import SUPPORTED_LANGS, Ad, Evidence, ReviewDecision, Risk
from corpora.taxonomy import load_taxonomy

REVIEW_SAMPLE_SHARE = 0.25
VERDICT_RISK: dict[str, Risk] = {"confirm": "medium", "escalate": "high", "dismiss": "low"}

assert REVIEW_SAMPLE_SHARE >= EVALUATION_SLICE_SHARE  # the sample contains the slice


@dataclass(frozen=True)
class Correction:
    """An ad labelled by people in the store. It quacks like a corpus `LabelledAd` for
    training (`id`, `lang`, `kind`, `risk`, `text`, `indicators`, `to_ad`)."""

    ad: Ad
    indicators: list[str]
    evidence: dict[str, list[Evidence]]
    risk: Risk
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.ad.id

    @property
    def lang(self) -> str:
        return self.ad.lang

    @property
    def text(self) -> str:
        return self.ad.text

    @property
    def kind(self) -> str:
        """The corpus kind this label implies (training stratifies folds by it)."""
        return "legit" if not self.indicators else (
            "hard_negative" if self.risk == "low" else "deceptive")

    def to_ad(self) -> Ad:
        return self.ad


@dataclass(frozen=True)
class CorrectionSet:
    """The store's usable labels and what was left out, by reason."""

    rows: list[Correction]
    skipped: dict[str, int] = field(default_factory=dict)


def held_out(ad_id: str, share: float = REVIEW_SAMPLE_SHARE) -> bool:
    """True when the ad belongs to the review sample a retrain never trains on."""
    return slice_key(ad_id) < share


def split_review_sample(rows: Sequence[Correction], share: float = REVIEW_SAMPLE_SHARE
                        ) -> tuple[list[Correction], list[Correction]]:
    """(rows to train on, rows held out for the review sample)."""
    return ([r for r in rows if not held_out(r.id, share)],
            [r for r in rows if held_out(r.id, share)])


def _latest_decisions(session: Session) -> dict[str, ReviewDecision]:
    query = select(ReviewDecisionRow).order_by(ReviewDecisionRow.created_at,
                                               ReviewDecisionRow.id)
    return {row.ad_id: decision_from_row(row) for row in session.scalars(query)}


def load_corrections(session: Session) -> CorrectionSet:
    """Every ad with a final trainer label or a review decision, one row per ad (by id)."""
    skipped: dict[str, int] = {}
    labels: dict[str, tuple[list[str], dict[str, list[Evidence]], Risk, dict[str, Any]]] = {}
    for ad_id, decision in _latest_decisions(session).items():
        if decision.indicators is None and decision.decision != "dismiss":
            skipped["decision states no indicators"] = \
                skipped.get("decision states no indicators", 0) + 1
            continue
        labels[ad_id] = (list(decision.indicators or []), dict(decision.evidence),
                         decision.risk or VERDICT_RISK[decision.decision],
                         {"source": "review", "decision": decision.decision,
                          "by": decision.reviewer, "at": decision.created_at.isoformat(),
                          "model_sha256": decision.model_sha256})
    for ad_id, final in final_labels(session).items():
        provenance = {"source": final.source, "by": final.decided_by,
                      "batch_id": final.batch_id}
        if ad_id in labels:
            provenance["outranks"] = labels[ad_id][3]
        labels[ad_id] = (list(final.indicators), dict(final.evidence), final.risk, provenance)
    rows = []
    found = {row.id: row for row in
             session.scalars(select(AdRow).where(AdRow.id.in_(list(labels))))}
    for ad_id in sorted(labels):
        if found[ad_id].redacted_at is not None and set(found[ad_id].text) <= {FILL}:
            skipped["ad text erased"] = skipped.get("ad text erased", 0) + 1
            continue
        ad = ad_from_row(found[ad_id])
        if ad.lang not in SUPPORTED_LANGS:
            skipped[f"language {ad.lang}"] = skipped.get(f"language {ad.lang}", 0) + 1
            continue
        indicators, evidence, risk, provenance = labels[ad_id]
        rows.append(Correction(ad, indicators, evidence, risk, provenance))
    return CorrectionSet(rows, skipped)


class CorrectionFileError(ValueError):
    """A line of a decisions file that cannot be stored; the message names the line."""


def _decision(record: Mapping[str, Any], where: str) -> tuple[Ad, ReviewDecision]:
    try:
        raw = dict(record["ad"])
        ad = Ad(**{**raw, "text": normalize_text(raw["text"]).text})
        indicators = record.get("indicators")
        load_taxonomy().check_ids([*(indicators or []), *record.get("evidence", {})], where)
        evidence = {}
        for indicator, quotes in record.get("evidence", {}).items():
            spans = []
            for quote in quotes:
                start = ad.text.find(quote)
                if start < 0:
                    raise CorrectionFileError(f"{where}: evidence for {indicator} is not in "
                                              "the ad's text")
                spans.append(Evidence.from_text(ad.text, start, start + len(quote)))
            evidence[indicator] = spans
        return ad, ReviewDecision(
            ad_id=ad.id, reviewer=record["reviewer"], decision=record["decision"],
            indicators=indicators, evidence=evidence, risk=record.get("risk"),
            note=record.get("note", ""))
    except CorrectionFileError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise CorrectionFileError(f"{where}: {exc}") from None


def import_decisions(session: Session, records: Iterable[tuple[str, Mapping[str, Any]]]
                     ) -> tuple[int, int]:
    """Store `(where, record)` pairs: the ad (text normalised, as scans store it) and the
    reviewer's decision, evidence given as quotes of the ad's text. A decision equal to the
    ad's latest is not appended again. Returns (appended, unchanged); raises
    CorrectionFileError, naming the line, before storing anything."""
    parsed = [_decision(record, where) for where, record in records]
    save_ads(session, [ad for ad, _ in parsed])
    latest = _latest_decisions(session)
    appended = 0
    for _, decision in parsed:
        before = latest.get(decision.ad_id)
        fields = {"created_at"}
        if before is not None and before.model_dump(exclude=fields) == \
                decision.model_dump(exclude=fields):
            continue
        append_review_decision(session, decision)
        latest[decision.ad_id] = decision
        appended += 1
    return appended, len(parsed) - appended
