"""What every detector is: hits per ad, then the shared risk and explanation."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from corpora.records import Ad, Assessment, IndicatorHit, ModelRef
from corpora.taxonomy import Taxonomy
from models.explain import explain_hits
from models.risk import RiskPolicy, score_risk


class Detector(ABC):
    """A registered detector. Subclasses find hits; `assess` turns them into verdicts.

    `und` ads are never scored: they get no hits and risk `low`.
    """

    taxonomy: Taxonomy
    risk_policy: RiskPolicy

    @property
    @abstractmethod
    def ref(self) -> ModelRef:
        """Name, version and sha256 of what makes the predictions."""

    @abstractmethod
    def detect_hits(self, ads: Sequence[Ad]) -> list[list[IndicatorHit]]:
        """Indicator hits per ad, with evidence offsets into each `ad.text`."""

    def assess(self, ads: Sequence[Ad]) -> list[Assessment]:
        """Assessments in input order."""
        hits_per_ad = self.detect_hits(ads)
        assessments = []
        for ad, hits in zip(ads, hits_per_ad, strict=True):
            if ad.lang == "und":
                hits = []
            score, risk = score_risk(hits, self.risk_policy)
            assessments.append(Assessment(
                ad_id=ad.id, lang=ad.lang, risk=risk, score=score, hits=hits,
                explanation=explain_hits(hits, ad.lang, self.taxonomy), model=self.ref,
            ))
        return assessments
