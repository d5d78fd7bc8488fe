"""The corpus validator: record checks, label counts, the seed-corpus thresholds,
near-duplicates and the stored splits, gathered in one report.

Errors make the corpus unusable as it is (bad JSON, a span that does not match its text,
an unknown indicator, a duplicate id, a long sentence shared by two ads, a split that
leaks a near-duplicate, a threshold of the seed-corpus issue not met); warnings are worth
a look: departures from the record format and labelling policy of
annotation/guidelines/README.md (indicators out of taxonomy order, spans unsorted,
overlapping or untrimmed, a risk that does not fit the kind, a country that does not fit
the language) and near-duplicate pairs by MinHash. Counts and thresholds cover the
hand-written ads only; augmented ads, when loaded, get the record checks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from corpora.corpus import (
    SPLIT_NAMES,
    SPLITS_PATH,
    Corpus,
    CorpusEntry,
    CorpusError,
    Splits,
    read_splits,
)
from corpora.duplicates import (
    SharedSentence,
    SimilarPair,
    find_shared_sentences,
    find_similar_pairs,
    near_duplicate_groups,
    words,
)
from corpora.records import RISK_LEVELS, SUPPORTED_LANGS, Kind, LabelledAd
from corpora.taxonomy import Taxonomy, load_taxonomy

Severity = Literal["error", "warning"]

# ISO 3166-1 alpha-2 codes of countries where Spanish is an official language.
SPANISH_SPEAKING = frozenset(
    "AR BO CL CO CR CU DO EC ES GQ GT HN MX NI PA PE PR PY SV UY VE".split())
PORTUGUESE_SPEAKING = frozenset("AO BR CV GW MZ PT ST TL".split())
KINDS: tuple[str, ...] = get_args(Kind)
_SPAN_EDGE = " \t\n.,;:!?¡¿"


@dataclass(frozen=True)
class Thresholds:
    """The seed-corpus targets and limits the checker applies (issue "Seed corpus")."""

    min_words: int = 8  # wave 2 has one-line notices (wave 1 ads are 15+ words)
    max_words: int = 250
    min_ads_per_lang: int = 600
    min_spanish_countries: int = 10
    min_ads_per_indicator: int = 40
    kind_shares: tuple[tuple[str, float], ...] = (
        ("legit", 0.45), ("hard_negative", 0.20), ("deceptive", 0.35))
    kind_share_tolerance: float = 0.05
    shared_sentence_words: int = 9
    similarity: float = 0.5


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a look) in the corpus; `location` is file:line when known."""

    severity: Severity
    code: str
    message: str
    location: str | None = None
    ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ThresholdCheck:
    name: str
    passed: bool
    detail: str


@dataclass
class CorpusReport:
    """What `check_corpus` found. `counts[dimension][lang][value]` for dimension in
    country, source, kind, risk, indicator; `split_counts[split][lang][kind]`."""

    files: list[str]
    ads: int
    augmented: int
    ads_per_lang: dict[str, int]
    counts: dict[str, dict[str, dict[str, int]]]
    checks: list[ThresholdCheck] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    similar_pairs: list[SimilarPair] = field(default_factory=list)
    shared_sentences: list[SharedSentence] = field(default_factory=list)
    split_counts: dict[str, dict[str, dict[str, int]]] | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when there is no hard error (warnings allowed)."""
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(ok=self.ok, errors=len(self.errors), warnings=len(self.warnings))
        return data


def check_corpus(corpus: Corpus, *, taxonomy: Taxonomy | None = None,
                 thresholds: Thresholds = Thresholds(),
                 splits_path: Path | None = SPLITS_PATH) -> CorpusReport:
    """Check a loaded corpus and, if `splits_path` is given, its stored splits."""
    taxonomy = taxonomy or load_taxonomy()
    seed = [entry for entry in corpus.entries if not entry.augmented]
    problems = [Problem("error", "invalid_record", p.message, p.location)
                for p in corpus.problems]
    problems += _check_ids(corpus.entries)
    for entry in corpus.entries:
        problems += _check_entry(entry, taxonomy, thresholds)
    unique = _unique(seed)
    texts = {entry.ad.id: entry.ad.text for entry in unique}
    where = {entry.ad.id: entry.location for entry in unique}

    def located(ids: tuple[str, ...]) -> str:
        return ", ".join(f"{ad_id} ({where[ad_id]})" for ad_id in ids)

    shared = find_shared_sentences(texts, thresholds.shared_sentence_words)
    problems += [Problem("error", "shared_sentence",
                         f"ads {located(s.ids)} share a sentence of {len(words(s.sentence))} "
                         f"words: {s.sentence!r}", where[s.ids[0]], s.ids) for s in shared]
    pairs = find_similar_pairs(texts, thresholds.similarity)
    problems += [Problem("warning", "near_duplicate",
                         f"ads {located((p.a, p.b))}: MinHash Jaccard estimate "
                         f"{p.similarity:.2f} >= {thresholds.similarity}", where[p.a], (p.a, p.b))
                 for p in pairs]
    report = CorpusReport(
        files=[str(path) for path in corpus.files], ads=len(seed),
        augmented=len(corpus.entries) - len(seed),
        ads_per_lang={lang: sum(e.ad.lang == lang for e in seed) for lang in SUPPORTED_LANGS},
        counts=count_labels(seed, taxonomy), similar_pairs=pairs, shared_sentences=shared)
    report.checks = _threshold_checks(report, taxonomy, thresholds)
    problems += [Problem("error", "threshold", f"{c.name}: {c.detail}")
                 for c in report.checks if not c.passed]
    if splits_path is not None:
        split_problems, report.split_counts = check_splits(
            [entry.ad for entry in unique], Path(splits_path))
        problems += split_problems
    report.problems = problems
    return report


def count_labels(entries: list[CorpusEntry],
                 taxonomy: Taxonomy) -> dict[str, dict[str, dict[str, int]]]:
    """Counts per language of country, source, kind, risk and indicator (an indicator counts
    once per ad; every taxonomy id is listed, zeros included)."""
    counts: dict[str, dict[str, Counter[str]]] = {
        dim: {lang: Counter() for lang in SUPPORTED_LANGS}
        for dim in ("country", "source", "kind", "risk", "indicator")}
    for entry in entries:
        ad = entry.ad
        for dim in ("country", "source", "kind", "risk"):
            counts[dim][ad.lang][getattr(ad, dim)] += 1
        counts["indicator"][ad.lang].update(set(ad.indicators))
    result = {dim: {lang: dict(counter.most_common()) for lang, counter in by_lang.items()}
              for dim, by_lang in counts.items()}
    for lang in SUPPORTED_LANGS:
        result["indicator"][lang] = {i: counts["indicator"][lang][i] for i in taxonomy.ids}
        result["risk"][lang] = {r: counts["risk"][lang][r] for r in RISK_LEVELS}
        result["kind"][lang] = {k: counts["kind"][lang][k] for k in KINDS}
    return result


def _unique(entries: list[CorpusEntry]) -> list[CorpusEntry]:
    seen: set[str] = set()
    kept = []
    for entry in entries:
        if entry.ad.id not in seen:
            seen.add(entry.ad.id)
            kept.append(entry)
    return kept


def _check_ids(entries: list[CorpusEntry]) -> list[Problem]:
    where: dict[str, list[str]] = {}
    for entry in entries:
        where.setdefault(entry.ad.id, []).append(entry.location)
    return [Problem("error", "duplicate_id", f"id {ad_id!r} is used {len(locs)} times: "
                    + ", ".join(locs), locs[1], (ad_id,))
            for ad_id, locs in where.items() if len(locs) > 1]


def _check_entry(entry: CorpusEntry, taxonomy: Taxonomy, limits: Thresholds) -> list[Problem]:
    ad, loc = entry.ad, entry.location
    found: list[Problem] = []

    def add(severity: Severity, code: str, message: str) -> None:
        found.append(Problem(severity, code, f"ad {ad.id!r}: {message}", loc, (ad.id,)))

    known = set(taxonomy.ids)
    unknown = sorted((set(ad.indicators) | set(ad.evidence)) - known)
    if unknown:
        add("error", "unknown_indicator", f"unknown indicator ids {unknown}")
    repeated = sorted(i for i, n in Counter(ad.indicators).items() if n > 1)
    if repeated:
        add("error", "repeated_indicator", f"indicators listed twice: {repeated}")
    if set(ad.evidence) != set(ad.indicators):
        add("error", "evidence_keys",
            f"indicators without evidence {sorted(set(ad.indicators) - set(ad.evidence))}, "
            f"evidence for unlisted indicators {sorted(set(ad.evidence) - set(ad.indicators))}")
    order = {ind: n for n, ind in enumerate(taxonomy.ids)}
    ranks = [order[i] for i in ad.indicators if i in order]
    if ranks != sorted(ranks):
        add("warning", "indicator_order", "indicators are not in taxonomy order")
    for indicator, spans in ad.evidence.items():
        if not spans:
            add("error", "evidence_empty", f"{indicator} has an empty evidence list")
        starts = [span.start for span in spans]
        if starts != sorted(starts):
            add("warning", "evidence_order", f"{indicator} spans are not sorted by start")
        ordered = sorted(spans, key=lambda span: span.start)
        if any(a.end > b.start for a, b in zip(ordered, ordered[1:])):
            add("warning", "evidence_overlap", f"{indicator} spans overlap")
        for span in spans:
            actual = ad.text[span.start:span.end]
            if span.end > len(ad.text) or actual != span.text:
                add("error", "evidence_offset",
                    f"{indicator} span [{span.start}:{span.end}] is {actual!r} in the text, "
                    f"not {span.text!r}")
            elif span.text.strip(_SPAN_EDGE) != span.text:
                add("warning", "evidence_trim",
                    f"{indicator} span {span.text!r} starts or ends with space or punctuation")
    n_words = len(words(ad.text))
    if not limits.min_words <= n_words <= limits.max_words:
        add("error", "word_count",
            f"{n_words} words, outside {limits.min_words}-{limits.max_words}")
    if ad.country not in {"es": SPANISH_SPEAKING, "pt": PORTUGUESE_SPEAKING}[ad.lang]:
        add("warning", "country_lang", f"country {ad.country} for a {ad.lang} ad")
    if (ad.kind == "deceptive") == (ad.risk == "low"):
        add("warning", "risk_kind", f"kind {ad.kind} with risk {ad.risk} (policy: legit and "
            "hard_negative ads are low, deceptive ones medium or high)")
    return found


def _threshold_checks(report: CorpusReport, taxonomy: Taxonomy,
                      limits: Thresholds) -> list[ThresholdCheck]:
    checks = []
    for lang in SUPPORTED_LANGS:
        n = report.ads_per_lang[lang]
        checks.append(ThresholdCheck(f"{lang}: ads >= {limits.min_ads_per_lang}",
                                     n >= limits.min_ads_per_lang, f"{n} ads"))
    countries = sorted(set(report.counts["country"]["es"]) & SPANISH_SPEAKING)
    checks.append(ThresholdCheck(
        f"es: Spanish-speaking countries >= {limits.min_spanish_countries}",
        len(countries) >= limits.min_spanish_countries,
        f"{len(countries)} countries ({' '.join(countries)})"))
    for lang in SUPPORTED_LANGS:
        per = report.counts["indicator"][lang]
        short = [f"{i} {per[i]}" for i in taxonomy.ids if per[i] < limits.min_ads_per_indicator]
        checks.append(ThresholdCheck(
            f"{lang}: every indicator in >= {limits.min_ads_per_indicator} ads", not short,
            "below: " + ", ".join(short) if short else f"lowest {min(per.values(), default=0)}"))
    for lang in SUPPORTED_LANGS:
        n = report.ads_per_lang[lang] or 1
        kinds = report.counts["kind"][lang]
        off = [f"{kind} {kinds.get(kind, 0) / n:.1%}" for kind, share in limits.kind_shares
               if abs(kinds.get(kind, 0) / n - share) > limits.kind_share_tolerance]
        target = "/".join(f"{share:.0%}" for _, share in limits.kind_shares)
        shares = "/".join(f"{kinds.get(kind, 0) / n:.1%}" for kind, _ in limits.kind_shares)
        checks.append(ThresholdCheck(
            f"{lang}: kind shares {target} (±{limits.kind_share_tolerance:.0%})", not off,
            ("off target: " + ", ".join(off)) if off else shares))
    return checks


def check_splits(ads: list[LabelledAd], path: Path,
                 ) -> tuple[list[Problem], dict[str, dict[str, dict[str, int]]] | None]:
    """Check a splits file against the ads: each ad in exactly one split, no unknown id, no
    near-duplicate group (at the file's own threshold) across splits. Also returns the
    counts per split, language and kind (None when the file is missing or unreadable)."""
    if not path.exists():
        return [Problem("warning", "splits_missing",
                        "no splits file; make one with `centinela corpus split`",
                        str(path))], None
    try:
        splits = read_splits(path)
    except CorpusError as exc:
        return [Problem("error", "splits_invalid", str(exc), str(path))], None
    loc = str(path)
    by_id = {ad.id: ad for ad in ads}
    where = splits.splits_by_id()
    problems = []
    twice = sorted(i for i, names in where.items() if len(names) > 1)
    if twice:
        problems.append(Problem("error", "splits_overlap",
                                f"{len(twice)} ads are in more than one split: {_few(twice)}",
                                loc, tuple(twice)))
    unknown = sorted(set(where) - set(by_id))
    if unknown:
        problems.append(Problem("error", "splits_unknown_id",
                                f"{len(unknown)} ids are not in the corpus: {_few(unknown)}",
                                loc, tuple(unknown)))
    missing = [ad_id for ad_id in by_id if ad_id not in where]
    if missing:
        problems.append(Problem("error", "splits_missing_ad",
                                f"{len(missing)} ads are in no split: {_few(missing)}",
                                loc, tuple(missing)))
    texts = {ad_id: ad.text for ad_id, ad in by_id.items()}
    for group in near_duplicate_groups(texts, splits.near_duplicate_threshold):
        names = sorted({name for ad_id in group for name in where.get(ad_id, [])})
        if len(names) > 1:
            problems.append(Problem(
                "error", "splits_leak",
                f"near-duplicate group {_few(group)} crosses splits {names}", loc, tuple(group)))
    return problems, count_splits(splits, ads)


def count_splits(splits: Splits, ads: Iterable[LabelledAd]) -> dict[str, dict[str, dict[str, int]]]:
    """Ads per split, language and kind (`counts[split][lang][kind]`); ids not among `ads`
    are not counted."""
    by_id = {ad.id: ad for ad in ads}
    counts = {name: {lang: {kind: 0 for kind in KINDS} for lang in SUPPORTED_LANGS}
              for name in SPLIT_NAMES}
    for name in SPLIT_NAMES:
        for ad_id in splits.ids[name]:
            if ad_id in by_id:
                counts[name][by_id[ad_id].lang][by_id[ad_id].kind] += 1
    return counts


def _few(ids: list[str], limit: int = 10) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")
