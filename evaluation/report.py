"""Evaluation reports: run detectors on a split of the labelled corpus and on real ordinary
ads, compute the metrics (evaluation.metrics) and write a JSON file and a self-contained
HTML page (evaluation.page).

`run_evaluation` is the one entry point: `centinela evaluate` calls it directly and the
`evaluate-detectors` flow wraps it. Everything in the report is computed from data; the
HTML page is drawn from the JSON report alone. Neither holds ad text: real ads may only
be read at evaluation time, never copied.

The test split is for final reporting only; choose thresholds, patterns and models on dev.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from corpora.corpus import SEED_DIR, SPLIT_NAMES, CorpusError, load_corpus, read_splits
from corpora.records import RISK_LEVELS, Ad, Assessment, LabelledAd, utc_now
from corpora.sources.ads import build_ads
from corpora.sources.jsonl import read_jsonl
from corpora.taxonomy import Taxonomy, load_taxonomy
from evaluation import keywords
from evaluation import metrics as m
from evaluation.gold import corpus_fields, group_values, load_gold
from evaluation.failure_modes import measure_failure_modes
from evaluation.summary import summary_rows
from models.detector import Detector

SCHEMA = "centinela.evaluation.v1"
DEFAULT_REAL_ADS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "real-ads"
RULES_BASELINE = "indicators.rules.v1"
KEYWORD_BASELINE = f"{keywords.NAME}.v{keywords.VERSION}"
BASELINES = (RULES_BASELINE, KEYWORD_BASELINE)
DEFAULT_LIMIT_REAL = 2000
REAL_ADS_SEED = 13
TOP_SHARE = 0.10
TOP_K = (10, 20, 50)
N_BINS = 10
GROUPS = ("all", "es", "pt")
BATCH_SIZE = 512
TEST_SPLIT_WARNING = ("These are TEST-split numbers, for final reporting only. Never choose "
                      "thresholds, patterns or models on them: use the dev split for that.")


@dataclass(frozen=True)
class RealAds:
    """Real ordinary ads read for false-alarm rates, per file (by file stem)."""

    folder: Path | None
    ads: dict[str, list[Ad]] = field(default_factory=dict)
    available: dict[str, int] = field(default_factory=dict)  # JSON records per file
    problems: int = 0
    skipped: str | None = None  # why no real ads were used

    def to_dict(self, limit_per_file: int) -> dict[str, Any]:
        return {"folder": str(self.folder) if self.folder else None,
                "used": self.skipped is None, "skipped": self.skipped,
                "limit_per_file": limit_per_file, "sample_seed": REAL_ADS_SEED,
                "bad_records": self.problems,
                "files": {name: {"available": self.available[name], "used": len(ads)}
                          for name, ads in self.ads.items()}}


@dataclass(frozen=True)
class ReportFiles:
    """Where a report was written, and the report itself."""

    json_path: Path
    html_path: Path
    report: dict[str, Any]
    card_path: Path | None = None


def load_real_ads(folder: Path | None, limit_per_file: int = DEFAULT_LIMIT_REAL,
                  seed: int = REAL_ADS_SEED) -> RealAds:
    """Read `folder/*.jsonl` as normalised ads: a seeded sample of at most `limit_per_file`
    JSON records per file (0 = all), in file order. A missing folder gives an empty result
    that says why; bad lines and records that cannot become ads are counted and skipped."""
    if folder is None:
        return RealAds(None, skipped="no real-ads folder given")
    folder = Path(folder).resolve()
    if not folder.is_dir():
        return RealAds(folder, skipped=f"{folder} not found")
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        return RealAds(folder, skipped=f"no *.jsonl file in {folder}")
    per_file: dict[str, list[Ad]] = {}
    available: dict[str, int] = {}
    problems = 0
    for path in files:
        with path.open("rb") as stream:
            records = list(read_jsonl(stream, str(path)))
        rows = [record for record in records if record.data is not None]
        problems += len(records) - len(rows)
        available[path.stem] = len(rows)
        if 0 < limit_per_file < len(rows):
            # Sample before building ads: normalising every text is the slow part.
            keep = sorted(random.Random(f"{seed}:{path.stem}").sample(range(len(rows)),
                                                                       limit_per_file))
            rows = [rows[i] for i in keep]
        built = list(build_ads(rows, default_source=path.stem))
        problems += sum(b.ad is None for b in built)
        per_file[path.stem] = [b.ad for b in built if b.ad is not None]
    return RealAds(folder, per_file, available, problems)


def load_split(split: str, corpus_root: Path = SEED_DIR,
               splits_path: Path | None = None, wave: str | None = None
               ) -> tuple[list[LabelledAd], dict[str, Any]]:
    """The labelled ads of one stored split (corpus order), of one writing wave only when
    `wave` is given, and a description of them."""
    if split not in SPLIT_NAMES:
        raise CorpusError(f"unknown split {split!r}; choose one of {', '.join(SPLIT_NAMES)}")
    splits_path = Path(splits_path or Path(corpus_root) / "splits.json")
    wanted = set(read_splits(splits_path).split_ids(split, wave))
    corpus = load_corpus(corpus_root)
    ads = [ad for ad in corpus.ads if ad.id in wanted]
    if not ads:
        raise CorpusError(f"{splits_path}: the {split} split has no ad of {corpus_root}")
    described = {"root": str(Path(corpus_root).resolve()), "splits": str(splits_path.resolve()),
                 "split": split, "wave": wave, "ads": len(ads),
                 "missing_ids": len(wanted - {ad.id for ad in ads}),
                 "bad_lines": len(corpus.problems),
                 "incomplete": _incomplete(split, len(ads), len(wanted),
                                           corpus.gaps(sorted(wanted))),
                 "by_lang": {lang: sum(ad.lang == lang for ad in ads) for lang in GROUPS[1:]},
                 "gold_high": {lang: sum(ad.lang == lang and ad.risk == "high" for ad in ads)
                               for lang in GROUPS[1:]}}
    return ads, described


def _incomplete(split: str, scored: int, wanted: int, gaps: str | None) -> str | None:
    """What a report on part of a split must say, or None when it covers all of it."""
    if gaps is None:
        return None
    return f"Only {scored} of the {wanted} ads of the {split} split were scored: {gaps}."


def load_detectors(model: str, baselines: bool = True, home: Path | None = None
                   ) -> list[tuple[Detector, str]]:
    """The detector under evaluation then the baselines (each once), with their role;
    trained ones come from the Centinela `home`."""
    from models.registry import load_detector

    names = [model] + [b for b in BASELINES if baselines and b != model]
    options = {} if home is None else {"home": Path(home)}
    return [(keywords.build_keyword_detector() if name == KEYWORD_BASELINE
             else load_detector(name, **options), "model" if name == model else "baseline")
            for name in names]


def evaluate_detector(detector: Detector, ads: Sequence[LabelledAd], real: RealAds,
                      taxonomy: Taxonomy,
                      groups_by: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """Every metric of one detector on labelled ads (and real ads, when there are any).

    `groups_by` maps a field name to each ad's value of it: the headline figures are then
    also given per value (`by` in the result)."""
    ids = taxonomy.ids
    started = time.perf_counter()
    assessments = _assess(detector, [ad.to_ad() for ad in ads])
    seconds = time.perf_counter() - started
    y_true = m.label_matrix([ad.indicators for ad in ads], ids)
    y_pred = m.predicted_matrix(assessments, ids)
    probabilities = _probabilities(detector, ads, assessments, ids)
    langs = np.array([ad.lang for ad in ads])
    relevant = np.array([ad.risk == "high" for ad in ads])
    scores = np.array([a.score for a in assessments])
    groups = {name: np.ones(len(ads), bool) if name == "all" else langs == name
              for name in GROUPS}
    groups = {name: mask for name, mask in groups.items() if mask.any()}

    gold_risks = [ad.risk for ad in ads]
    risks = [a.risk for a in assessments]
    indicators, ranking, confusion, ece, high = {}, {}, {}, {}, {}
    for name, mask in groups.items():
        high[name] = _high_recall(gold_risks, risks, mask)
        counts = m.count_labels(y_true[mask], y_pred[mask])
        intervals = m.bootstrap_intervals(y_true[mask], y_pred[mask])
        indicators[name] = {
            "macro_f1": _r(m.macro_f1(counts)),
            "micro": m.micro_counts(counts).to_dict(),
            "per_indicator": {i: c.to_dict() for i, c in zip(ids, counts, strict=True)},
            "intervals": {**intervals, "per_indicator": dict(zip(
                ids, intervals["per_indicator"], strict=True))}}
        ranking[name] = _ranking(relevant[mask], scores[mask])
        confusion[name] = m.risk_confusion([ad.risk for ad, keep in zip(ads, mask) if keep],
                                           [a.risk for a, keep in zip(assessments, mask) if keep]
                                           ).tolist()
        ece[name] = _r(m.expected_calibration_error(
            m.reliability_bins(y_true[mask], probabilities[mask], N_BINS)))
    overlaps = m.evidence_overlap(ads, assessments, ids)
    by = {field: {value: _headline(y_true, y_pred, relevant, scores, gold_risks, risks,
                                   np.array([v == value for v in values]))
                  for value in sorted(set(values))}
          for field, values in (groups_by or {}).items()}
    return {
        "model": detector.ref.model_dump(),
        "seconds": round(seconds, 3),
        "indicators": indicators,
        "gold_high": high,
        "by": by,
        "risk": {"levels": list(RISK_LEVELS), "confusion": confusion},
        "ranking": {**ranking, "precision_curve": [
            round(float(p), 4) for p in m.precision_at_k_curve(relevant, scores)]},
        "calibration": {
            "source": ("detector probabilities" if hasattr(detector, "indicator_probabilities")
                       else "hit scores (0 where not found)"),
            "n_bins": N_BINS, "ece": ece,
            "bins": [b.to_dict() for b in m.reliability_bins(y_true, probabilities, N_BINS)]},
        "spans": {"all": m.micro_overlap(overlaps.values()).to_dict(),
                  "per_indicator": {i: o.to_dict() for i, o in overlaps.items()},
                  "by_source": m.evidence_overlap_by_source(ads, assessments)},
        "real_ads": rate_real_ads(detector, real, ids),
        "failure_modes": measure_failure_modes(ads, assessments, taxonomy),
    }


def _high_recall(gold: Sequence[str], predicted: Sequence[str],
                 mask: np.ndarray) -> dict[str, Any]:
    return m.high_recall([g for g, keep in zip(gold, mask) if keep],
                         [p for p, keep in zip(predicted, mask) if keep]).to_dict()


def _headline(y_true: np.ndarray, y_pred: np.ndarray, relevant: np.ndarray,
              scores: np.ndarray, gold: Sequence[str], predicted: Sequence[str],
              mask: np.ndarray) -> dict[str, Any]:
    """The headline figures of the ads in `mask`: macro-F1, micro counts, AP(high) and how
    the gold-high ads were rated."""
    counts = m.count_labels(y_true[mask], y_pred[mask])
    return {"ads": int(mask.sum()), "macro_f1": _r(m.macro_f1(counts)),
            "micro": m.micro_counts(counts).to_dict(),
            "average_precision": _r(m.average_precision(relevant[mask], scores[mask])),
            "gold_high": _high_recall(gold, predicted, mask)}


def _assess(detector: Detector, ads: Sequence[Ad]) -> list[Assessment]:
    return [a for start in range(0, len(ads), BATCH_SIZE)
            for a in detector.assess(ads[start:start + BATCH_SIZE])]


def _probabilities(detector: Detector, ads: Sequence[LabelledAd],
                   assessments: Sequence[Assessment], ids: Sequence[str]) -> np.ndarray:
    """Per ad and indicator: the detector's own probabilities when it exposes them
    (`indicator_probabilities(ads) -> (ads, indicators)` in taxonomy order), else hit
    scores with 0 where an indicator was not found."""
    exposed = getattr(detector, "indicator_probabilities", None)
    if callable(exposed):
        return np.clip(np.asarray(exposed([ad.to_ad() for ad in ads]), dtype=float), 0, 1)
    return m.hit_probabilities(assessments, ids)


def _ranking(relevant: np.ndarray, scores: np.ndarray) -> dict[str, Any]:
    k_share = m.k_for_share(len(scores), TOP_SHARE)
    return {"ads": int(len(scores)), "relevant": int(relevant.sum()),
            "average_precision": _r(m.average_precision(relevant, scores)),
            "k_top_share": k_share, "precision_at_top_share": _r(
                m.precision_at_k(relevant, scores, k_share)),
            "precision_at": {str(k): _r(m.precision_at_k(relevant, scores, k)) for k in TOP_K}}


def rate_real_ads(detector: Detector, real: RealAds,
                  ids: Sequence[str]) -> dict[str, Any] | None:
    """Risk counts and rates of the detector on real ordinary ads, per file, per language
    and in all, with the share of ads on which each indicator is found (None: no ads)."""
    if real.skipped is not None:
        return None
    files, by_lang, every = {}, {}, []
    for name, ads in real.ads.items():
        assessments = _assess(detector, ads)
        every.extend(assessments)
        files[name] = m.count_risks(a.risk for a in assessments).to_dict()
        for ad, assessment in zip(ads, assessments, strict=True):
            by_lang.setdefault(ad.lang, []).append(assessment.risk)
    return {"files": files,
            "by_lang": {lang: m.count_risks(risks).to_dict() for lang, risks in by_lang.items()},
            "all": m.count_risks(a.risk for a in every).to_dict(),
            "indicator_rates": m.round_mapping(m.indicator_rates(every, ids))}


def build_report(detectors: Sequence[tuple[Detector, str]], ads: Sequence[LabelledAd],
                 corpus: dict[str, Any], real: RealAds, taxonomy: Taxonomy,
                 limit_real: int = DEFAULT_LIMIT_REAL,
                 groups_by: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The JSON-ready report of several detectors on the same ads (figures also split by
    the fields of `groups_by`, each ad's value per field)."""
    split = corpus["split"]
    report: dict[str, Any] = {
        "schema": SCHEMA, "created_at": utc_now().isoformat(timespec="seconds"),
        "split": split, "warning": TEST_SPLIT_WARNING if split == "test" else None,
        "corpus": corpus, "taxonomy": {"version": taxonomy.version, "ids": list(taxonomy.ids)},
        "real_ads": real.to_dict(limit_real),
        "settings": {"top_share": TOP_SHARE, "top_k": list(TOP_K), "n_bins": N_BINS,
                     "relevant": "gold risk 'high'"},
        "by": list(groups_by or {}),
        "detectors": {},
    }
    for detector, role in detectors:
        name = f"{detector.ref.name}.v{detector.ref.version}"
        report["detectors"][name] = {"role": role, **evaluate_detector(
            detector, ads, real, taxonomy, groups_by)}
    report["summary"] = summary_rows(report)
    return report


def write_report(report: dict[str, Any], out_dir: Path) -> ReportFiles:
    """Write `<out_dir>/evaluation-<split>-<model>-<time>.json`, `.html` and
    `-MODEL_CARD.md`, and the same card as `<out_dir>/MODEL_CARD.md` (the latest)."""
    from evaluation.model_card import CARD_FILE, model_card_markdown
    from evaluation.page import render_page

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = next(iter(report["detectors"]))
    stamp = datetime.fromisoformat(report["created_at"]).strftime("%Y%m%dT%H%M%SZ")
    stem = f"evaluation-{report['split']}-{re.sub(r'[^A-Za-z0-9.]+', '-', model)}-{stamp}"
    json_path, html_path = out_dir / f"{stem}.json", out_dir / f"{stem}.html"
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n",
                         encoding="utf-8")
    html_path.write_text(render_page(report), encoding="utf-8")
    card = model_card_markdown(report)
    card_path = out_dir / f"{stem}-{CARD_FILE}"
    card_path.write_text(card, encoding="utf-8")
    (out_dir / CARD_FILE).write_text(card, encoding="utf-8")
    return ReportFiles(json_path, html_path, report, card_path)


def run_evaluation(model: str, *, split: str = "dev", out_dir: Path,
                   corpus_root: Path = SEED_DIR, splits_path: Path | None = None,
                   real_ads_dir: Path | None = DEFAULT_REAL_ADS,
                   limit_real: int = DEFAULT_LIMIT_REAL, baselines: bool = True,
                   gold: Sequence[Path] = (), by: Sequence[str] = (),
                   detectors: Sequence[tuple[Detector, str]] | None = None,
                   home: Path | None = None, wave: str | None = None) -> ReportFiles:
    """Evaluate `model` (and the baselines) on `split` (of one writing `wave` only, when
    given), or on the `gold` files instead when any are given, split by the fields `by` too; write the JSON and HTML report and the
    model card. With `home` (a Centinela home), the card is also kept by the model's
    sha256 in `<home>/model-cards/` (where the review app finds it) and written into the
    model's registered artifact folder (evaluation.model_card.save_model_card).

    `detectors` replaces the registry lookup (tests pass fakes). Raises CorpusError when
    the corpus, splits, gold files or `by` fields cannot be used; real ads are skipped when
    their folder is absent.
    """
    taxonomy = load_taxonomy()
    if gold:
        gold_set = load_gold(gold, taxonomy)
        ads, corpus, fields = gold_set.ads, gold_set.describe(), gold_set.fields
    else:
        ads, corpus = load_split(split, corpus_root, splits_path, wave)
        fields = corpus_fields(ads, read_splits(Path(corpus["splits"])))
    groups_by = group_values(fields, by)
    real = load_real_ads(real_ads_dir, limit_real)
    chosen = list(detectors) if detectors is not None else load_detectors(model, baselines, home)
    report = build_report(chosen, ads, corpus, real, taxonomy, limit_real, groups_by)
    files = write_report(report, out_dir)
    if home is not None:
        from evaluation.model_card import save_model_card
        from models.artifacts import models_root

        save_model_card(report, Path(home) / "model-cards", models_root(Path(home)))
    return files


def _r(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)
