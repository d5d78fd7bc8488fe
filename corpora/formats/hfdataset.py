"""Hugging Face `datasets`: one row per annotation, with explicit Features.

Indicators are `ClassLabel`s in taxonomy order (as in the corpus dataset,
`corpora/dataset.py`), evidence a flat list of `{indicator, start, end, text}`. An ad
nobody labelled is one row with `annotator` and `risk` empty. Saved as Parquet, which
keeps the Features; reading checks them, so a taxonomy change never shifts labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corpora.formats import AdCollector, FormatProblem, ReadResult, make_annotation
from corpora.records import Ad, AnnotatedAd, Evidence
from corpora.taxonomy import Taxonomy

if TYPE_CHECKING:
    from datasets import Dataset, Features

_AD_FIELDS = ("id", "source", "url", "lang", "country", "title", "text", "published_at",
              "fetched_at", "raw_ref")


def annotation_features(taxonomy: Taxonomy) -> Features:
    from datasets import ClassLabel, Features, List, Value

    indicator = ClassLabel(names=list(taxonomy.ids))
    return Features({
        **{name: Value("string") for name in _AD_FIELDS},
        "annotator": Value("string"),
        "created_at": Value("string"),
        "risk": Value("string"),
        "indicators": List(indicator),
        "evidence": List({"indicator": indicator, "start": Value("int32"),
                          "end": Value("int32"), "text": Value("string")}),
    })


def rows_from_annotated(item: AnnotatedAd) -> list[dict[str, Any]]:
    ad = item.ad.model_dump(mode="json", include=set(_AD_FIELDS))
    if not item.annotations:
        return [{**ad, "annotator": None, "created_at": None, "risk": None,
                 "indicators": [], "evidence": []}]
    return [{**ad, "annotator": a.annotator, "created_at": a.created_at.isoformat(),
             "risk": a.risk, "indicators": list(a.indicators),
             "evidence": [{"indicator": ind, "start": s.start, "end": s.end, "text": s.text}
                          for ind, spans in a.evidence.items() for s in spans]}
            for a in item.annotations]


def annotated_dataset(items: Sequence[AnnotatedAd], taxonomy: Taxonomy) -> Dataset:
    """The ads and their annotations as a `datasets.Dataset`."""
    from datasets import Dataset

    return Dataset.from_list([row for item in items for row in rows_from_annotated(item)],
                             features=annotation_features(taxonomy))


def annotated_from_dataset(dataset: Dataset, taxonomy: Taxonomy) -> ReadResult:
    """Rows back to AnnotatedAds (rows of one ad id join)."""
    indicator = dataset.features["indicators"].feature
    result, collected = ReadResult(), AdCollector()

    def name(value: Any) -> str:
        return indicator.int2str(value) if isinstance(value, int) else value

    for n, row in enumerate(dataset, 1):
        try:
            ad = Ad(**{k: row[k] for k in _AD_FIELDS if row[k] is not None})
            evidence: dict[str, list[Evidence]] = {}
            for span in row["evidence"]:
                evidence.setdefault(name(span["indicator"]), []).append(
                    Evidence(start=span["start"], end=span["end"], text=span["text"]))
            annotation = make_annotation(ad, row["annotator"],
                                         [name(v) for v in row["indicators"]], evidence,
                                         row["risk"], row["created_at"], taxonomy)
            AnnotatedAd(ad=ad, annotations=[annotation] if annotation else [])  # checks spans
            collected.add(ad, annotation)
        except (ValueError, TypeError, KeyError) as exc:
            result.problems.append(FormatProblem(f"row {n}", str(exc)))
    result.items = collected.items()
    return result


def write_parquet(items: Sequence[AnnotatedAd], path: Path, taxonomy: Taxonomy) -> int:
    dataset = annotated_dataset(items, taxonomy)
    dataset.to_parquet(str(path))
    return len(dataset)


def read_parquet(path: Path, taxonomy: Taxonomy, annotator: str | None = None) -> ReadResult:
    import pyarrow.parquet as pq
    from datasets import Dataset, Features

    try:
        table = pq.read_table(path)
        stored = Features.from_arrow_schema(table.schema)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return ReadResult(problems=[FormatProblem(str(path), f"not a readable dataset: {exc}")])
    expected = annotation_features(taxonomy)
    if stored != expected:
        return ReadResult(problems=[FormatProblem(
            str(path), "its Features differ from the current annotation Features (was it "
                       "written with another taxonomy?)")])
    result = annotated_from_dataset(Dataset.from_dict(table.to_pydict(), features=expected),
                                    taxonomy)
    result.problems = [FormatProblem(f"{path}: {p.location}", p.message) for p in result.problems]
    return result
