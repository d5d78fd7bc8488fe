"""Ad-level score and risk from the strength and combination of indicator hits."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, model_validator

from corpora.records import IndicatorHit, Risk, Strength
from corpora.yamlload import load_yaml

RISK_POLICY_PATH = Path(__file__).with_name("risk_policy.yaml")


class RiskPolicy(BaseModel):
    """Weights per strength and the score thresholds for `high` and `medium`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weights: dict[Strength, float]
    thresholds: dict[Risk, float]

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


def risk_from_score(score: float, hits: list[IndicatorHit], policy: RiskPolicy) -> Risk:
    """The risk level of a score; `high` needs a hit stronger than weak."""
    if score >= policy.thresholds["high"] and any(h.strength != "weak" for h in hits):
        return "high"
    if score >= policy.thresholds["medium"]:
        return "medium"
    return "low"


def score_risk(hits: list[IndicatorHit], policy: RiskPolicy) -> tuple[float, Risk]:
    """(score, risk) of an ad from its hits."""
    score = combine_score(hits, policy)
    return score, risk_from_score(score, hits, policy)
