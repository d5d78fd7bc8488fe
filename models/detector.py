"""What every detector is: hits per ad, then the shared risk and explanation."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from corpora.records import Ad, Assessment, IndicatorHit, ModelRef
from corpora.taxonomy import Taxonomy
from models.explain import explain_hits
from models.risk import PolicyScorer, RiskPolicy, RiskScorer


class Detector(ABC):
    """A registered detector. Subclasses find hits; `assess` turns them into verdicts
    through the one risk seam, `risk_scorer`.

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

    def detect(self, ads: Sequence[Ad]) -> tuple[list[list[IndicatorHit]], np.ndarray | None]:
        """Hits per ad and, for detectors with a learned risk model, one row per ad of what
        it reads (models/risk.py `risk_features`; None here)."""
        return self.detect_hits(ads), None

    def clear_caches(self) -> None:
        """Forget what was kept from earlier calls about the texts seen (none here; the
        semantic ensemble keeps sentence embeddings), so that a benchmark times texts met
        for the first time."""

    @property
    def risk_scorer(self) -> RiskScorer:
        """How hits become (score, risk): the strength-based policy unless a detector
        learned its own (the ensemble)."""
        return PolicyScorer(self.risk_policy)

    def assess(self, ads: Sequence[Ad]) -> list[Assessment]:
        """Assessments in input order."""
        if not ads:
            return []
        hits_per_ad, risk_inputs = self.detect(ads)
        hits_per_ad = [[] if ad.lang == "und" else hits
                       for ad, hits in zip(ads, hits_per_ad, strict=True)]
        verdicts = self.risk_scorer.score(hits_per_ad, risk_inputs)
        return [Assessment(ad_id=ad.id, lang=ad.lang, risk=risk, score=score, hits=hits,
                           explanation=explain_hits(hits, ad.lang, self.taxonomy),
                           model=self.ref)
                for ad, hits, (score, risk) in zip(ads, hits_per_ad, verdicts, strict=True)]
