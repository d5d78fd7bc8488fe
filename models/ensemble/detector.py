"""`indicators.ensemble.v1` and `.v2`: the ensemble detectors, loaded from registered
artifacts (loading never trains: `centinela train` does)."""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from corpora.normalize import normalize_text
from corpora.records import Ad, Assessment, Evidence, IndicatorHit, ModelRef
from corpora.taxonomy import Taxonomy, load_taxonomy
from models.artifacts import (
    Artifact,
    ArtifactError,
    cache_root,
    load_skops,
    models_root,
)
from models.artifact_registry import find_artifact
from models.detector import Detector
from models.ensemble.combine import combine_probabilities, risk_level, risk_score, rule_matrix
from models.explain import explain_hits
from models.risk import escalates, load_risk_policy
from models.rules.detector import RulesDetector
from models.tfidf.detector import NAME as TFIDF_NAME
from models.tfidf.detector import VERSION as TFIDF_VERSION
from models.tfidf.detector import tfidf_evidence

logger = logging.getLogger(__name__)

NAME = "indicators.ensemble"
VERSION = "1"
MODEL_FILE = "ensemble.skops"
# indicators.ensemble.v2 (with the semantic model) is registered under its own name, so
# that the latest v1 stays what `indicators.ensemble.v1` loads.
SEMANTIC_NAME = "indicators.ensemble.v2"
SEMANTIC_VERSION = "2"
SEMANTIC_FILE = "ensemble.skops"


# The score factor of a model-only hit with no phrase as evidence (shown "model only, no
# phrase"): kept, since dropping it costs recall, but ranked below hits a reviewer can check.
MODEL_ONLY_FACTOR = 0.5


class EnsembleDetector(Detector):
    """Rules and TF-IDF per indicator (noisy-or weighted by rule precision), thresholds
    from the dev split, and a risk score learned from indicator probabilities."""

    version = VERSION

    def __init__(self, model, artifact_sha256: str, rules: RulesDetector, taxonomy: Taxonomy):
        self.model = model
        self.rules = rules
        self.taxonomy = taxonomy
        self.risk_policy = load_risk_policy()
        if rules.ref.sha256 != model.rules_sha256:
            logger.warning("the rule patterns changed since this ensemble was trained; "
                           "run `centinela train` to refit it")
        combined = hashlib.sha256(f"{artifact_sha256}:{rules.ref.sha256}".encode()).hexdigest()
        self._ref = ModelRef(name=NAME, version=self.version, sha256=combined)
        self.detector_name = f"{NAME}.v{self.version}"

    @property
    def ref(self) -> ModelRef:
        return self._ref

    def _probabilities(self, ads: Sequence[Ad]) -> tuple[np.ndarray, list[list[IndicatorHit]]]:
        E, rule_hits, _ = self._scores(ads)
        return E, rule_hits

    def _scores(self, ads: Sequence[Ad]
                ) -> tuple[np.ndarray, list[list[IndicatorHit]], list[dict[int, Evidence]]]:
        """Combined probabilities, rule hits, and per ad the evidence a later stage found
        per label (none in v1)."""
        rule_hits = self.rules.detect_hits(ads)
        texts = [normalize_text(ad.text).text for ad in ads]
        P = self.model.tfidf.predict_proba(texts, [ad.lang for ad in ads])
        E = combine_probabilities(rule_matrix(rule_hits, self.model.labels), P,
                                  self.model.rule_weights)
        E[[ad.lang == "und" for ad in ads]] = 0.0
        return E, rule_hits, [{} for _ in ads]

    def indicator_probabilities(self, ads: Sequence[Ad]) -> np.ndarray:
        """(n_ads, n_indicators) combined probabilities in taxonomy order (for calibration
        plots); `und` ads get zeros."""
        return self._probabilities(ads)[0]

    def _predict(self, ads: Sequence[Ad]) -> tuple[np.ndarray, list[list[IndicatorHit]]]:
        labels = self.model.labels
        E, rule_hits, found_evidence = self._scores(ads)
        hits_per_ad = []
        for i, ad in enumerate(ads):
            if ad.lang == "und":
                hits_per_ad.append([])
                continue
            by_rule = {hit.id: hit for hit in rule_hits[i]}
            found = np.where(E[i] >= self.model.thresholds)[0]
            from_model = tfidf_evidence(self.model.tfidf, ad, [
                k for k in found if labels[k] not in by_rule and k not in found_evidence[i]])
            hits = []
            for k in found:
                label = labels[k]
                evidence = (by_rule[label].evidence if label in by_rule
                            else [found_evidence[i][k]] if k in found_evidence[i]
                            else from_model[k])
                # Without a rule's or a sentence's evidence the hit is the TF-IDF model's
                # alone; without any phrase it is shown "model only, no phrase" at half
                # its score.
                by_tfidf = label not in by_rule and k not in found_evidence[i]
                score = float(E[i, k]) * (1.0 if evidence else MODEL_ONLY_FACTOR)
                hits.append(IndicatorHit(
                    id=label, score=round(score, 4),
                    strength=self.taxonomy.get(label).strength, evidence=evidence,
                    detector=f"{TFIDF_NAME}.v{TFIDF_VERSION}" if by_tfidf else self.detector_name,
                ))
            hits_per_ad.append(hits)
        return E, hits_per_ad

    def detect_hits(self, ads: Sequence[Ad]) -> list[list[IndicatorHit]]:
        return self._predict(ads)[1]

    def assess(self, ads: Sequence[Ad]) -> list[Assessment]:
        if not ads:
            return []
        E, hits_per_ad = self._predict(ads)
        model = self.model
        scores = risk_score(model.risk_model.predict_proba(E), model.risk_model.classes_)
        out = []
        for ad, hits, score in zip(ads, hits_per_ad, scores, strict=True):
            score = 0.0 if not hits else round(float(np.clip(score, 0.0, 1.0)), 4)
            if escalates(hits, self.risk_policy):  # a combination the policy rates high
                score = max(score, math.ceil(float(model.risk_high) * 1e4) / 1e4)
            out.append(Assessment(
                ad_id=ad.id, lang=ad.lang, score=score, hits=hits,
                risk=risk_level(score, hits, model.risk_high, model.risk_medium),
                explanation=explain_hits(hits, ad.lang, self.taxonomy), model=self.ref,
            ))
        return out


def load_ensemble_model(artifact: Artifact):
    """The trained ensemble of a registered `indicators.ensemble` artifact."""
    return load_skops(artifact.file(MODEL_FILE))


def build_ensemble_detector(home: Path | None = None, artifact: Path | None = None
                            ) -> EnsembleDetector:
    """Factory for `indicators.ensemble.v1`: the default registered ensemble (the model
    registry's, else the latest). Loading never trains: with none registered it raises
    `NoTrainedModelError`, which says to run `centinela train`."""
    found = find_artifact(NAME, models_root(home), artifact)
    model = load_ensemble_model(found)
    rules = RulesDetector(load_taxonomy(), load_risk_policy(),
                          version=getattr(model, "rules_version", "1"), cache_dir=cache_root(home))
    return EnsembleDetector(model, found.meta.sha256, rules, load_taxonomy())


def build_semantic_ensemble_detector(home: Path | None = None, artifact: Path | None = None
                                     ) -> SemanticEnsembleDetector:
    """Factory for `indicators.ensemble.v2` (`centinela train --semantic` first; loading
    never trains)."""
    found = find_artifact(SEMANTIC_NAME, models_root(home), artifact)
    model = load_skops(found.file(SEMANTIC_FILE))
    rules = RulesDetector(load_taxonomy(), load_risk_policy(),
                          version=getattr(model, "rules_version", "1"), cache_dir=cache_root(home))
    return SemanticEnsembleDetector(model, found.meta.sha256, rules, load_taxonomy())


class SemanticEnsembleDetector(EnsembleDetector):
    """`indicators.ensemble.v2`: v1's probabilities, and for the ads that pass the gate
    the semantic model's, stacked per indicator (models/ensemble/semantic.py). A hit that
    no rule found quotes the semantic model's sentence when it found the indicator there,
    else the TF-IDF n-grams."""

    version = SEMANTIC_VERSION

    def __init__(self, model, artifact_sha256: str, rules: RulesDetector, taxonomy: Taxonomy,
                 encoder=None):
        from models.semantic.encoder import Encoder

        super().__init__(model, artifact_sha256, rules, taxonomy)
        self.encoder = encoder or Encoder()
        if self.encoder.id != model.semantic.encoder_id:
            raise ArtifactError(
                f"this ensemble was trained on {model.semantic.encoder_id} embeddings, but "
                f"{self.encoder.id} is installed: run `centinela train --semantic` again")

    def _scores(self, ads: Sequence[Ad]
                ) -> tuple[np.ndarray, list[list[IndicatorHit]], list[dict[int, Evidence]]]:
        from models.semantic.model import score_sentences

        E, rule_hits, evidence = super()._scores(ads)
        model = self.model
        S = np.zeros_like(E)
        gated = [i for i in np.where(model.passes_gate(E))[0] if ads[i].lang != "und"]
        semantic = model.semantic
        for i, scored in zip(gated, score_sentences(semantic, self.encoder,
                                                    [ads[i].text for i in gated])):
            S[i], where = scored.best()
            for k in np.where(S[i] >= semantic.thresholds)[0]:
                evidence[i][k] = Evidence.from_text(ads[i].text,
                                                    *scored.evidence_span(int(where[k])))
        F = model.combine(E, S)
        F[[ad.lang == "und" for ad in ads]] = 0.0
        return F, rule_hits, evidence
