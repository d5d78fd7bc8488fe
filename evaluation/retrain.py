"""Retrain the ensemble on the seed corpus plus people's labels, score it against the
default model on held-out sets, register it, and make it the default only through the
promotion gate (evaluation.promotion). Promotions and rollbacks by hand go through here
too, so every change of the model registry (models.artifact_registry) writes its audit
row in the store, in the same step.

The training set (`build_training_set`):
- train: the corpus's train split, plus the store's labels (annotation.learning.corrections)
  outside the review sample. A label on a seed train ad replaces the seed label (and is
  never in the review sample); a label on an ad whose id or text is in the corpus's dev
  or test split is left out.
- dev: the corpus's dev split (thresholds are chosen there, as always).
- evaluation: the corpus's test split of each wave, and the review sample.
Each training row keeps its provenance in the artifact's `training.jsonl` (ids, labels,
text hashes and where the label came from; no ad text).

The flow `train-indicators` and `centinela train` both call `retrain` (or its steps).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotation.learning.corrections import (
    REVIEW_SAMPLE_SHARE,
    Correction,
    CorrectionSet,
    load_corrections,
    split_review_sample,
)
from annotation.store import Store
from annotation.store.audit import record_audit
from corpora import corpus as corpus_module
from corpora.corpus import SEED_DIR, SPLIT_NAMES
from corpora.records import LabelledAd, hash_text, utc_now
from corpora.taxonomy import load_taxonomy
from evaluation.promotion import (
    TOLERANCE,
    HitCounts,
    cell_scores,
    count_hits,
    decide,
    ranking_ap,
    render_html,
)
from evaluation.report import ReportFiles
from models.artifact_registry import ModelRegistry, RegistryChange
from models.artifacts import Artifact, ArtifactError, models_root
from models.ensemble.detector import NAME as ENSEMBLE_NAME

logger = logging.getLogger(__name__)

MODEL = ENSEMBLE_NAME
SCHEMA = "centinela.retrain.v1"
REVIEW_SET = "review-sample"

Row = LabelledAd | Correction


@dataclass(frozen=True)
class TrainingSet:
    """What a retrain learns from and is judged on."""

    train: list[Row]
    dev: list[LabelledAd]
    tests: dict[str, list[LabelledAd]]  # "test-wave-1": ...
    review: list[Correction]
    skipped: dict[str, int] = field(default_factory=dict)

    def provenance(self, row: Row) -> dict[str, Any]:
        if isinstance(row, Correction):
            return row.provenance
        return {"source": "seed", "batch": row.id.rsplit("-", 1)[0]}

    def manifest(self) -> list[dict[str, Any]]:
        """One row per training and dev ad: id, split, labels, text hash and provenance."""
        return [{"id": row.id, "split": split, "lang": row.lang,
                 "indicators": sorted(row.indicators), "risk": row.risk,
                 "text_sha256": hash_text(row.text), "provenance": self.provenance(row)}
                for split, rows in (("train", self.train), ("dev", self.dev)) for row in rows]

    def by_source(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.train:
            source = self.provenance(row)["source"]
            counts[source] = counts.get(source, 0) + 1
        return dict(sorted(counts.items()))

    def evaluation_sets(self) -> dict[str, list[Row]]:
        sets: dict[str, list[Row]] = {name: list(ads) for name, ads in self.tests.items() if ads}
        if self.review:
            sets[REVIEW_SET] = list(self.review)
        return sets


def build_training_set(corrections: CorrectionSet, corpus_root: Path = SEED_DIR,
                       splits_path: Path | None = None,
                       review_share: float = REVIEW_SAMPLE_SHARE) -> TrainingSet:
    """The seed corpus's splits plus the store's labels (module docstring). Raises
    CorpusError naming what is missing when the splits name ads the corpus lacks."""
    corpus_root = Path(corpus_root)
    splits = corpus_module.read_splits(Path(splits_path) if splits_path
                                       else corpus_root / "splits.json")
    corpus = corpus_module.load_corpus(corpus_root)
    if gaps := corpus.gaps([i for name in SPLIT_NAMES for i in splits.ids[name]]):
        raise corpus_module.CorpusError(f"cannot train: {gaps}")
    ads = {ad.id: ad for ad in corpus.ads}
    train = {i: ads[i] for i in splits.ids["train"]}
    dev = [ads[i] for i in splits.ids["dev"]]
    tests = {f"test-wave-{wave}": [ads[i] for i in splits.split_ids("test", wave)]
             for wave in splits.waves}
    held = dev + [ad for wave in tests.values() for ad in wave]
    held_ids, held_texts = {ad.id for ad in held}, {hash_text(ad.text) for ad in held}
    skipped = dict(corrections.skipped)
    usable = []
    for row in corrections.rows:
        if row.id in held_ids or hash_text(row.text) in held_texts:
            skipped["ad of the corpus's dev or test split"] = \
                skipped.get("ad of the corpus's dev or test split", 0) + 1
        else:
            usable.append(row)
    # A label on a seed train ad replaces its seed label and is trained on: its text is
    # in the training set anyway, so it could not serve the review sample.
    relabelled = [row for row in usable if row.id in train]
    learn, review = split_review_sample([row for row in usable if row.id not in train],
                                        review_share)
    rows: dict[str, Row] = dict(train)
    for row in relabelled + learn:
        rows[row.id] = row
    return TrainingSet(list(rows.values()), dev, tests, review, skipped)


def train_candidate(data: TrainingSet, home: Path,
                    report: Callable[[str], None] | None = None) -> Artifact:
    """Fit the ensemble on `data.train` (with framed copies of part of it,
    `corpora/framing.py`), tune on `data.dev`, register it (not default).
    With the `semantic` extra installed, `indicators.ensemble.v2` (the default detector)
    is fitted on top of it and registered under the same version, so that it moves with
    it in the model registry, and the gate judges each version by its v2 (`compare`)."""
    from corpora.framing import framed_copies
    from models.ensemble.store import register_trained, train_semantic_models
    from models.ensemble.train import train_ensemble
    from models.semantic.encoder import semantic_available

    say = report or (lambda message: print(message, file=sys.stderr))
    train = [*data.train, *framed_copies(data.train)]
    result = train_ensemble(train, data.dev, load_taxonomy().ids, _rules(home), report=say)
    ensemble, _ = register_trained(result, models_root(home), data.manifest())
    if semantic_available():
        say("training the semantic models (sentence embeddings)")
        train_semantic_models(result, train, data.dev, models_root(home), say,
                              tag=ensemble.meta.version)
    return ensemble


def _rules(home: Path):
    """The rules detector the ensemble trains with, built once per process (compiled rules
    cached in `home`)."""
    from models.ensemble.store import TRAINING_RULES_VERSION
    from models.registry import shared_detector

    return shared_detector(f"indicators.rules.v{TRAINING_RULES_VERSION}", home)


def _served(artifact: Artifact, home: Path, encoder):
    """The detector `artifact` serves once it is the default: `indicators.ensemble.v2`
    when one was trained on top of it (the same version) and the semantic extra is
    installed, as `centinela detect` would load it; else (or when it no longer loads)
    the ensemble itself (v1). Each with the rules version it was trained with."""
    from models.ensemble.detector import (
        SEMANTIC_NAME,
        build_ensemble_detector,
        build_semantic_ensemble_detector,
    )

    v2 = models_root(home) / SEMANTIC_NAME / artifact.meta.version
    if encoder is not None and (v2 / "meta.json").is_file():
        try:
            return build_semantic_ensemble_detector(home, v2, encoder)
        except ArtifactError as exc:  # e.g. embeddings of another encoder: retraining fixes
            logger.warning("%s %s cannot be loaded (%s); it is scored as %s.v1",
                           SEMANTIC_NAME, artifact.meta.version, exc, MODEL)
    return build_ensemble_detector(home, artifact.path)


@contextmanager
def _embeddings(home: Path) -> Iterator[Any]:
    """One sentence encoder for the comparison, with the home's cache of embeddings loaded
    and saved again (the held-out sets' sentences are embedded once, across retrains);
    None without the semantic extra."""
    from models.artifacts import cache_root
    from models.semantic.encoder import cached_encoder, semantic_available

    if not semantic_available():
        yield None
        return
    with cached_encoder(cache_root(home)) as encoder:
        yield encoder


def default_model(home: Path) -> Artifact | None:
    """The ensemble the detectors use now, recorded as the default if it was implicit
    (call it before registering a candidate, which would otherwise be the latest)."""
    return ModelRegistry(models_root(home)).pin_default(MODEL)


def compare(candidate: Artifact, default: Artifact | None, data: TrainingSet,
            tolerance: float = TOLERANCE, *, home: Path) -> dict[str, Any]:
    """Score both models on the same held-out sets and apply the gate: the JSON report.
    Each is scored as the detector it would serve as the default (`_served`)."""
    taxonomy = load_taxonomy()
    sets = data.evaluation_sets()
    counts: dict[str, HitCounts] = {}
    ranking: dict[str, float | None] = {}
    judged: dict[str, str | None] = {"candidate": None, "default": None}
    with _embeddings(home) as encoder:
        for role, artifact in (("candidate", candidate), ("default", default)):
            if artifact is not None:
                detector = _served(artifact, home, encoder)
                judged[role] = detector.detector_name
                counts[role], scores = count_hits(detector, sets, taxonomy)
                ranking[role] = ranking_ap(scores)
    verdict = decide(counts["candidate"], counts.get("default"), taxonomy, tolerance,
                     ranking)
    return {
        "schema": SCHEMA, "created_at": utc_now().isoformat(timespec="seconds"),
        "model": MODEL, "candidate": candidate.meta.version,
        "default": default.meta.version if default else None, "judged": judged,
        "sets": {name: [row.id for row in rows] for name, rows in sets.items()},
        "counts": counts,
        "ranking_ap_high": ranking,
        "scores": {role: ({**{name: cell_scores(counts[role], taxonomy, [name]) for name in sets},
                           "pooled": cell_scores(counts[role], taxonomy)}
                          if role in counts else None) for role in ("candidate", "default")},
        "verdict": verdict.to_dict(),
        "training": {"rows": len(data.train), "dev": len(data.dev),
                     "by_source": data.by_source(), "skipped": data.skipped,
                     "candidate_training_data_sha256": candidate.meta.training_data_sha256},
    }


def write_retrain_report(report: Mapping[str, Any], out_dir: Path) -> ReportFiles:
    """`<out_dir>/retrain-<candidate version>.json` and `.html`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"retrain-{report['candidate']}"
    json_path, html_path = out_dir / f"{stem}.json", out_dir / f"{stem}.html"
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n",
                         encoding="utf-8")
    html_path.write_text(render_html(report), encoding="utf-8")
    return ReportFiles(json_path, html_path, dict(report))


# --- registry changes, audited -----------------------------------------------------------

@contextmanager
def _audited(store: Store, registry: ModelRegistry,
             change: RegistryChange | None) -> Iterator[Any]:
    """A transaction for the audit rows; the registry change is applied last inside it and
    undone if the transaction then fails, so the file and the audit log agree."""
    applied = False
    try:
        with store.begin() as session:
            yield session
            session.flush()
            if change is not None:
                registry.apply(change)
                applied = True
    except BaseException:
        if applied and change is not None:
            registry.undo(change)
        raise


def _target(name: str) -> str:
    return f"model:{name}"


def conclude(store: Store, home: Path, candidate: Artifact, report: Mapping[str, Any],
             files: ReportFiles, actor: str) -> RegistryChange | None:
    """Record the candidate and the gate's verdict; promote it when the gate says so.
    Audit rows: `model.register`, then `model.promote` or `model.refuse`."""
    registry = ModelRegistry(models_root(home))
    verdict = report["verdict"]
    name, version = candidate.meta.name, candidate.meta.version
    change = registry.plan_promote(name, version) if verdict["promote"] else None
    decision = {"promote": verdict["promote"], "reason": verdict["reason"],
                "default_before": report["default"], "report": str(files.html_path),
                "decided_at": report["created_at"]}
    with _audited(store, registry, change) as session:
        record_audit(session, actor, "model.register", _target(name), after={
            "version": version, "sha256": candidate.meta.sha256,
            "training_data_sha256": candidate.meta.training_data_sha256,
            "training": report["training"]["by_source"]})
        record_audit(session, actor, "model.promote" if change else "model.refuse",
                     _target(name), before={"default": report["default"]},
                     after={"default": version if change else report["default"],
                            "candidate": version, **verdict,
                            "report": str(files.html_path)})
    registry.record_decision(name, version, decision)
    return change


def promote(store: Store, home: Path, version: str, actor: str, reason: str,
            name: str = MODEL) -> RegistryChange:
    """Make a registered version the default by hand (audited `model.promote`)."""
    registry = ModelRegistry(models_root(home))
    change = registry.plan_promote(name, version)
    with _audited(store, registry, change) as session:
        record_audit(session, actor, "model.promote", _target(name),
                     before={"default": change.previous},
                     after={"default": change.version, "moved": list(change.moved),
                            "reason": reason, "by_hand": True})
    return change


def rollback(store: Store, home: Path, actor: str, reason: str,
             name: str = MODEL) -> RegistryChange:
    """Make the previous default the default again (audited `model.rollback`)."""
    registry = ModelRegistry(models_root(home))
    change = registry.plan_rollback(name)
    with _audited(store, registry, change) as session:
        record_audit(session, actor, "model.rollback", _target(name),
                     before={"default": change.previous},
                     after={"default": change.version, "moved": list(change.moved),
                            "reason": reason})
    return change


@dataclass(frozen=True)
class RetrainResult:
    candidate: Artifact
    default_before: Artifact | None
    promoted: bool
    report: ReportFiles


def retrain(store: Store, home: Path, *, corpus_root: Path = SEED_DIR,
            splits_path: Path | None = None, review_share: float = REVIEW_SAMPLE_SHARE,
            tolerance: float = TOLERANCE, out_dir: Path | None = None,
            actor: str = "train-indicators",
            report: Callable[[str], None] | None = None) -> RetrainResult:
    """The whole retrain in one call (what `centinela train` runs without --flow)."""
    say = report or (lambda message: print(message, file=sys.stderr))
    with store.begin() as session:
        corrections = load_corrections(session)
    data = build_training_set(corrections, corpus_root, splits_path, review_share)
    before = default_model(home)
    candidate = train_candidate(data, home, say)
    say("scoring the candidate and the default on the held-out sets")
    compared = compare(candidate, before, data, tolerance, home=home)
    files = write_retrain_report(compared, out_dir or reports_dir(home))
    change = conclude(store, home, candidate, compared, files, actor)
    return RetrainResult(candidate, before, change is not None, files)


def reports_dir(home: Path) -> Path:
    return Path(home) / "reports"

