"""The ensemble and TF-IDF detectors, loaded from registered artifacts."""

from __future__ import annotations

import hashlib
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from corpora.normalize import normalize_text
from corpora.records import Ad, Assessment, Evidence, IndicatorHit, ModelRef
from corpora.taxonomy import Taxonomy, load_taxonomy
from models.artifacts import cache_root, models_root
from models.detector import Detector
from models.ensemble.combine import combine_probabilities, risk_level, risk_score, rule_matrix
from models.ensemble.store import (
    ENSEMBLE_NAME,
    TFIDF_NAME,
    VERSION,
    NoTrainedModelError,
    find_artifact,
    load_ensemble_model,
    load_tfidf_model,
    train_default_models,
)
from models.explain import explain_hits
from models.risk import escalates, load_risk_policy
from models.rules.detector import RulesDetector


def _tfidf_evidence(tfidf, ad: Ad, labels: Sequence[int]) -> dict[int, list[Evidence]]:
    """Evidence per label from the TF-IDF model, as exact spans of `ad.text`."""
    if not labels:
        return {}
    norm = normalize_text(ad.text)
    return {label: [Evidence.from_text(ad.text, *norm.to_original(s, e)) for s, e in spans]
            for label, spans in tfidf.evidence(norm.text, ad.lang, labels).items()}


class EnsembleDetector(Detector):
    """Rules and TF-IDF per indicator (noisy-or weighted by rule precision), thresholds
    from the dev split, and a risk score learned from indicator probabilities."""

    def __init__(self, model, artifact_sha256: str, rules: RulesDetector, taxonomy: Taxonomy):
        self.model = model
        self.rules = rules
        self.taxonomy = taxonomy
        self.risk_policy = load_risk_policy()
        if rules.ref.sha256 != model.rules_sha256:
            print("note: the rule patterns changed since this ensemble was trained; "
                  "run `centinela train` to refit it", file=sys.stderr)
        combined = hashlib.sha256(f"{artifact_sha256}:{rules.ref.sha256}".encode()).hexdigest()
        self._ref = ModelRef(name=ENSEMBLE_NAME, version=VERSION, sha256=combined)

    @property
    def ref(self) -> ModelRef:
        return self._ref

    def _probabilities(self, ads: Sequence[Ad]) -> tuple[np.ndarray, list[list[IndicatorHit]]]:
        rule_hits = self.rules.detect_hits(ads)
        texts = [normalize_text(ad.text).text for ad in ads]
        P = self.model.tfidf.predict_proba(texts, [ad.lang for ad in ads])
        E = combine_probabilities(rule_matrix(rule_hits, self.model.labels), P,
                                  self.model.rule_weights)
        E[[ad.lang == "und" for ad in ads]] = 0.0
        return E, rule_hits

    def indicator_probabilities(self, ads: Sequence[Ad]) -> np.ndarray:
        """(n_ads, n_indicators) combined probabilities in taxonomy order (for calibration
        plots); `und` ads get zeros."""
        return self._probabilities(ads)[0]

    def _predict(self, ads: Sequence[Ad]) -> tuple[np.ndarray, list[list[IndicatorHit]]]:
        labels = self.model.labels
        E, rule_hits = self._probabilities(ads)
        hits_per_ad = []
        for i, ad in enumerate(ads):
            if ad.lang == "und":
                hits_per_ad.append([])
                continue
            by_rule = {hit.id: hit for hit in rule_hits[i]}
            found = np.where(E[i] >= self.model.thresholds)[0]
            from_model = _tfidf_evidence(self.model.tfidf, ad,
                                         [k for k in found if labels[k] not in by_rule])
            hits = []
            for k in found:
                label = labels[k]
                evidence = by_rule[label].evidence if label in by_rule else from_model[k]
                hits.append(IndicatorHit(
                    id=label, score=round(float(E[i, k]), 4),
                    strength=self.taxonomy.get(label).strength, evidence=evidence,
                    detector=f"{ENSEMBLE_NAME}.v{VERSION}",
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


class TfidfDetector(Detector):
    """`indicators.tfidf.v1` alone: calibrated probabilities, dev thresholds, n-gram
    evidence; risk from the shared strength-based policy."""

    def __init__(self, tfidf, thresholds: dict[str, float], artifact_sha256: str,
                 taxonomy: Taxonomy):
        self.tfidf = tfidf
        self.thresholds = np.array([thresholds[label] for label in tfidf.labels])
        self.taxonomy = taxonomy
        self.risk_policy = load_risk_policy()
        self._ref = ModelRef(name=TFIDF_NAME, version=VERSION, sha256=artifact_sha256)

    @property
    def ref(self) -> ModelRef:
        return self._ref

    def detect_hits(self, ads: Sequence[Ad]) -> list[list[IndicatorHit]]:
        texts = [normalize_text(ad.text).text for ad in ads]
        P = self.tfidf.predict_proba(texts, [ad.lang for ad in ads])
        out = []
        for i, ad in enumerate(ads):
            found = [] if ad.lang == "und" else list(np.where(P[i] >= self.thresholds)[0])
            evidence = _tfidf_evidence(self.tfidf, ad, found)
            out.append([
                IndicatorHit(id=self.tfidf.labels[k], score=round(float(P[i, k]), 4),
                             strength=self.taxonomy.get(self.tfidf.labels[k]).strength,
                             evidence=evidence[k], detector=f"{TFIDF_NAME}.v{VERSION}")
                for k in found
            ])
        return out


def build_ensemble_detector(home: Path | None = None, artifact: Path | None = None,
                            train_if_missing: bool = True) -> EnsembleDetector:
    """Factory for `indicators.ensemble.v1`: the default registered ensemble (the model
    registry's, else the latest); with none registered, trains one from the bundled
    corpus first (about a minute, once)."""
    root = models_root(home)
    try:
        found = find_artifact(ENSEMBLE_NAME, root, artifact)
    except NoTrainedModelError:
        if not train_if_missing or artifact is not None:
            raise
        print(f"no trained ensemble under {root}: training one from the bundled corpus "
              "(once, about a minute)", file=sys.stderr)
        found = train_default_models(root)
    model = load_ensemble_model(found)
    rules = RulesDetector(load_taxonomy(), load_risk_policy(),
                          version=getattr(model, "rules_version", "1"), cache_dir=cache_root(home))
    return EnsembleDetector(model, found.meta.sha256, rules, load_taxonomy())


def build_tfidf_detector(home: Path | None = None, artifact: Path | None = None) -> TfidfDetector:
    """Factory for `indicators.tfidf.v1` (run `centinela train` first)."""
    found = find_artifact(TFIDF_NAME, models_root(home), artifact)
    return TfidfDetector(load_tfidf_model(found), found.meta.config["thresholds"],
                         found.meta.sha256, load_taxonomy())
