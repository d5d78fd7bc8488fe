"""`indicators.ensemble.v1` and `.v2`: the ensemble detectors, loaded from registered
artifacts (loading never trains: `centinela train` does)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from corpora.normalize import NormalizedText, normalize_text
from corpora.records import Ad, Evidence, IndicatorHit, ModelRef
from corpora.taxonomy import Taxonomy, load_taxonomy
from models.artifacts import ArtifactError, cache_root, models_root
from models.artifact_registry import ModelRegistry, find_artifact
from models.detector import Detector
from models.ensemble.combine import combine_probabilities, rule_features, rules_found
from models.ensemble.weights import load_ensemble_weights
from models.risk import (
    DECEPTIVE_COLUMN,
    PROBABILITIES,
    LearnedScorer,
    load_risk_policy,
    risk_features,
)
from models.rules.detector import RulesDetector
from models.tfidf.detector import NAME as TFIDF_NAME
from models.tfidf.detector import VERSION as TFIDF_VERSION
from models.tfidf.detector import tfidf_evidence
from models.tfidf.linear import Row

logger = logging.getLogger(__name__)

NAME = "indicators.ensemble"
VERSION = "1"
# indicators.ensemble.v2 (with the semantic model; the default detector) is registered
# under its own name, with the version of the v1 it is built on, so that promoting or
# rolling back v1 carries it.
SEMANTIC_NAME = "indicators.ensemble.v2"
SEMANTIC_VERSION = "2"


# The score factor of a model-only hit with no phrase as evidence (shown "model only, no
# phrase"): kept, since dropping it costs recall, but ranked below hits a reviewer can check.
MODEL_ONLY_FACTOR = 0.5


class Scores(NamedTuple):
    E: np.ndarray  # (n_ads, n_labels) combined probabilities
    rule_hits: list[list[IndicatorHit]]
    evidence: list[dict[int, Evidence]]  # per ad and label, a later stage's evidence
    rows: list[Row | None]  # per ad, its TF-IDF features
    deceptive: np.ndarray | None  # per ad, the TF-IDF DECEPTIVE_COLUMN, if trained


class EnsembleDetector(Detector):
    """Rules, the vocabulary of real offers and TF-IDF per indicator (a logistic
    regression over them), thresholds from the dev split, and a risk score learned from
    indicator probabilities."""

    version = VERSION

    def __init__(self, model, artifact_sha256: str, rules: RulesDetector, taxonomy: Taxonomy):
        if not hasattr(model, "rules_coef"):  # a noisy-or of rules and TF-IDF: before 12-04
            raise ArtifactError("this ensemble was trained by an earlier version of Centinela "
                                "(no combiner of rules and TF-IDF); retrain it with "
                                "`centinela train`")
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

    def _scores(self, ads: Sequence[Ad], norms: Sequence[NormalizedText]) -> Scores:
        """Combined probabilities, rule hits, per ad the evidence a later stage found per
        label (none in v1), and the TF-IDF features (for evidence)."""
        rule_hits, vocabulary_only = self.rules.detect_hits_by_file(ads, norms)
        texts, langs = [norm.text for norm in norms], [ad.lang for ad in ads]
        rows = self.model.tfidf.rows(texts, langs)
        P = self.model.tfidf.predict_proba(texts, langs, rows)
        n = len(self.model.labels)
        deceptive = P[:, n] if DECEPTIVE_COLUMN in self.model.tfidf.labels else None
        E = combine_probabilities(P[:, :n], rule_features(rule_hits, vocabulary_only,
                                                          self.model.labels),
                                  self.model.rules_coef, self.model.rules_intercept)
        E[[ad.lang == "und" for ad in ads]] = 0.0
        return Scores(E, rule_hits, [{} for _ in ads], rows, deceptive)

    def indicator_probabilities(self, ads: Sequence[Ad]) -> np.ndarray:
        """(n_ads, n_indicators) combined probabilities in taxonomy order (for calibration
        plots); `und` ads get zeros."""
        return self._scores(ads, [normalize_text(ad.text) for ad in ads]).E

    def _predict(self, ads: Sequence[Ad]) -> tuple[np.ndarray, list[list[IndicatorHit]]]:
        """What the risk model reads (`risk_features`), and the hits per ad."""
        labels = self.model.labels
        norms = [normalize_text(ad.text) for ad in ads]  # once per ad, for every part
        E, rule_hits, found_evidence, rows, deceptive = self._scores(ads, norms)
        hits_per_ad = []
        for i, ad in enumerate(ads):
            if ad.lang == "und":
                hits_per_ad.append([])
                continue
            by_rule = {hit.id: hit for hit in rule_hits[i]}
            found = np.where(E[i] >= self.model.thresholds)[0]
            from_model = tfidf_evidence(self.model.tfidf, ad, norms[i], [
                k for k in found if labels[k] not in by_rule and k not in found_evidence[i]],
                rows[i])
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
        inputs = getattr(self.model, "risk_inputs", PROBABILITIES)
        if inputs == PROBABILITIES:  # an ensemble trained before 2026-12-05
            return E, hits_per_ad
        return risk_features(E, self.taxonomy.strengths(labels), inputs, deceptive), hits_per_ad

    def detect_hits(self, ads: Sequence[Ad]) -> list[list[IndicatorHit]]:
        return self._predict(ads)[1]

    def detect(self, ads: Sequence[Ad]) -> tuple[list[list[IndicatorHit]], np.ndarray]:
        risk_inputs, hits_per_ad = self._predict(ads)
        return hits_per_ad, risk_inputs

    @property
    def risk_scorer(self) -> LearnedScorer:
        """The risk model learned with the ensemble, over `risk_features` of its indicator
        probabilities."""
        return LearnedScorer(self.model.risk_model, self.model.risk_high,
                             self.model.risk_medium, self.risk_policy)


def build_ensemble_detector(home: Path, artifact: Path | None = None) -> EnsembleDetector:
    """Factory for `indicators.ensemble.v1`: the default registered ensemble (the model
    registry's, else the latest). Loading never trains: with none registered it raises
    `NoTrainedModelError`, which says to run `centinela train`."""
    found = find_artifact(NAME, models_root(home), artifact)
    model = load_ensemble_weights(found)
    rules = RulesDetector(load_taxonomy(), load_risk_policy(),
                          version=getattr(model, "rules_version", "1"), cache_dir=cache_root(home))
    return EnsembleDetector(model, found.meta.sha256, rules, load_taxonomy())


def build_semantic_ensemble_detector(home: Path, artifact: Path | None = None,
                                     encoder=None) -> SemanticEnsembleDetector:
    """Factory for `indicators.ensemble.v2`, the default detector: the v2 built on the
    default v1 (same version, see `train_semantic_models`), else v2's own default in the
    registry (an install whose v2 was trained apart). Loading never trains: with none
    registered it raises `NoTrainedModelError`, which says to run `centinela train`.
    `encoder` lets several detectors share one (and its cache of embeddings)."""
    from models.ensemble.semantic import SemanticEnsembleModel

    root = models_root(home)
    if artifact is None:
        base = ModelRegistry(root).default_version(NAME)
        if base is not None and (root / SEMANTIC_NAME / base / "meta.json").is_file():
            artifact = root / SEMANTIC_NAME / base
    found = find_artifact(SEMANTIC_NAME, root, artifact)
    model = SemanticEnsembleModel(**load_ensemble_weights(found).fields)
    rules = RulesDetector(load_taxonomy(), load_risk_policy(),
                          version=getattr(model, "rules_version", "1"), cache_dir=cache_root(home))
    return SemanticEnsembleDetector(model, found.meta.sha256, rules, load_taxonomy(), encoder)


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
                f"{self.encoder.id} is installed: run `centinela train` again")

    def clear_caches(self) -> None:
        self.encoder.clear()

    def _scores(self, ads: Sequence[Ad], norms: Sequence[NormalizedText]) -> Scores:
        from models.semantic.model import score_sentences

        E, rule_hits, evidence, rows, deceptive = super()._scores(ads, norms)
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
        F = model.combine(E, S, rules_found(rule_hits, model.labels))
        F[[ad.lang == "und" for ad in ads]] = 0.0
        return Scores(F, rule_hits, evidence, rows, deceptive)
