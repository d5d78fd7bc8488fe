"""Read a language's pattern file and compile it into spaCy Matcher patterns.

Pattern files (patterns/<lang>.yaml) are written for trainers: plain phrases with accents
and capitals as people write them, and spaCy token patterns. Matching runs on folded text
(lowercase, no accents; see corpora.normalize.fold_text), so every word in a file is folded
here. Three extensions of spaCy's token pattern are expanded at load time, so matching
itself does no Python work per token:

- `LEMMA: pagar` matches every form whose lookup lemma (spacy-lookups-data) is `pagar`;
- words match their abbreviations too (`que` also matches `q`, `k`), from `abbreviations`;
- `AGE: [13, 17]` matches those numbers written in digits or in words (`numbers`);
- `AMOUNT_MIN: 1000` matches a number token worth at least that much ("3.000", "15mil").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from corpora.normalize import fold_text
from corpora.taxonomy import Taxonomy

PATTERNS_DIR = Path(__file__).with_name("patterns")
_ALLOWED_RULE_KEYS = {"phrase", "pattern", "negatable", "score", "note"}


class _PatternLoader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false, so the words "no", "si", "on" stay words."""


_PatternLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_PatternLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))


class PatternFileError(ValueError):
    """A pattern file is not valid; the message names the file, indicator and rule."""


@dataclass(frozen=True)
class Rule:
    indicator: str
    key: str  # unique Matcher key, e.g. "FEE_OR_DEBT#3"
    tokens: list[dict[str, Any]]
    negatable: bool = True
    score: float = 0.9
    amount_min: int | None = None  # some number in the match must be worth this much


@dataclass
class Lexicon:
    lang: str
    rules: list[Rule] = field(default_factory=list)
    unless: dict[str, list[Rule]] = field(default_factory=dict)
    negation_cues: frozenset[str] = frozenset()
    negation_window: int = 3
    clause_breaks: frozenset[str] = frozenset(".;:!?¡¿\n")


_NUMBER_TOKEN = r"^(?:us\$|r\$|\$|€)?\d{1,3}(?:(?:[.,]\d{3})+|\d*)(?:[.,]\d{1,2})?(?:mil|k)?$"


def value_of_amount(token_text: str) -> float | None:
    """The value of a number token: "3.000" -> 3000, "15mil" -> 15000, "1,5" -> 1.5."""
    text = token_text.lower()
    for prefix in ("us$", "r$", "$", "€"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    mult = 1
    for suffix in ("mil", "k"):
        if text.endswith(suffix):
            text, mult = text[: -len(suffix)], 1000
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", text):
        return float(re.sub(r"[.,]", "", text)) * mult
    if re.fullmatch(r"\d+(?:[.,]\d{1,2})?", text):
        return float(text.replace(",", ".")) * mult
    return None


class _Compiler:
    def __init__(self, lang: str, data: dict, where: str, lemma_forms: dict[str, set[str]]):
        self.lang = lang
        self.where = where
        self.lemma_forms = lemma_forms
        self.short_forms: dict[str, set[str]] = {}
        for word, shorts in (data.get("abbreviations") or {}).items():
            self.short_forms.setdefault(fold_text(str(word)), set()).update(
                fold_text(str(s)) for s in shorts)
        self.amount_min: int | None = None
        self.numbers: dict[int, set[str]] = {}
        for word, value in (data.get("numbers") or {}).items():
            self.numbers.setdefault(int(value), set()).add(fold_text(str(word)))

    def words(self, word: str) -> list[str]:
        folded = fold_text(word)
        return sorted({folded} | self.short_forms.get(folded, set()))

    def start_rule(self) -> None:
        self.amount_min: int | None = None

    def phrase_tokens(self, phrase: str, tokenizer) -> list[dict[str, Any]]:
        return [self.token({"LOWER": t.text}) for t in tokenizer(fold_text(phrase))]

    def token(self, spec: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        words: set[str] = set()
        for key, value in spec.items():
            if key == "LEMMA":
                lemmas = value["IN"] if isinstance(value, dict) else [value]
                for lemma in lemmas:
                    forms = self.lemma_forms.get(fold_text(lemma))
                    words.update(forms or {fold_text(lemma)})
            elif key == "AGE":
                low, high = value
                for n in range(int(low), int(high) + 1):
                    words.add(str(n))
                    words.update(self.numbers.get(n, ()))
            elif key == "AMOUNT_MIN":
                # The token must look like a number; its value is checked after matching.
                out["LOWER"] = {"REGEX": _NUMBER_TOKEN}
                self.amount_min = max(self.amount_min or 0, int(value))
            elif key in ("LOWER", "ORTH", "NORM", "TEXT"):
                values = value["IN"] if isinstance(value, dict) and "IN" in value else value
                if isinstance(values, str):
                    values = [values]
                if isinstance(values, list):
                    for v in values:
                        words.update(self.words(str(v)))
                else:
                    out["LOWER"] = value  # e.g. {"REGEX": ...}
            else:
                out[key] = value
        if words:
            out["LOWER"] = {"IN": sorted(words)} if len(words) > 1 else next(iter(words))
        return out


@cache
def _lemma_forms(lang: str, lemmas: frozenset[str]) -> dict[str, set[str]]:
    """Folded forms per folded lemma, from spacy-lookups-data's lemma_lookup table."""
    if not lemmas:
        return {}
    from spacy.util import load_language_data, registry

    table = load_language_data(registry.lookups.get(lang)["lemma_lookup"])
    folded_lemma = {lemma: fold_text(lemma) for lemma in set(table.values())}
    forms: dict[str, set[str]] = {lemma: {lemma} for lemma in lemmas}
    for form, lemma in table.items():
        folded = folded_lemma[lemma]
        if folded in lemmas:
            forms[folded].add(fold_text(form))
    return forms


def _needed_lemmas(data: dict) -> frozenset[str]:
    found: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "LEMMA":
                    found.update(fold_text(v) for v in (value["IN"] if isinstance(value, dict) else [value]))
                else:
                    visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(data.get("indicators") or {})
    visit(data.get("unless") or {})
    return frozenset(found)


def load_lexicon(lang: str, taxonomy: Taxonomy, tokenizer,
                 path: Path | None = None) -> Lexicon:
    """Read and compile patterns/<lang>.yaml; errors name file, indicator and rule."""
    path = path or PATTERNS_DIR / f"{lang}.yaml"
    where = str(path)
    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), _PatternLoader) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PatternFileError(f"{where}: cannot read pattern file: {exc}") from exc
    if data.get("lang") != lang:
        raise PatternFileError(f"{where}: 'lang' must be {lang!r}")
    indicators = data.get("indicators") or {}
    unless = data.get("unless") or {}
    try:
        taxonomy.check_ids(list(indicators) + list(unless), where)
    except ValueError as exc:
        raise PatternFileError(str(exc)) from exc
    compiler = _Compiler(lang, data, where, _lemma_forms(lang, _needed_lemmas(data)))
    negation = data.get("negation") or {}
    lexicon = Lexicon(
        lang=lang,
        negation_cues=frozenset(w for cue in negation.get("cues", []) for w in compiler.words(cue)),
        negation_window=int(negation.get("window", 3)),
    )
    for section, target in (("indicators", lexicon.rules), ("unless", None)):
        for indicator, rules in (data.get(section) or {}).items():
            if not isinstance(rules, list):
                raise PatternFileError(f"{where}: {section}.{indicator} must be a list of rules")
            for n, rule in enumerate(rules, 1):
                compiled = _compile_rule(compiler, tokenizer, indicator, section, n, rule)
                if target is not None:
                    target.append(compiled)
                else:
                    lexicon.unless.setdefault(indicator, []).append(compiled)
    return lexicon


def _compile_rule(compiler: _Compiler, tokenizer, indicator: str, section: str, n: int,
                  rule: Any) -> Rule:
    label = f"{compiler.where}: {section}.{indicator} rule {n}"
    compiler.start_rule()
    if not isinstance(rule, dict) or not rule.keys() <= _ALLOWED_RULE_KEYS \
            or ("phrase" in rule) == ("pattern" in rule):
        raise PatternFileError(f"{label}: a rule is a mapping with exactly one of "
                               f"'phrase' or 'pattern' (and optional negatable, score, note)")
    if "phrase" in rule:
        tokens = compiler.phrase_tokens(str(rule["phrase"]), tokenizer)
    else:
        if not isinstance(rule["pattern"], list) or not all(isinstance(t, dict) for t in rule["pattern"]):
            raise PatternFileError(f"{label}: 'pattern' must be a list of token mappings")
        tokens = [compiler.token(t) for t in rule["pattern"]]
    if not tokens:
        raise PatternFileError(f"{label}: the rule is empty")
    key = f"{section}:{indicator}#{n}"
    return Rule(indicator=indicator, key=key, tokens=tokens,
                negatable=bool(rule.get("negatable", True)), score=float(rule.get("score", 0.9)),
                amount_min=compiler.amount_min)

