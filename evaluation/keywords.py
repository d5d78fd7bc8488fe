"""The "plain keyword list" baseline: what naive matching gets.

An indicator is found when any of its keywords (keywords.yaml, per language) occurs as
whole words, ignoring case and accents; no negation, context or amounts. It is a
`models.detector.Detector`, so it gets the same risk policy and explanations as the
real detectors, but it is not registered: it lives here, as a yardstick for reports.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from corpora.normalize import fold_text
from corpora.records import Ad, Evidence, IndicatorHit, ModelRef
from corpora.taxonomy import Taxonomy, load_taxonomy
from corpora.yamlload import load_yaml
from models.detector import Detector
from models.risk import RiskPolicy, load_risk_policy

NAME = "baseline.keywords"
VERSION = "1"
KEYWORDS_PATH = Path(__file__).with_name("keywords.yaml")


class KeywordDetector(Detector):
    """`baseline.keywords.v1`: an indicator per keyword found, evidence = the keywords."""

    def __init__(self, keywords: Mapping[str, Mapping[str, Sequence[str]]], taxonomy: Taxonomy,
                 risk_policy: RiskPolicy, score: float = 0.9, sha256: str = ""):
        for lang, per_indicator in keywords.items():
            taxonomy.check_ids(list(per_indicator), f"keywords for {lang!r}")
        self.keywords = keywords
        self.taxonomy = taxonomy
        self.risk_policy = risk_policy
        self.score = score
        self._patterns = {lang: {indicator: _compile(words)
                                 for indicator, words in per_indicator.items() if words}
                          for lang, per_indicator in keywords.items()}
        self._ref = ModelRef(name=NAME, version=VERSION, sha256=sha256 or hashlib.sha256(
            repr(sorted((k, sorted(v.items())) for k, v in keywords.items())).encode()
        ).hexdigest())

    @property
    def ref(self) -> ModelRef:
        return self._ref

    def detect_hits(self, ads: Sequence[Ad]) -> list[list[IndicatorHit]]:
        return [self._hits(ad) for ad in ads]

    def _hits(self, ad: Ad) -> list[IndicatorHit]:
        patterns = self._patterns.get(ad.lang)
        if not patterns:
            return []
        folded = fold_text(ad.text)  # same length as the text: offsets carry over
        hits = []
        for indicator in self.taxonomy.ids:
            pattern = patterns.get(indicator)
            matches = list(pattern.finditer(folded)) if pattern else []
            if matches:
                hits.append(IndicatorHit(
                    id=indicator, score=self.score,
                    strength=self.taxonomy.get(indicator).strength,
                    evidence=[Evidence.from_text(ad.text, m.start(), m.end()) for m in matches],
                    detector=f"{NAME}.v{VERSION}"))
        return hits


def _compile(words: Sequence[str]) -> re.Pattern[str]:
    """One pattern for a keyword list: whole words, longest first, any run of spaces."""
    alternatives = sorted({fold_text(w.strip()) for w in words if w.strip()}, key=len,
                          reverse=True)
    body = "|".join(r"\s+".join(re.escape(part) for part in w.split()) for w in alternatives)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)")


def build_keyword_detector(path: Path = KEYWORDS_PATH) -> KeywordDetector:
    """The keyword baseline from its YAML file (default: keywords.yaml next to this module)."""
    raw = Path(path).read_bytes()
    data = load_yaml(raw)
    if not isinstance(data, dict) or not isinstance(data.get("keywords"), dict):
        raise ValueError(f"{path}: expected a mapping with 'keywords: {{lang: {{ID: [...]}}}}'")
    keywords = {lang: {indicator: [str(w) for w in words or []]
                       for indicator, words in (per_indicator or {}).items()}
                for lang, per_indicator in data["keywords"].items()}
    return KeywordDetector(keywords, load_taxonomy(), load_risk_policy(),
                           score=float(data.get("score", 0.9)),
                           sha256=hashlib.sha256(raw).hexdigest())
