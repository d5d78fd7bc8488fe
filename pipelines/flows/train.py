"""Prefect flow `train-indicators`: retrain, compare with the default, register, and
promote only through the gate. Each task is one call into evaluation.retrain (what
`centinela train` runs directly); the report is published as a Markdown artifact."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import SecretStr

from annotation.learning.corrections import REVIEW_SAMPLE_SHARE
from corpora.corpus import SEED_DIR
from evaluation.promotion import TOLERANCE, report_markdown
from evaluation.retrain import RetrainResult, TrainingSet

ARTIFACT_KEY = "centinela-retrain"


@task(name="build-training-set", cache_policy=NO_CACHE)
def build_training_set(db_url: SecretStr, corpus_root: Path, splits_path: Path | None,
                       review_share: float) -> TrainingSet:
    """The seed corpus's splits plus the store's adjudicated labels and review decisions."""
    from annotation.learning.corrections import load_corrections
    from annotation.store import open_store
    from evaluation.retrain import build_training_set as build

    with open_store(db_url.get_secret_value()) as store, store.begin() as session:
        corrections = load_corrections(session)
    return build(corrections, corpus_root, splits_path, review_share)


@task(name="train-candidate", cache_policy=NO_CACHE)
def train_candidate(data: TrainingSet, home: Path):
    from evaluation.retrain import train_candidate as train

    return train(data, home, report=get_run_logger().info)


@task(name="compare-with-default", cache_policy=NO_CACHE)
def compare_with_default(candidate, default, data: TrainingSet, tolerance: float,
                         out_dir: Path, home: Path):
    from evaluation.retrain import compare, write_retrain_report

    return write_retrain_report(compare(candidate, default, data, tolerance, home=home),
                                out_dir)


@task(name="register-and-decide", cache_policy=NO_CACHE)
def register_and_decide(db_url: SecretStr, home: Path, candidate, files, actor: str) -> bool:
    from annotation.store import open_store
    from evaluation.retrain import conclude

    with open_store(db_url.get_secret_value()) as store:
        return conclude(store, home, candidate, files.report, files, actor) is not None


@flow(name="train-indicators")
def train_indicators(home: str, db_url: SecretStr | None = None,
                     corpus_root: Path = SEED_DIR, splits_path: Path | None = None,
                     review_share: float = REVIEW_SAMPLE_SHARE, tolerance: float = TOLERANCE,
                     out_dir: Path | None = None,
                     actor: str = "train-indicators") -> RetrainResult:
    """Retrain `indicators.ensemble` on the corpus's train split plus the store's labels
    (outside the review sample), tune on dev, score it and the default on each wave's test
    split and the review sample, register it, and make it the default only if it is no
    worse on any language and indicator group and better overall (evaluation.promotion).
    The store defaults to `<home>/centinela.db`; the report goes to `<home>/reports`."""
    from evaluation.retrain import default_model, reports_dir

    logger = get_run_logger()
    home_path = Path(home)
    url = db_url or SecretStr(f"sqlite:///{home_path / 'centinela.db'}")
    data = build_training_set(url, Path(corpus_root), splits_path, review_share)
    logger.info("training rows by source: %s; review sample: %d ads; left out: %s",
                data.by_source(), len(data.review), data.skipped or "none")
    before = default_model(home_path)
    candidate = train_candidate(data, home_path)
    files = compare_with_default(candidate, before, data, tolerance,
                                 Path(out_dir) if out_dir else reports_dir(home_path), home_path)
    promoted = register_and_decide(url, home_path, candidate, files, actor)
    create_markdown_artifact(
        key=ARTIFACT_KEY,
        markdown=report_markdown(files.report)
        + f"\n- HTML report: `{files.html_path}`\n- JSON report: `{files.json_path}`\n",
        description=f"Retrain of {candidate.meta.name}: candidate {candidate.meta.version}")
    logger.info("candidate %s %s: %s", candidate.meta.version,
                "promoted" if promoted else "refused", files.report["verdict"]["reason"])
    return RetrainResult(candidate, before, promoted, files)
