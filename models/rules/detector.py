"""The rules detector: pattern files matched over folded text, negation-aware, exact evidence.

Per language: the pattern files of a rules version (`VERSIONS`) compile to rules
(lexicon.py), `RuleMatcher` finds where they match (matcher.py) and `Scope` drops matches
that are negated or ruled out by the words around them (scope.py). Offsets found on the folded clean text map back to the exact
input text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from corpora.normalize import NormalizedText, break_long_runs, fold_text, normalize_text
from corpora.records import Ad, Evidence, IndicatorHit, ModelRef
from corpora.taxonomy import Taxonomy, load_taxonomy
from models.artifacts import cache_root
from models.detector import Detector
from models.nlp import blank
from models.risk import RISK_POLICY_PATH, RiskPolicy, load_risk_policy
from models.rules.lexicon import PATTERNS_DIR, Lexicon, Rule, cached_lexicon, merge_lexicons
from models.rules.matcher import RuleMatcher
from models.rules.scope import AdTokens, Scope

NAME = "indicators.rules"
VERSION = "1"
LANGS = ("es", "pt")
# The pattern files of each rules version, per language, under the patterns folder. A
# version is never edited in place: new vocabulary or phrases make a new version.
VERSIONS: dict[str, tuple[str, ...]] = {
    "1": ("{lang}.yaml",),
    "2": ("{lang}.yaml", "vocabulary/{lang}.yaml"),  # + the vocabulary of real offers
    # + how third-party retellings state documents, fees, appearance, contact, requirements
    "3": ("{lang}.yaml", "vocabulary/{lang}.yaml", "vocabulary/{lang}-3.yaml"),
}
# Learned versions (models/rules/learned.py) build on the latest shipped one.
LATEST_SHIPPED = max(VERSIONS, key=int)

# Per indicator: (start_char, end_char, score, base) of each match; `base` is whether the
# rule comes from the version's first pattern file (False: a further file, the vocabulary).
Found = dict[str, list[tuple[int, int, float, bool]]]


class LanguageRules:
    """One language's tokenizer, rules, matcher and scope."""

    def __init__(self, lang: str, taxonomy: Taxonomy, patterns_dir: Path,
                 files: tuple[str, ...] = ("{lang}.yaml",),
                 extra: Mapping[str, Sequence[dict[str, Any]]] | None = None,
                 cache_dir: Path | None = None):
        self.nlp = blank(lang)
        from spacy.attrs import IDX, LOWER

        self._columns = [LOWER, IDX]  # per token: LOWER id, start char
        names = [f.format(lang=lang) for f in files]
        # each file compiled (and cached) on its own; `extra` (learned phrases) joins the
        # base file's rules
        self.lexicon: Lexicon = merge_lexicons(
            [cached_lexicon(lang, taxonomy, self.nlp.tokenizer, patterns_dir / name, cache_dir,
                            extra if n == 0 else None) for n, name in enumerate(names)], names)
        self.matcher = RuleMatcher(self.nlp, self.lexicon)
        self.scope = Scope(self.lexicon, self.nlp.vocab)
        strings = self.nlp.vocab.strings
        self._not_in_ad = {rule.key: frozenset(strings.add(w) for w in rule.not_in_ad)
                           for rule in self.matcher.rules.values() if rule.not_in_ad}
        # in_ad: one of these word-id tuples must be wholly in the ad
        in_ad = {rule.key: tuple(tuple(strings.add(w) for w in words.split(" "))
                                 for words in sorted(rule.in_ad))
                 for rule in self.matcher.rules.values() if rule.in_ad}
        # rule key -> (rule, a veto ("unless:"), has country constraints, its not_in_ad ids,
        # its in_ad id tuples, from the base file)
        further = tuple(f"{name}/" for name in names[1:])
        self._rule_info = {
            key: (rule, key.split("/")[-1].startswith("unless:"),
                  bool(rule.only_in_countries or rule.not_in_countries),
                  self._not_in_ad.get(key), in_ad.get(key), not key.startswith(further))
            for key, rule in self.matcher.rules.items()}

    def find(self, texts: list[str], countries: list[str | None] | None = None,
             exhaustive: bool = False) -> list[Found]:
        """Per clean text: indicator -> [(start_char, end_char, score, base)].

        `countries` (one per text, may be None) serve rules with `not_in_countries` /
        `only_in_countries`. `exhaustive` runs spaCy's Matcher for every rule over every
        whole ad: much slower, same result.
        """
        out = []
        docs = self.nlp.tokenizer.pipe([break_long_runs(fold_text(t)) for t in texts],
                                       batch_size=256)
        for text, country, doc in zip(texts, countries or [None] * len(texts), docs):
            out.append(self._find_one(text, country, doc, exhaustive))
        return out

    def _find_one(self, text: str, country: str | None, doc, exhaustive: bool) -> Found:
        matcher = self.matcher
        columns = doc.to_array(self._columns)
        lowers = columns[:, 0].tolist()
        ad = AdTokens(text, lowers, columns[:, 1].tolist())
        present = set(lowers)
        plan = dict.fromkeys(matcher.rules) if exhaustive else matcher.plan(lowers, present)
        found: Found = {}
        vetoes: dict[str, list[Rule]] = {}
        keeps, walks = self.scope.keeps, matcher.walks
        for key, positions in plan.items():
            rule, veto, by_country, not_in_ad, in_ad, base = self._rule_info[key]
            if (by_country and not _country_ok(rule, country)) or (
                    not_in_ad is not None and not not_in_ad.isdisjoint(present)) or (
                    in_ad is not None and not any(all(w in present for w in words)
                                                  for words in in_ad)):
                continue
            if veto:
                vetoes.setdefault(rule.indicator, []).append(rule)
                continue
            if exhaustive:
                spans = matcher.run_exhaustive(doc, key)
            elif positions is not None and key in walks:
                spans = walks[key].spans(lowers, positions)  # any order: merged later
            else:
                spans = matcher.run(doc, lowers, key, positions)
            for start, end in spans:
                if keeps(ad, start, end, rule):
                    last = doc[end - 1]
                    found.setdefault(rule.indicator, []).append(
                        (ad.starts[start], last.idx + len(last), rule.score, base))
        for indicator in [i for i in found if i in vetoes]:
            for rule in vetoes[indicator]:
                spans = (matcher.run_exhaustive(doc, rule.key) if exhaustive
                         else matcher.run(doc, lowers, rule.key, plan[rule.key]))
                if any(rule.amount_min is None or self.scope.amount_ok(ad, s, e, rule)
                       for s, e in spans):
                    del found[indicator]
                    break
        return found


def _country_ok(rule: Rule, country: str | None) -> bool:
    """Whether `rule` applies to an ad from `country` (`not_in_countries`, `only_in_countries`)."""
    if not (rule.only_in_countries or rule.not_in_countries):
        return True
    where = (country or "").upper()
    return where not in rule.not_in_countries and (
        not rule.only_in_countries or where in rule.only_in_countries)


def _merge(spans: list[tuple[int, int, float, bool]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end, *_ in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


class RulesDetector(Detector):
    """`indicators.rules.v<version>`: high-precision patterns, exact evidence, no training
    data. Version 1 is the base pattern files; versions 2 and 3 add vocabulary files."""

    def __init__(self, taxonomy: Taxonomy, risk_policy: RiskPolicy,
                 patterns_dir: Path = PATTERNS_DIR, *, version: str = VERSION,
                 files: Sequence[str] | None = None,
                 extra: Mapping[str, Mapping[str, Sequence[dict[str, Any]]]] | None = None,
                 extra_files: Sequence[Path] = (), cache_dir: Path | None = None):
        """`files` are the pattern files (default: those of a shipped `version`); `extra`
        adds rules per language and indicator (a learned version, with `version` its
        number and `extra_files` the data they came from); `cache_dir` keeps the compiled
        rules (see `models.rules.lexicon.cached_lexicon`)."""
        if files is None and version not in VERSIONS:
            raise ValueError(f"no rules version {version!r}; versions: {', '.join(VERSIONS)}")
        files = tuple(files or VERSIONS[version])
        self.taxonomy = taxonomy
        self.risk_policy = risk_policy
        self.patterns_dir = patterns_dir
        self.version = version
        self.languages = {lang: LanguageRules(lang, taxonomy, patterns_dir, files,
                                              (extra or {}).get(lang), cache_dir)
                          for lang in LANGS}
        digest = hashlib.sha256()
        used = [patterns_dir / f.format(lang=lang) for f in files for lang in LANGS]
        for path in sorted(used) + [RISK_POLICY_PATH, *extra_files]:
            name = path.relative_to(patterns_dir) if path.is_relative_to(patterns_dir) \
                else path.name
            digest.update(str(name).encode() + b"\0" + path.read_bytes())
        digest.update(taxonomy.model_dump_json().encode())
        self._ref = ModelRef(name=NAME, version=version, sha256=digest.hexdigest())

    @property
    def ref(self) -> ModelRef:
        return self._ref

    def detect_hits(self, ads: Sequence[Ad], norms: Sequence[NormalizedText] | None = None
                    ) -> list[list[IndicatorHit]]:
        """Hits per ad; `norms` (each ad's `normalize_text`) when the caller has them."""
        return self.detect_hits_by_file(ads, norms)[0]

    def detect_hits_by_file(self, ads: Sequence[Ad], norms: Sequence[NormalizedText] | None = None
                            ) -> tuple[list[list[IndicatorHit]], list[frozenset[str]]]:
        """The hits of each ad, and per ad the indicators that only rules of the further
        pattern files (version 2: the vocabulary of real offers) found, none of the base
        file's (features for the ensemble). `norms` as in `detect_hits`."""
        results: list[list[IndicatorHit]] = [[] for _ in ads]
        further_only: list[frozenset[str]] = [frozenset() for _ in ads]
        for lang, rules in self.languages.items():
            index = [i for i, ad in enumerate(ads) if ad.lang == lang]
            if not index:
                continue
            normalized = [norms[i] if norms is not None else normalize_text(ads[i].text)
                          for i in index]
            found = rules.find([n.text for n in normalized], [ads[i].country for i in index])
            for i, norm, per_indicator in zip(index, normalized, found):
                results[i] = self._hits(ads[i].text, norm, per_indicator)
                further_only[i] = frozenset(
                    indicator for indicator, spans in per_indicator.items()
                    if not any(base for *_, base in spans))
        return results, further_only

    def _hits(self, text: str, norm: NormalizedText, per_indicator: Found) -> list[IndicatorHit]:
        hits = []
        for indicator in self.taxonomy.ids:
            spans = per_indicator.get(indicator)
            if not spans:
                continue
            evidence = [Evidence.from_text(text, *norm.to_original(s, e)) for s, e in _merge(spans)]
            hits.append(IndicatorHit(
                id=indicator, score=max(score for _, _, score, _ in spans),
                strength=self.taxonomy.get(indicator).strength,
                evidence=evidence, detector=f"{NAME}.v{self.version}",
            ))
        return hits


def build_rules_detector(patterns_dir: Path | None = None, *, home: Path | None = None,
                         version: str = VERSION) -> RulesDetector:
    """Factory registered as `indicators.rules.v1` (and, with `version`, the later shipped
    versions). The rules ship with the code; `home` keeps them compiled (see
    `models.rules.lexicon.cached_lexicon`; none: compiled anew)."""
    return RulesDetector(load_taxonomy(), load_risk_policy(), patterns_dir or PATTERNS_DIR,
                         version=version, cache_dir=None if home is None else cache_root(home))


def build_rules_v2_detector(patterns_dir: Path | None = None, *,
                            home: Path | None = None) -> RulesDetector:
    """Factory registered as `indicators.rules.v2`: v1's patterns and the vocabulary of
    real offers (patterns/vocabulary/<lang>.yaml)."""
    return build_rules_detector(patterns_dir, home=home, version="2")


def build_rules_v3_detector(patterns_dir: Path | None = None, *,
                            home: Path | None = None) -> RulesDetector:
    """Factory registered as `indicators.rules.v3`: v2 and the vocabulary of third-party
    retellings (patterns/vocabulary/<lang>-3.yaml)."""
    return build_rules_detector(patterns_dir, home=home, version="3")
