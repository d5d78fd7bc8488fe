"""The rules detector: spaCy Matcher over folded text, negation-aware, exact evidence."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from corpora.normalize import NormalizedText, fold_text, normalize_text
from corpora.records import Ad, Evidence, IndicatorHit, ModelRef
from corpora.taxonomy import Taxonomy, load_taxonomy
from models.detector import Detector
from models.risk import RISK_POLICY_PATH, RiskPolicy, load_risk_policy
from models.rules.lexicon import PATTERNS_DIR, Lexicon, Rule, load_lexicon, value_of_amount

NAME = "indicators.rules"
VERSION = "1"
LANGS = ("es", "pt")


class _LanguageMatcher:
    """Tokenizer + Matcher for one language, compiled from its pattern file."""

    def __init__(self, lang: str, taxonomy: Taxonomy, patterns_dir: Path):
        import spacy
        from spacy.matcher import Matcher

        self.nlp = spacy.blank(lang)
        self.lexicon: Lexicon = load_lexicon(lang, taxonomy, self.nlp.tokenizer,
                                             patterns_dir / f"{lang}.yaml")
        # One Matcher per indicator (and per `unless` list). A Matcher tries every pattern
        # at every token, with Python predicates for word lists, so it only runs on an ad
        # when some rule of it could match: each required token's words occur in the ad.
        self.matchers: dict[str, Matcher] = {}
        self.requirements: dict[str, list[list[frozenset[int]]]] = {}
        self.rules: dict[int, Rule] = {}
        strings = self.nlp.vocab.strings
        for rule in self.lexicon.rules + [r for rs in self.lexicon.unless.values() for r in rs]:
            group = rule.key.split("#")[0]
            if group not in self.matchers:
                self.matchers[group] = Matcher(self.nlp.vocab, validate=True)
            self.matchers[group].add(rule.key, [rule.tokens])
            self.rules[strings[rule.key]] = rule
            self.requirements.setdefault(group, []).append(
                [frozenset(strings.add(w) for w in words) for words in _required_words(rule)])

    def find(self, folded_texts: list[str]) -> list[dict[str, list[tuple[int, int, float]]]]:
        """Per text: indicator -> [(start_char, end_char, score)] on the folded text."""
        out = []
        for doc in self.nlp.tokenizer.pipe(folded_texts, batch_size=256):
            found: dict[str, list[tuple[int, int, float]]] = {}
            vetoed: set[str] = set()
            present = set(doc.to_array("LOWER").tolist())
            matches = [
                match
                for group, matcher in self.matchers.items()
                if any(all(not present.isdisjoint(words) for words in rule_words)
                       for rule_words in self.requirements[group])
                for match in matcher(doc)
            ]
            for match_id, start, end in matches:
                rule = self.rules[match_id]
                if rule.amount_min is not None and not self._amount_ok(doc[start:end], rule):
                    continue
                if rule.key.startswith("unless:"):
                    vetoed.add(rule.indicator)
                    continue
                if rule.negatable and self._negated(doc, start, end):
                    continue
                span = doc[start:end]
                found.setdefault(rule.indicator, []).append(
                    (span.start_char, span.end_char, rule.score))
            for indicator in vetoed:
                found.pop(indicator, None)
            out.append(found)
        return out

    @staticmethod
    def _amount_ok(span, rule: Rule) -> bool:
        values = [value_of_amount(t.text) for t in span]
        return any(v is not None and v >= rule.amount_min for v in values)

    def _negated(self, doc, start: int, end: int) -> bool:
        lex = self.lexicon
        if any(t.lower_ in lex.negation_cues for t in doc[start:end]):
            return True
        for i in range(start - 1, max(start - 1 - lex.negation_window, -1), -1):
            token = doc[i]
            if token.text in lex.clause_breaks or "\n" in token.text:
                return False
            if token.lower_ in lex.negation_cues:
                return True
        return False


def _required_words(rule: Rule) -> list[list[str]]:
    """For each token a match cannot skip, the words it accepts (when it is a word list)."""
    required = []
    for token in rule.tokens:
        if token.get("OP") in ("?", "*", "!"):
            continue
        lower = token.get("LOWER")
        if isinstance(lower, str):
            required.append([lower])
        elif isinstance(lower, dict) and "IN" in lower:
            required.append(list(lower["IN"]))
    return required


def _merge(spans: list[tuple[int, int, float]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end, _ in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


class RulesDetector(Detector):
    """`indicators.rules.v1`: high-precision patterns, exact evidence, no training data."""

    def __init__(self, taxonomy: Taxonomy, risk_policy: RiskPolicy,
                 patterns_dir: Path = PATTERNS_DIR):
        self.taxonomy = taxonomy
        self.risk_policy = risk_policy
        self.patterns_dir = patterns_dir
        self._matchers = {lang: _LanguageMatcher(lang, taxonomy, patterns_dir) for lang in LANGS}
        digest = hashlib.sha256()
        for path in sorted(patterns_dir.glob("*.yaml")) + [RISK_POLICY_PATH]:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        digest.update(taxonomy.model_dump_json().encode())
        self._ref = ModelRef(name=NAME, version=VERSION, sha256=digest.hexdigest())

    @property
    def ref(self) -> ModelRef:
        return self._ref

    def detect_hits(self, ads: Sequence[Ad]) -> list[list[IndicatorHit]]:
        results: list[list[IndicatorHit]] = [[] for _ in ads]
        for lang, matcher in self._matchers.items():
            index = [i for i, ad in enumerate(ads) if ad.lang == lang]
            if not index:
                continue
            normalized = [normalize_text(ads[i].text) for i in index]
            found = matcher.find([fold_text(n.text) for n in normalized])
            for i, norm, per_indicator in zip(index, normalized, found):
                results[i] = self._hits(ads[i].text, norm, per_indicator)
        return results

    def _hits(self, text: str, norm: NormalizedText,
              per_indicator: dict[str, list[tuple[int, int, float]]]) -> list[IndicatorHit]:
        hits = []
        for indicator in self.taxonomy.ids:
            spans = per_indicator.get(indicator)
            if not spans:
                continue
            evidence = [Evidence.from_text(text, *norm.to_original(s, e)) for s, e in _merge(spans)]
            hits.append(IndicatorHit(
                id=indicator, score=max(score for _, _, score in spans),
                strength=self.taxonomy.get(indicator).strength,
                evidence=evidence, detector=f"{NAME}.v{VERSION}",
            ))
        return hits


def build_rules_detector(patterns_dir: Path | None = None) -> RulesDetector:
    """Factory registered as `indicators.rules.v1`."""
    return RulesDetector(load_taxonomy(), load_risk_policy(), patterns_dir or PATTERNS_DIR)
