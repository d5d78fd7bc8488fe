"""The `evaluate-detectors` flow: the evaluation report, published as a Prefect artifact.

One task calls the library (`evaluation.report.run_evaluation`, the same function
`centinela evaluate` runs directly); the flow then publishes the summary table and the
report paths as a Markdown artifact. Never cached: the task writes files.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from corpora.corpus import SEED_DIR
from evaluation.report import (
    DEFAULT_LIMIT_REAL,
    DEFAULT_REAL_ADS,
    ReportFiles,
    run_evaluation,
)
from evaluation.summary import summary_markdown
from pipelines.settings import DEFAULT_MODEL

ARTIFACT_KEY = "centinela-evaluation"


@task(name="write-evaluation-report", cache_policy=NO_CACHE)
def write_evaluation_report(model: str, split: str, out_dir: Path, corpus_root: Path,
                            splits_path: Path | None, real_ads_dir: Path | None,
                            limit_real: int, baselines: bool, gold: list[Path],
                            by: list[str], home: Path | None = None,
                            wave: str | None = None) -> ReportFiles:
    """Run the detectors, compute the metrics and write the JSON and HTML report and the
    model card."""
    return run_evaluation(model, split=split, out_dir=out_dir, corpus_root=corpus_root,
                          splits_path=splits_path, real_ads_dir=real_ads_dir,
                          limit_real=limit_real, baselines=baselines, gold=gold, by=by,
                          home=home, wave=wave)


@flow(name="evaluate-detectors")
def evaluate_detectors(model: str = DEFAULT_MODEL, split: str = "dev",
                       out_dir: Path = Path("reports"), corpus_root: Path = SEED_DIR,
                       splits_path: Path | None = None,
                       real_ads_dir: Path | None = DEFAULT_REAL_ADS,
                       limit_real: int = DEFAULT_LIMIT_REAL,
                       baselines: bool = True, gold: list[Path] | None = None,
                       by: list[str] | None = None, home: Path | None = None,
                       wave: str | None = None) -> ReportFiles:
    """Evaluate `model` (and the baselines unless `baselines` is false) on a corpus split,
    write the report to `out_dir`, and publish its summary as the Markdown artifact
    `centinela-evaluation`. Use `split="test"` for final reporting only; `gold` files
    replace the split, `by` splits the figures by record fields. With `home`, the model
    card is kept there too (see evaluation.report.run_evaluation)."""
    logger = get_run_logger()
    if split == "test" and not gold:
        logger.warning("Evaluating on the TEST split: for final reporting only, never for "
                       "choosing thresholds, patterns or models")
    files = write_evaluation_report(model, split, Path(out_dir), Path(corpus_root), splits_path,
                                    real_ads_dir, limit_real, baselines,
                                    [Path(p) for p in gold or []], list(by or []), home,
                                    wave)
    create_markdown_artifact(key=ARTIFACT_KEY, markdown=summary_markdown(files.report, files),
                             description=f"Centinela evaluation of {model} on the {split} split")
    logger.info("Evaluation report: %s and %s", files.html_path, files.json_path)
    return files
