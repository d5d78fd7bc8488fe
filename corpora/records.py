"""The record schema: every type that is stored or crosses a package boundary.

SQL tables, `datasets.Features`, JSON output and the web API derive from or are tested
against these models. Evidence offsets always point into the exact `Ad.text` they were
computed on (end-exclusive Python string indices).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Lang = Literal["es", "pt", "und"]
Risk = Literal["low", "medium", "high"]
Strength = Literal["weak", "medium", "strong"]
Kind = Literal["legit", "hard_negative", "deceptive"]
Decision = Literal["confirm", "dismiss", "escalate"]
AnnotationStatus = Literal["labelled", "unclear", "skipped"]
EntityKind = Literal["phone", "email", "url", "handle", "money"]

RISK_LEVELS: tuple[Risk, ...] = ("low", "medium", "high")
DECISIONS: tuple[Decision, ...] = ("confirm", "dismiss", "escalate")
SUPPORTED_LANGS: tuple[str, ...] = ("es", "pt")


def utc_now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(timezone.utc)


def hash_text(text: str) -> str:
    """sha256 hex digest of a text: the content hash of an ad."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stable_ad_id(text: str) -> str:
    """The id an ad gets when its source gives none: stable across runs and machines."""
    return "ad-" + hash_text(text)[:16]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Evidence(Record):
    """A character span of an ad's text; `text == ad.text[start:end]`."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str

    @model_validator(mode="after")
    def _check_order(self) -> Evidence:
        if self.end < self.start:
            raise ValueError(f"evidence end {self.end} is before start {self.start}")
        if len(self.text) != self.end - self.start:
            raise ValueError("evidence text length does not match its offsets")
        return self

    @classmethod
    def from_text(cls, text: str, start: int, end: int) -> Evidence:
        return cls(start=start, end=end, text=text[start:end])


class Entity(Record):
    """A contact or amount found in an ad. `pseudonym` is an HMAC used for linking ads."""

    kind: EntityKind
    value: str
    normalised: str
    pseudonym: str | None = None
    span: Evidence


class Ad(Record):
    """One ad as stored: `text` is already normalised (see corpora.normalize)."""

    id: str = Field(min_length=1)
    source: str = "unknown"
    url: str | None = None
    lang: Lang = "und"
    country: str | None = None
    title: str | None = None
    text: str
    published_at: datetime | None = None
    fetched_at: datetime | None = None
    content_hash: str = ""
    raw_ref: str | None = None

    @model_validator(mode="after")
    def _fill_hash(self) -> Ad:
        if not self.content_hash:
            object.__setattr__(self, "content_hash", hash_text(self.text))
        return self


class IndicatorHit(Record):
    """One indicator found in one ad by one detector."""

    id: str
    score: float = Field(ge=0.0, le=1.0)
    strength: Strength
    evidence: list[Evidence] = Field(default_factory=list)
    detector: str


class ModelRef(Record):
    """Which detector made a prediction: registered name, version and artifact sha256."""

    name: str
    version: str
    sha256: str


class Assessment(Record):
    """A detector's verdict on one ad."""

    ad_id: str
    lang: Lang
    risk: Risk
    score: float = Field(ge=0.0, le=1.0)
    hits: list[IndicatorHit] = Field(default_factory=list)
    explanation: str = ""
    model: ModelRef
    created_at: datetime = Field(default_factory=utc_now)


class ReviewDecision(Record):
    """An investigator's decision on a flagged ad. Decisions are appended, never edited.

    `indicators` is the reviewer's corrected set (None: not stated), `evidence` their
    corrected spans per indicator, `risk` their risk (None: not stated), and
    `model_sha256` the model whose assessment they reviewed.
    """

    ad_id: str
    reviewer: str
    decision: Decision
    indicators: list[str] | None = None
    evidence: dict[str, list[Evidence]] = Field(default_factory=dict)
    risk: Risk | None = None
    note: str = ""
    model_sha256: str | None = None
    created_at: datetime = Field(default_factory=utc_now)


class Annotation(Record):
    """A trainer's answer on one ad, appended, never edited.

    `labelled`: the indicators, their evidence spans and the ad's risk. `unclear`: the
    trainer could not decide (the note says why). `skipped`: passed over for now; the ad
    comes back later. Only `labelled` answers carry labels. `batch_id` is the batch the ad
    was handed out in, `model_sha256` the model whose spans were shown pre-filled.
    """

    ad_id: str
    annotator: str
    indicators: list[str] = Field(default_factory=list)
    evidence: dict[str, list[Evidence]] = Field(default_factory=dict)
    risk: Risk | None = None
    status: AnnotationStatus = "labelled"
    note: str = ""
    batch_id: int | None = None
    model_sha256: str | None = None
    created_at: datetime = Field(default_factory=utc_now)

    @model_validator(mode="after")
    def _check_status(self) -> Annotation:
        if self.status == "labelled" and self.risk is None:
            raise ValueError("a labelled answer needs a risk")
        if self.status != "labelled" and (self.indicators or self.evidence or self.risk):
            raise ValueError(f"an answer marked {self.status} carries no labels")
        missing = set(self.evidence) - set(self.indicators)
        if missing:
            raise ValueError(f"evidence for indicators not marked: {sorted(missing)}")
        return self


class Adjudication(Record):
    """The final labels of an ad that trainers disagreed on, and who decided. Appended: the
    latest adjudication of an ad is its final label."""

    ad_id: str
    adjudicator: str
    indicators: list[str] = Field(default_factory=list)
    evidence: dict[str, list[Evidence]] = Field(default_factory=dict)
    risk: Risk
    note: str = ""
    batch_id: int | None = None
    created_at: datetime = Field(default_factory=utc_now)


class AnnotatedAd(Record):
    """An ad with its labels, as import and export formats carry it (Label Studio,
    doccano, spaCy DocBin, Hugging Face datasets): every trainer's annotation of it and,
    optionally, a model's assessment as a pre-annotation."""

    ad: Ad
    annotations: list[Annotation] = Field(default_factory=list)
    prediction: Assessment | None = None

    @model_validator(mode="after")
    def _check_labels(self) -> AnnotatedAd:
        hits = self.prediction.hits if self.prediction else []
        labelled = [(a.ad_id, a.evidence.values()) for a in self.annotations]
        if self.prediction is not None:
            labelled.append((self.prediction.ad_id, [hit.evidence for hit in hits]))
        for ad_id, groups in labelled:
            if ad_id != self.ad.id:
                raise ValueError(f"labels of ad {ad_id!r} attached to ad {self.ad.id!r}")
            for span in (span for group in groups for span in group):
                if self.ad.text[span.start:span.end] != span.text:
                    raise ValueError(f"ad {self.ad.id!r}: evidence {span.start}-{span.end} "
                                     f"does not match the ad text there")
        return self


class LabelledAd(Record):
    """One ad of the seed corpus, with gold indicators, evidence spans and risk."""

    id: str = Field(min_length=1)
    lang: Literal["es", "pt"]
    country: str = Field(min_length=2, max_length=2)
    source: Literal[
        "classified", "job_board", "social_post", "messaging_group", "migration_service", "agency"
    ]
    kind: Kind
    risk: Risk
    text: str
    indicators: list[str] = Field(default_factory=list)
    evidence: dict[str, list[Evidence]] = Field(default_factory=dict)

    def to_ad(self) -> Ad:
        return Ad(id=self.id, source=self.source, lang=self.lang, country=self.country,
                  text=self.text)
