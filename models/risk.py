"""Ad-level score and risk from the strength and combination of indicator hits.

Besides the weighted score, two patterns make an ad `high` whatever its score (escalation),
as an investigator would rate it: a *combination* the policy lists (paid travel to a
destination with appearance, hostess or lodging terms: each part alone is medium at most),
and a *strong indicator in a suspicious context* (a strong hit with at least
`strong_with` other hits stronger than weak). A weak hit alone never makes `high`, nor do
weak hits together: every escalation needs a hit stronger than weak.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from pydantic import BaseModel, ConfigDict, model_validator

from corpora.records import IndicatorHit, Risk, Strength
from corpora.yamlload import load_yaml

RISK_POLICY_PATH = Path(__file__).with_name("risk_policy.yaml")


class RiskPolicy(BaseModel):
    """Weights per strength and the score thresholds for `high` and `medium`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weights: dict[Strength, float]
    thresholds: dict[Risk, float]
    # Each combination is a list of groups of indicator ids: one hit from every group
    # makes the ad `high`.
    combinations: list[list[list[str]]] = []
    # A strong hit with at least this many other non-weak hits makes `high` (None: never).
    strong_with: int | None = None

    @model_validator(mode="after")
    def _check(self) -> RiskPolicy:
        if set(self.weights) != {"weak", "medium", "strong"}:
            raise ValueError("weights need exactly weak, medium and strong")
        if not all(0.0 <= w <= 1.0 for w in self.weights.values()):
            raise ValueError("weights must be in [0, 1]")
        if set(self.thresholds) != {"high", "medium"}:
            raise ValueError("thresholds need exactly high and medium")
        if not 0.0 < self.thresholds["medium"] <= self.thresholds["high"] <= 1.0:
            raise ValueError("thresholds must satisfy 0 < medium <= high <= 1")
        if any(len(c) < 2 or not all(c) for c in self.combinations):
            raise ValueError("a combination needs two or more non-empty groups of ids")
        if self.strong_with is not None and self.strong_with < 0:
            raise ValueError("strong_with must be 0 or more")
        return self


@cache
def load_risk_policy(path: Path = RISK_POLICY_PATH) -> RiskPolicy:
    """The default risk policy (a data file next to this module)."""
    return RiskPolicy.model_validate(load_yaml(Path(path).read_text(encoding="utf-8")))


def combine_score(hits: list[IndicatorHit], policy: RiskPolicy) -> float:
    """Noisy-or of the hits, each weighted by its strength: in [0, 1], higher = sooner."""
    keep = 1.0
    for hit in hits:
        keep *= 1.0 - policy.weights[hit.strength] * hit.score
    return round(1.0 - keep, 4)


def escalates(hits: list[IndicatorHit], policy: RiskPolicy) -> bool:
    """Whether the hits form a listed combination or a strong hit in a suspicious
    context; never with weak hits only."""
    if not any(h.strength != "weak" for h in hits):
        return False
    found = {h.id for h in hits}
    if any(all(found & set(group) for group in combination)
           for combination in policy.combinations):
        return True
    if policy.strong_with is None:
        return False
    strong = [h for h in hits if h.strength == "strong"]
    others = [h for h in hits if h.strength != "weak"]
    return bool(strong) and len(others) - 1 >= policy.strong_with


def risk_level(score: float, hits: Sequence[IndicatorHit], high: float, medium: float) -> Risk:
    """The risk level of an ad's score: no hit is always low, and `high` needs a hit
    stronger than weak (one or more weak hits alone are at most medium)."""
    if not hits:
        return "low"
    if score >= high and any(h.strength != "weak" for h in hits):
        return "high"
    if score >= medium:
        return "medium"
    return "low"


def score_risk(hits: list[IndicatorHit], policy: RiskPolicy) -> tuple[float, Risk]:
    """(score, risk) of an ad from its hits; an escalated ad is `high` with a score of at
    least the `high` threshold, so rankings agree with risk."""
    score = combine_score(hits, policy)
    if escalates(hits, policy):
        return max(score, policy.thresholds["high"]), "high"
    return score, risk_level(score, hits, policy.thresholds["high"], policy.thresholds["medium"])


# What a learned risk model reads (`risk_features`): the indicator probabilities alone
# (ensembles trained before 2026-12-05), or with the guideline's story features and the
# probability that the ad is deceptive at all.
PROBABILITIES = "probabilities"
STORY_AND_DECEPTIVE = "probabilities+story+deceptive"
RISK_INPUTS = (PROBABILITIES, STORY_AND_DECEPTIVE)
# The TF-IDF model's extra column (beside the indicators) that the ensemble trains on the
# corpus kind: 1 for a deceptive ad, 0 for a legit or hard-negative one.
DECEPTIVE_COLUMN = "kind=deceptive"


def risk_features(E: np.ndarray, strengths: Sequence[Strength], inputs: str,
                  deceptive: np.ndarray | None = None) -> np.ndarray:
    """The inputs of a learned risk model for `inputs` (one of RISK_INPUTS), from the
    (n_ads, n_indicators) probabilities `E` (indicators of `strengths`, in order).

    With the story, four columns follow `E`: the risk guideline's two ways to `high`, soft
    (a linear model over `E` alone can only add indicators up, which ranks a short ad
    with a strong indicator and one other below long ordinary ones): the top strong
    probability times the top probability of any other indicator ("a strong indicator
    together with another"), the second and third highest medium-or-strong probabilities
    and the product of the top three ("three that tell one story"). Then `deceptive`: the
    probability that the text is an offer rather than an ordinary ad, which tells a lawful
    seasonal programme with paid tickets and housing from a lure with the same two."""
    if inputs == PROBABILITIES:
        return E
    if inputs != STORY_AND_DECEPTIVE:
        raise ValueError(f"unknown risk inputs {inputs!r}; expected one of {RISK_INPUTS}")
    if deceptive is None:
        raise ValueError(f"risk inputs {inputs!r} need the deceptive probability")
    strong = np.array([s == "strong" for s in strengths])
    not_weak = np.array([s != "weak" for s in strengths])
    rows = np.arange(len(E))
    top_strong = np.flatnonzero(strong)[E[:, strong].argmax(axis=1)]
    others = E.copy()
    others[rows, top_strong] = 0.0
    ranked = -np.sort(-E[:, not_weak], axis=1)
    return np.column_stack([E, E[rows, top_strong] * others.max(axis=1), ranked[:, 1],
                            ranked[:, 2], ranked[:, :3].prod(axis=1), deceptive])


def risk_input_width(n_indicators: int, inputs: str) -> int:
    """How many columns `risk_features` gives for `n_indicators` (ValueError if `inputs`
    is unknown)."""
    return risk_features(np.zeros((1, n_indicators)), ["strong"] * n_indicators, inputs,
                         np.zeros(1)).shape[1]


def risk_score(risk_proba: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    """Expected severity in [0, 1] of risk-class probabilities: P(high) + 0.5 P(medium)."""
    columns = list(classes)
    return risk_proba[:, columns.index("high")] + 0.5 * risk_proba[:, columns.index("medium")]


class RiskScorer(Protocol):
    """The one seam from hits (and what a learned risk model reads, `risk_features`, for
    detectors that have one)
    to each ad's (score, risk): `Detector.assess` calls it for every detector."""

    def score(self, hits_per_ad: Sequence[list[IndicatorHit]],
              inputs: np.ndarray | None) -> list[tuple[float, Risk]]: ...


@dataclass(frozen=True)
class PolicyScorer:
    """Risk from the hits' strengths and combinations (`score_risk`): the default."""

    policy: RiskPolicy

    def score(self, hits_per_ad: Sequence[list[IndicatorHit]],
              inputs: np.ndarray | None = None) -> list[tuple[float, Risk]]:
        return [score_risk(hits, self.policy) for hits in hits_per_ad]


@dataclass(frozen=True)
class LearnedScorer:
    """Risk from a model over indicator probabilities (a trained ensemble's, through
    `risk_features`: expected severity P(high) + 0.5 P(medium)) with its dev thresholds. An ad without hits scores
    0; a combination the policy escalates is high with at least the high threshold."""

    model: Any  # predict_proba(inputs) and classes_, as a logistic regression
    high: float
    medium: float
    policy: RiskPolicy

    def score(self, hits_per_ad: Sequence[list[IndicatorHit]],
              inputs: np.ndarray | None) -> list[tuple[float, Risk]]:
        if not hits_per_ad:
            return []
        if inputs is None:
            raise ValueError("a learned risk scorer needs its inputs (`risk_features`)")
        severity = risk_score(self.model.predict_proba(inputs), self.model.classes_)
        out = []
        for hits, value in zip(hits_per_ad, severity, strict=True):
            score = 0.0 if not hits else round(float(np.clip(value, 0.0, 1.0)), 4)
            if escalates(hits, self.policy):
                score = max(score, math.ceil(float(self.high) * 1e4) / 1e4)
            out.append((score, risk_level(score, hits, self.high, self.medium)))
        return out
