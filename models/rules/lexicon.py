"""Read a language's pattern file and compile it into rules (spaCy token patterns).

Pattern files (patterns/<lang>.yaml) are written for trainers: plain phrases with accents
and capitals as people write them, and spaCy token patterns. Matching runs on folded text
(lowercase, no accents; see corpora.normalize.fold_text), so every word in a file is folded
here. Extensions of spaCy's token pattern are expanded at load time:

- `LEMMA: pagar` matches every form whose lookup lemma (spacy-lookups-data) is `pagar`;
- words match their abbreviations too (`que` also matches `q`, `k`), from `abbreviations`;
- `AGE: [13, 17]` matches those numbers written in digits or in words (`numbers`);
- `AMOUNT_MIN: 1000` matches a number token ("3.000", "15mil", "dos", "q3,500") and keeps
  the match only when a number in it is worth at least that much, a number followed by a
  word of `multipliers` counting that many times ("4 mil", "dos mil", "5 millones");
  `CURRENCY: [q]` beside it requires that sign written against the digits ("q8,000").

Negation (the `negation` section) drops a match when a cue stands in it or up to `window`
words before it in the same clause; `breaks` end a clause, a comma ends it unless it
separates items of a list closed by one of `list_joiners` ("no cobramos inscripción, examen
ni visa"), and `pseudo` phrases start with a cue but negate nothing ("no importa"). A rule's
`negatable` is `true` (a cue in or before the match), `before` (only before: for rules that
hold a cue themselves, such as "sin experiencia", which "no aceptamos personas sin
experiencia" negates) or `false`.

Other conditions of a rule: `not_preceded_by` / `not_followed_by` words drop a match when
they stand within that window before / after it in the same clause ("la empresa paga el
curso" is no fee; "acompañante para adulto mayor" is no escort); `not_in_ad` words drop
the rule when they occur anywhere in the ad; `not_in_countries` / `only_in_countries` use
the ad's `country` ("pago en dólares" is no lure in El Salvador; "$" is pesos in Mexico).
A repeated key in a file is an error, not a silent overwrite.

Compiling takes seconds (YAML, lemma tables, pattern validation), so `cached_lexicon`
keeps each compiled file as JSON in the data folder, keyed by the sha256 of the pattern
file, the taxonomy's ids, this compiler's source and the spaCy and spacy-lookups-data
versions: a change to any of them compiles afresh.

Word lists (the `lists` section) keep vocabulary as data: `{LIST: name}` in a pattern
token matches any entry of the list, an entry of several words as that many tokens (so
does an entry of several words written inline, in a token's `LOWER: {IN: [...]}`). A list
keyed by ISO country codes (`"ES PT": [euros]`, a gazetteer of destinations) makes one rule
per key that does not apply in those countries, so "trabajo en España" is no work abroad in
Spain. `EXCEPT: [...]` removes forms from a token (a LEMMA's "pagas": you pay). A rule's
`in_ad` (words, "several words" or "@list") keeps it only in ads that hold one of them
anywhere (every word of a several-word entry): the context that makes an everyday phrase
("buen sueldo") part of a suspicious offer. `merge_lexicons` joins the lexicons of several
files (a rules version made of a base file and vocabulary files). A file's `lists_from:
<file>` (a sibling) takes that file's lists, number words, multipliers, conjugations and
negation cues, its own entries winning: a later vocabulary file builds on an earlier one's
lists without repeating them.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

from corpora.normalize import fold_text
from corpora.taxonomy import Taxonomy
from corpora.yamlload import SafeLoader

PATTERNS_DIR = Path(__file__).with_name("patterns")
_ALLOWED_RULE_KEYS = {"phrase", "pattern", "negatable", "not_preceded_by", "not_followed_by",
                      "not_in_ad", "in_ad", "not_in_countries", "only_in_countries", "score",
                      "note"}
_NEGATABLE = {True: "true", False: "false", "true": "true", "false": "false", "before": "before"}
_DEFAULT_MULTIPLIERS = {"mil": 1000.0, "k": 1000.0}


log = logging.getLogger(__name__)


class _PatternLoader(SafeLoader):  # libyaml's C parser when installed
    """YAML 1.2 booleans: only true/false, so the words "no", "si", "on" stay words."""


_PatternLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_PatternLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))


def _no_duplicate_keys(loader: _PatternLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    """A mapping whose keys are unique: a repeated key (a second `negatable:`) is an error,
    not a silent overwrite."""
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_PatternLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicate_keys)


class PatternFileError(ValueError):
    """A pattern file is not valid; the message names the file, indicator and rule."""


@dataclass(frozen=True)
class Rule:
    indicator: str
    key: str  # unique Matcher key, e.g. "FEE_OR_DEBT#3"
    tokens: list[dict[str, Any]]
    negatable: str = "true"  # "true", "before" (only cues before the match) or "false"
    score: float = 0.9
    amount_min: int | None = None  # some number in the match must be worth this much
    not_preceded_by: frozenset[str] = frozenset()
    not_followed_by: frozenset[str] = frozenset()
    not_in_ad: frozenset[str] = frozenset()  # words that, anywhere in the ad, drop the rule
    # words (several words joined by a space) of which one must be in the ad, when given
    in_ad: frozenset[str] = frozenset()
    not_in_countries: frozenset[str] = frozenset()  # ISO codes where the rule does not apply
    only_in_countries: frozenset[str] = frozenset()  # if set, the only countries where it does


@dataclass
class Lexicon:
    lang: str
    rules: list[Rule] = field(default_factory=list)
    unless: dict[str, list[Rule]] = field(default_factory=dict)
    negation_cues: frozenset[str] = frozenset()
    negation_window: int = 3
    # Folded token sequences that start with a cue but are not negations ("no importa").
    pseudo_negations: tuple[tuple[str, ...], ...] = ()
    # Words closing a list that one cue negates: "no cobramos inscripción, examen ni visa".
    list_joiners: frozenset[str] = frozenset()
    number_words: dict[str, int] = field(default_factory=dict)
    multipliers: dict[str, float] = field(default_factory=lambda: dict(_DEFAULT_MULTIPLIERS))
    # Tokens that end a negation's reach: "sin experiencia, pasaje pagado" is not negated.
    # They are compared with the token as written (lowercased), not folded.
    clause_breaks: frozenset[str] = frozenset(".;:!?¡¿\n")


# Currency signs written against the digits, as folded: dollars, Dominican pesos, reais,
# balboas, soles, euros, colones, quetzales ("q3,500", "s/250", "rd$6,000").
_CURRENCY_PREFIXES = ("us$", "u$s", "rd$", "r$", "b/.", "s/.", "s/", "$", "€", "₡", "q")
_DIGITS = r"\d{1,3}(?:(?:[.,]\d{3})+|\d*)(?:[.,]\d{1,2})?(?:mil|k)?$"


def _number_regex(prefixes: tuple[str, ...] = _CURRENCY_PREFIXES, required: bool = False) -> str:
    signs = "|".join(re.escape(p) for p in sorted(prefixes, key=len, reverse=True))
    return rf"^(?:{signs}){'' if required else '?'}{_DIGITS}"


_NUMBER_TOKEN = _number_regex()


def amount_in(tokens: list[str], number_words: dict[str, int],
              multipliers: dict[str, float] | None = None) -> float | None:
    """The largest amount written in folded `tokens`: "4 mil" -> 4000, "dos mil" -> 2000."""
    multipliers = _DEFAULT_MULTIPLIERS if multipliers is None else multipliers
    best = None
    for i, text in enumerate(tokens):
        value = _value_of_amount(text)
        if value is None:
            value = number_words.get(text)
        if value is None:
            continue
        if i + 1 < len(tokens) and tokens[i + 1] in multipliers:
            value *= multipliers[tokens[i + 1]]
        best = value if best is None else max(best, value)
    return best


def value_of_amount(token_text: str) -> float | None:
    """The value of a number token: "3.000" -> 3000, "15mil" -> 15000, "1,5" -> 1.5."""
    return _value_of_amount(token_text)


@lru_cache(maxsize=65_536)  # a pure function of the token, asked again and again
def _value_of_amount(token_text: str) -> float | None:
    text = token_text.lower()
    for prefix in _CURRENCY_PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
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
        self.number_words: dict[str, int] = {}
        for word, value in (data.get("numbers") or {}).items():
            self.numbers.setdefault(int(value), set()).add(fold_text(str(word)))
            self.number_words[fold_text(str(word))] = int(value)
        # A number token: digits as ads write them, or a number word of the `numbers` list.
        words = "|".join(sorted((re.escape(w) for w in self.number_words if " " not in w),
                                key=len, reverse=True))
        self.amount_regex = _NUMBER_TOKEN + (f"|^(?:{words})$" if words else "")
        self.conjugations = {fold_text(str(k)): [fold_text(str(e)) for e in v]
                             for k, v in (data.get("conjugations") or {}).items()}
        self.multipliers = dict(_DEFAULT_MULTIPLIERS)
        for word, factor in (data.get("multipliers") or {}).items():
            self.multipliers[fold_text(str(word))] = float(factor)

    def read_lists(self, data: dict, tokenizer) -> None:
        """The `lists` section: name -> [(countries where the entry is local, its folded
        tokens)]; a plain list has no countries."""
        self.lists: dict[str, list[tuple[frozenset[str], tuple[str, ...]]]] = {}
        lists = data.get("lists") or {}
        if not isinstance(lists, dict):
            raise PatternFileError(f"{self.where}: 'lists' must map list names to words")
        for name, entries in lists.items():
            by_country = entries.items() if isinstance(entries, dict) else [("", entries)]
            out = []
            for countries, words in by_country:
                if not isinstance(words, list):
                    raise PatternFileError(f"{self.where}: lists.{name} must hold word lists")
                codes = frozenset(str(countries).upper().split())
                for word in words:
                    tokens = tuple(t.text for t in tokenizer(fold_text(str(word))))
                    if tokens:
                        out.append((codes, tokens))
            self.lists[str(name)] = out

    def list_variants(self, name: str) -> list[tuple[frozenset[str], list[dict[str, Any]]]]:
        """One (countries, token specs) per country key and entry length of list `name`:
        the entries of one key and length become that many tokens of word sets."""
        if name not in self.lists:
            raise ValueError(f"no list {name!r} in 'lists'")
        groups: dict[tuple[frozenset[str], int], list[tuple[str, ...]]] = {}
        for codes, tokens in self.lists[name]:
            groups.setdefault((codes, len(tokens)), []).append(tokens)
        return [(codes, [{"LOWER": {"IN": sorted({e[i] for e in entries})}}
                         for i in range(length)])
                for (codes, length), entries in sorted(groups.items(), key=lambda g: (
                    sorted(g[0][0]), g[0][1]))]

    def context_words(self, values: list[Any]) -> frozenset[str]:
        """`in_ad` values: folded words or phrases (tokens joined by a space), `@list`
        standing for every entry of that list."""
        out: set[str] = set()
        for value in map(str, values):
            if value.startswith("@"):
                if value[1:] not in self.lists:
                    raise ValueError(f"no list {value[1:]!r} in 'lists'")
                out.update(" ".join(tokens) for _, tokens in self.lists[value[1:]])
            else:
                out.update(self.words(value))
        return frozenset(out)

    def regular_forms(self, lemma: str) -> set[str]:
        """Forms of a verb the lemma tables lack ("bancar"), from the file's `conjugations`
        (infinitive ending -> endings of every person and tense); else the lemma alone."""
        for ending, endings in self.conjugations.items():
            if lemma.endswith(ending):
                stem = lemma[: -len(ending)]
                return {lemma} | {stem + e for e in endings}
        return {lemma}

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
        excluded = {w for v in spec.get("EXCEPT", []) for w in self.words(str(v))}
        for key, value in spec.items():
            if key == "EXCEPT":
                continue
            if key == "LEMMA":
                lemmas = value["IN"] if isinstance(value, dict) else [value]
                for lemma in lemmas:
                    forms = self.lemma_forms.get(fold_text(lemma))
                    words.update(forms if forms and len(forms) > 1
                                 else self.regular_forms(fold_text(lemma)))
            elif key == "AGE":
                low, high = value
                for n in range(int(low), int(high) + 1):
                    words.add(str(n))
                    words.update(self.numbers.get(n, ()))
            elif key == "AMOUNT_MIN":
                # The token must look like a number; its value is checked after matching.
                currency = spec.get("CURRENCY")
                out["LOWER"] = {"REGEX": self.amount_regex if not currency else _number_regex(
                    tuple(fold_text(str(c)) for c in currency), required=True)}
                self.amount_min = max(self.amount_min or 0, int(value))
            elif key == "CURRENCY":
                if "AMOUNT_MIN" not in spec:
                    raise ValueError("CURRENCY goes with AMOUNT_MIN in the same token")
            elif key in ("LOWER", "ORTH", "NORM", "TEXT"):
                values = value["IN"] if isinstance(value, dict) and "IN" in value else value
                if isinstance(values, str):
                    values = [values]
                if isinstance(values, list):
                    for v in values:
                        words.update(self.words(str(v)))
                elif isinstance(value, dict) and isinstance(value.get("NOT_IN"), list):
                    out["LOWER"] = {"NOT_IN": sorted(
                        {w for v in value["NOT_IN"] for w in self.words(str(v))})}
                else:
                    out["LOWER"] = value  # e.g. {"REGEX": ...}
            else:
                out[key] = value
        words -= excluded
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
                    lemmas = value["IN"] if isinstance(value, dict) else [value]
                    found.update(fold_text(v) for v in lemmas)
                else:
                    visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(data.get("indicators") or {})
    visit(data.get("unless") or {})
    return frozenset(found)


def load_lexicon(lang: str, taxonomy: Taxonomy, tokenizer,
                 path: Path | None = None,
                 extra: Mapping[str, Sequence[dict[str, Any]]] | None = None) -> Lexicon:
    """Read and compile patterns/<lang>.yaml; errors name file, indicator and rule.
    `extra` adds rules per indicator after the file's (learned phrases, models/rules/learned.py)."""
    path = path or PATTERNS_DIR / f"{lang}.yaml"
    where = str(path)
    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), _PatternLoader) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PatternFileError(f"{where}: cannot read pattern file: {exc}") from exc
    _read_lists_from(data, Path(path))
    for indicator, rules in (extra or {}).items():
        data.setdefault("indicators", {})
        data["indicators"][indicator] = [*(data["indicators"].get(indicator) or []), *rules]
    if data.get("lang") != lang:
        raise PatternFileError(f"{where}: 'lang' must be {lang!r}")
    indicators = data.get("indicators") or {}
    unless = data.get("unless") or {}
    for section, ids in (("indicators", indicators), ("unless", unless)):
        if not isinstance(ids, dict):
            raise PatternFileError(f"{where}: {section!r} must map indicator ids to rules")
        for indicator in ids:
            if indicator not in taxonomy.ids:
                raise PatternFileError(
                    f"{where}: {section}.{indicator}: unknown indicator id; the taxonomy has "
                    f"{', '.join(taxonomy.ids)}")
    compiler = _Compiler(lang, data, where, _lemma_forms(lang, _needed_lemmas(data)))
    compiler.read_lists(data, tokenizer)
    negation = data.get("negation") or {}
    lexicon = Lexicon(
        lang=lang,
        negation_cues=frozenset(w for cue in negation.get("cues", []) for w in compiler.words(cue)),
        negation_window=int(negation.get("window", 3)),
        pseudo_negations=tuple(tuple(t.text for t in tokenizer(fold_text(str(p))))
                               for p in negation.get("pseudo", [])),
        number_words=compiler.number_words,
        multipliers=compiler.multipliers,
        list_joiners=frozenset(
            w for j in negation.get("list_joiners", []) for w in compiler.words(j)),
    )
    if "breaks" in negation:
        # Lowercased, not folded: Portuguese "e" (and) ends a clause, "é" (is) does not.
        lexicon.clause_breaks = frozenset(
            str(b).lower() for b in negation["breaks"]) | frozenset("\n")
    for section, target in (("indicators", lexicon.rules), ("unless", None)):
        for indicator, rules in (data.get(section) or {}).items():
            if not isinstance(rules, list):
                raise PatternFileError(f"{where}: {section}.{indicator} must be a list of rules")
            for n, rule in enumerate(rules, 1):
                for compiled in _compile_rules(compiler, tokenizer, indicator, section, n, rule):
                    if target is not None:
                        target.append(compiled)
                    else:
                        lexicon.unless.setdefault(indicator, []).append(compiled)
    _validate_patterns(lexicon, tokenizer.vocab, where)
    return lexicon


# What a pattern file takes from the file named by its `lists_from` (a later vocabulary
# file reusing an earlier one's word lists); its own entries win.
SHARED_SECTIONS = ("lists", "numbers", "multipliers", "conjugations", "negation")


def _lists_from(data: dict, path: Path) -> Path | None:
    name = data.get("lists_from")
    return None if name is None else path.parent / str(name)


def _read_lists_from(data: dict, path: Path) -> None:
    """Merge into `data` the SHARED_SECTIONS of the file its `lists_from` names."""
    source = _lists_from(data, path)
    if source is None:
        return
    try:
        shared = yaml.load(source.read_text(encoding="utf-8"), _PatternLoader) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PatternFileError(f"{path}: lists_from {source.name}: cannot read it: {exc}") \
            from exc
    for section in SHARED_SECTIONS:
        if section in shared:
            data[section] = {**shared[section], **(data.get(section) or {})}


def _validate_patterns(lexicon: Lexicon, vocab, where: str) -> None:
    """spaCy's own check of every compiled token pattern (done once per compiled file)."""
    from spacy.matcher import Matcher

    matcher = Matcher(vocab, validate=True)
    for rule in lexicon.rules + [r for rs in lexicon.unless.values() for r in rs]:
        try:
            matcher.add(rule.key, [rule.tokens])
        except ValueError as exc:
            section, _, n = rule.key.partition("#")
            raise PatternFileError(f"{where}: {section.replace(':', '.')} rule {n}: "
                                   f"not a valid token pattern: {exc}") from exc


def lexicon_cache_key(path: Path, taxonomy: Taxonomy,
                      extra: Mapping[str, Sequence[dict[str, Any]]] | None = None) -> str:
    """sha256 of all a compiled pattern file depends on: the file, the `extra` rules, the
    taxonomy's ids, this compiler's source and the spaCy and spacy-lookups-data versions."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256()
    content = Path(path).read_bytes()
    digest.update(content)
    # parsed only when it may name a sibling: keys are computed at every start-up
    source = _lists_from(yaml.load(content, _PatternLoader) or {}, Path(path)) \
        if b"lists_from" in content else None
    if source is not None:
        digest.update(b"\0" + source.read_bytes())
    digest.update(b"\0" + json.dumps(extra or {}, sort_keys=True, ensure_ascii=False).encode())
    digest.update(b"\0" + " ".join(taxonomy.ids).encode())
    digest.update(b"\0" + Path(__file__).read_bytes())
    for package in ("spacy", "spacy-lookups-data"):
        try:
            digest.update(f"\0{package}={version(package)}".encode())
        except PackageNotFoundError:
            digest.update(f"\0{package}=none".encode())
    return digest.hexdigest()


def cached_lexicon(lang: str, taxonomy: Taxonomy, tokenizer, path: Path,
                   cache_dir: Path | None,
                   extra: Mapping[str, Sequence[dict[str, Any]]] | None = None) -> Lexicon:
    """`load_lexicon`, kept as JSON in `cache_dir` under its `lexicon_cache_key`; None (or
    a folder that cannot be written) compiles every time."""
    if cache_dir is None:
        return load_lexicon(lang, taxonomy, tokenizer, path, extra)
    try:
        key = lexicon_cache_key(path, taxonomy, extra)
    except OSError as exc:
        raise PatternFileError(f"{path}: cannot read pattern file: {exc}") from exc
    cached = Path(cache_dir) / f"rules-{lang}-{key}.json"
    try:
        return lexicon_from_json(json.loads(cached.read_text(encoding="utf-8")))
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("compiled rules cache %s unreadable (%s): compiling again", cached, exc)
    lexicon = load_lexicon(lang, taxonomy, tokenizer, path, extra)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        descriptor, staging = tempfile.mkstemp(dir=cached.parent, prefix=".rules-")
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump(lexicon_to_json(lexicon), out, ensure_ascii=False)
        os.replace(staging, cached)  # whole or not at all, also with two writers
    except OSError as exc:
        log.warning("cannot keep compiled rules in %s: %s", cached.parent, exc)
    return lexicon


def lexicon_to_json(lexicon: Lexicon) -> dict[str, Any]:
    """A compiled lexicon as JSON-able data (sets as sorted lists)."""
    def plain(value: Any) -> Any:
        if isinstance(value, (set, frozenset)):
            return sorted(value)
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value
    return plain(asdict(lexicon))


def lexicon_from_json(data: dict[str, Any]) -> Lexicon:
    def rule(r: dict[str, Any]) -> Rule:
        return Rule(**{k: frozenset(v) if k in _RULE_SETS else v for k, v in r.items()})

    return Lexicon(
        lang=data["lang"],
        rules=[rule(r) for r in data["rules"]],
        unless={k: [rule(r) for r in rs] for k, rs in data["unless"].items()},
        negation_cues=frozenset(data["negation_cues"]),
        negation_window=int(data["negation_window"]),
        pseudo_negations=tuple(tuple(p) for p in data["pseudo_negations"]),
        list_joiners=frozenset(data["list_joiners"]),
        number_words=dict(data["number_words"]),
        multipliers=dict(data["multipliers"]),
        clause_breaks=frozenset(data["clause_breaks"]),
    )


_RULE_SETS = frozenset({"not_preceded_by", "not_followed_by", "not_in_ad", "in_ad",
                        "not_in_countries", "only_in_countries"})


def merge_lexicons(lexicons: list[Lexicon], names: list[str]) -> Lexicon:
    """One lexicon from a base file's and further files' (a rules version): negation and
    clause settings of the first, the rules of all (keys prefixed by `names[i]` after the
    first so they stay unique), number words and multipliers of all."""
    base, *more = lexicons
    merged = replace(base, rules=list(base.rules), unless={k: list(v) for k, v in
                                                           base.unless.items()},
                     number_words=dict(base.number_words), multipliers=dict(base.multipliers))
    for name, lexicon in zip(names[1:], more, strict=True):
        merged.rules.extend(replace(r, key=f"{name}/{r.key}") for r in lexicon.rules)
        for indicator, rules in lexicon.unless.items():
            merged.unless.setdefault(indicator, []).extend(
                replace(r, key=f"{name}/{r.key}") for r in rules)
        merged.number_words.update(lexicon.number_words)
        merged.multipliers.update(lexicon.multipliers)
    return merged


def _list_expansions(compiler: _Compiler, pattern: list[dict[str, Any]], tokenizer
                     ) -> list[tuple[frozenset[str], list[dict[str, Any]]]]:
    """The token patterns a pattern with `LIST` tokens stands for, each with the countries
    where it does not apply (a pattern without lists is itself, applying everywhere)."""
    choices = []
    for spec in pattern:
        if "LIST" not in spec:
            choices.append(_inline_variants(spec, tokenizer))
            continue
        if set(spec) != {"LIST"}:
            raise ValueError("a LIST token takes no other key")
        choices.append(compiler.list_variants(str(spec["LIST"])))
    return [(frozenset().union(*(codes for codes, _ in combo)),
             [token for _, tokens in combo for token in tokens])
            for combo in itertools.product(*choices)]


def _inline_variants(spec: dict[str, Any], tokenizer
                     ) -> list[tuple[frozenset[str], list[dict[str, Any]]]]:
    """A token whose `LOWER: {IN: [...]}` holds entries of several words ("visa de
    trabajo") stands, like a list, for one token sequence per entry length (with `OP: "?"`
    also for none); any other token is itself."""
    values = spec.get("LOWER")
    values = values.get("IN") if isinstance(values, dict) else None
    if not isinstance(values, list) or not any(" " in str(v).strip() for v in values):
        return [(frozenset(), [spec])]
    if not set(spec) <= {"LOWER", "OP"} or spec.get("OP", "?") != "?":
        raise ValueError(f"entries of several words ({[v for v in values if ' ' in str(v)]})"
                         " go in a token with LOWER: {IN: [...]} alone (and OP: '?' at most)")
    by_length: dict[int, set[tuple[str, ...]]] = {}
    for value in values:
        tokens = tuple(t.text for t in tokenizer(fold_text(str(value))))
        by_length.setdefault(len(tokens), set()).add(tokens)
    variants = [(frozenset(), [{"LOWER": {"IN": sorted({e[i] for e in entries})}}
                               for i in range(length)])
                for length, entries in sorted(by_length.items())]
    return variants + ([(frozenset(), [])] if "OP" in spec else [])


def _compile_rules(compiler: _Compiler, tokenizer, indicator: str, section: str, n: int,
                   rule: Any) -> list[Rule]:
    """The compiled rules of one rule of a file: one, or one per list variant."""
    label = f"{compiler.where}: {section}.{indicator} rule {n}"
    if not isinstance(rule, dict) or not rule.keys() <= _ALLOWED_RULE_KEYS \
            or ("phrase" in rule) == ("pattern" in rule):
        raise PatternFileError(f"{label}: a rule is a mapping with exactly one of "
                               f"'phrase' or 'pattern' (and optional negatable, score, note)")
    pattern = rule.get("pattern")
    if "pattern" in rule and (not isinstance(pattern, list)
                              or not all(isinstance(t, dict) for t in pattern)):
        raise PatternFileError(f"{label}: 'pattern' must be a list of token mappings")
    try:
        variants = [(frozenset(), None)] if pattern is None else \
            _list_expansions(compiler, pattern, tokenizer)
        in_ad = compiler.context_words(rule.get("in_ad", []))
    except ValueError as exc:
        raise PatternFileError(f"{label}: {exc}") from exc
    if not isinstance(rule.get("in_ad", []), list):
        raise PatternFileError(f"{label}: 'in_ad' must be a list of words")
    out = []
    for v, (countries, tokens) in enumerate(variants):
        compiled = _compile_rule(compiler, tokenizer, indicator, section, n, rule, tokens)
        out.append(replace(compiled, key=compiled.key + (f".{v}" if len(variants) > 1 else ""),
                           in_ad=in_ad,
                           not_in_countries=compiled.not_in_countries | countries))
    return out


def _compile_rule(compiler: _Compiler, tokenizer, indicator: str, section: str, n: int,
                  rule: dict[str, Any], pattern: list[dict[str, Any]] | None) -> Rule:
    label = f"{compiler.where}: {section}.{indicator} rule {n}"
    compiler.start_rule()
    if pattern is None:
        tokens = compiler.phrase_tokens(str(rule["phrase"]), tokenizer)
    else:
        try:
            tokens = [compiler.token(t) for t in pattern]
        except (ValueError, TypeError) as exc:
            raise PatternFileError(f"{label}: {exc}") from exc
    if not tokens:
        raise PatternFileError(f"{label}: the rule is empty")
    negatable = _NEGATABLE.get(rule.get("negatable", True))
    if negatable is None:
        raise PatternFileError(f"{label}: 'negatable' must be true, false or before")
    context: dict[str, frozenset[str]] = {}
    for name in ("not_preceded_by", "not_followed_by", "not_in_ad"):
        words = rule.get(name, [])
        if not isinstance(words, list):
            raise PatternFileError(f"{label}: {name!r} must be a list of words")
        context[name] = frozenset(w for word in words for w in compiler.words(str(word)))
    for name in ("not_in_countries", "only_in_countries"):
        countries = rule.get(name, [])
        if not isinstance(countries, list):
            raise PatternFileError(f"{label}: {name!r} must be a list of country codes")
        context[name] = frozenset(str(c).upper() for c in countries)
    key = f"{section}:{indicator}#{n}"
    return Rule(indicator=indicator, key=key, tokens=tokens,
                negatable=negatable, score=float(rule.get("score", 0.9)),
                amount_min=compiler.amount_min, **context)

