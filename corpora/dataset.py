"""The labelled corpus as Hugging Face `datasets`: explicit Features, the stored
train/dev/test splits, and Parquet / JSONL files that load back to the same data.

Features derive from `LabelledAd` (its Literal fields become ClassLabels in declaration
order) and from the taxonomy (indicator labels in taxonomy order). Evidence, a dict of
spans per indicator on `LabelledAd`, becomes one flat list of
`{indicator, start, end, text}` rows in taxonomy order, which Arrow stores well.

Parquet keeps the label integers and the Features in its schema metadata; loading checks
them against the current Features, so a taxonomy change can never silently shift labels.
JSONL keeps label names, the same shape as the corpus files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from corpora.corpus import SEED_DIR, SPLIT_NAMES, SPLITS_PATH, CorpusError, load_corpus, read_splits
from corpora.records import Evidence, LabelledAd
from corpora.taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:
    from datasets import Dataset, DatasetDict, Features

FileFormat = Literal["parquet", "jsonl"]
_LABEL_FIELDS = ("lang", "source", "kind", "risk")


def corpus_features(taxonomy: Taxonomy | None = None) -> Features:
    """The `datasets.Features` of a corpus row."""
    from datasets import ClassLabel, Features, List, Value

    indicator = ClassLabel(names=list((taxonomy or load_taxonomy()).ids))
    labels = {name: ClassLabel(names=list(get_args(LabelledAd.model_fields[name].annotation)))
              for name in _LABEL_FIELDS}
    return Features({
        "id": Value("string"),
        "lang": labels["lang"],
        "country": Value("string"),
        "source": labels["source"],
        "kind": labels["kind"],
        "risk": labels["risk"],
        "text": Value("string"),
        # `List`, not `Sequence`: Sequence of a dict would become a dict of lists (TFDS style).
        "indicators": List(indicator),
        "evidence": List({"indicator": indicator, "start": Value("int32"),
                          "end": Value("int32"), "text": Value("string")}),
    })


def ad_to_row(ad: LabelledAd, taxonomy: Taxonomy | None = None) -> dict[str, Any]:
    """A LabelledAd as a row with label names (what `Dataset.from_list` encodes)."""
    order = {ind: n for n, ind in enumerate((taxonomy or load_taxonomy()).ids)}
    evidence = [{"indicator": ind, "start": span.start, "end": span.end, "text": span.text}
                for ind in sorted(ad.evidence, key=lambda i: order.get(i, len(order)))
                for span in ad.evidence[ind]]
    return {"id": ad.id, "lang": ad.lang, "country": ad.country, "source": ad.source,
            "kind": ad.kind, "risk": ad.risk, "text": ad.text,
            "indicators": list(ad.indicators), "evidence": evidence}


def row_to_ad(row: dict[str, Any], features: Features) -> LabelledAd:
    """A dataset row (label integers or names) back to a LabelledAd."""
    def name(feature: Any, value: Any) -> Any:
        return feature.int2str(value) if isinstance(value, int) else value

    indicator = features["indicators"].feature
    evidence: dict[str, list[Evidence]] = {}
    for span in row["evidence"]:
        evidence.setdefault(name(indicator, span["indicator"]), []).append(
            Evidence(start=span["start"], end=span["end"], text=span["text"]))
    return LabelledAd(
        id=row["id"], country=row["country"], text=row["text"],
        **{field: name(features[field], row[field]) for field in _LABEL_FIELDS},
        indicators=[name(indicator, value) for value in row["indicators"]],
        evidence=evidence)


def ads_to_dataset(ads: Iterable[LabelledAd], taxonomy: Taxonomy | None = None) -> Dataset:
    """A Dataset of LabelledAds with the corpus Features."""
    from datasets import Dataset

    taxonomy = taxonomy or load_taxonomy()
    return Dataset.from_list([ad_to_row(ad, taxonomy) for ad in ads],
                             features=corpus_features(taxonomy))


def dataset_to_ads(dataset: Dataset) -> list[LabelledAd]:
    """Every row of a Dataset with the corpus Features, as LabelledAds."""
    return [row_to_ad(row, dataset.features) for row in dataset]


def load_corpus_dataset(root: Path = SEED_DIR, splits_path: Path = SPLITS_PATH,
                        taxonomy: Taxonomy | None = None) -> DatasetDict:
    """The hand-written corpus as a DatasetDict with the stored train/dev/test splits
    (rows in corpus file order). The corpus must load cleanly and match the splits file
    exactly; otherwise a CorpusError says what to fix."""
    from datasets import DatasetDict

    corpus = load_corpus(root)
    if corpus.problems:
        shown = "; ".join(f"{p.location}: {p.message}" for p in corpus.problems[:5])
        raise CorpusError(f"{len(corpus.problems)} corpus lines do not load ({shown}); "
                          "run `centinela corpus check`")
    splits = read_splits(splits_path)
    where = splits.splits_by_id()
    ads = corpus.ads
    unplaced = [ad.id for ad in ads if len(where.get(ad.id, [])) != 1]
    unknown = sorted(set(where) - {ad.id for ad in ads})
    if unplaced or unknown:
        raise CorpusError(f"{splits_path} does not match the corpus: {len(unplaced)} ads in no "
                          f"split or several, {len(unknown)} unknown ids; "
                          "run `centinela corpus check`")
    return DatasetDict({name: ads_to_dataset([ad for ad in ads if where[ad.id] == [name]],
                                             taxonomy) for name in SPLIT_NAMES})


def save_dataset_dict(datasets: DatasetDict, directory: Path,
                      fmt: FileFormat = "parquet") -> list[Path]:
    """Write one `<split>.parquet` or `<split>.jsonl` per split into `directory`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, dataset in datasets.items():
        path = directory / f"{name}.{fmt}"
        if fmt == "parquet":
            dataset.to_parquet(str(path))
        elif fmt == "jsonl":
            with path.open("w", encoding="utf-8") as out:
                for ad in dataset_to_ads(dataset):
                    out.write(json.dumps(ad.model_dump(), ensure_ascii=False) + "\n")
        else:
            raise ValueError(f"unknown format {fmt!r}; use parquet or jsonl")
        written.append(path)
    return written


def load_dataset_dict(directory: Path, fmt: FileFormat = "parquet",
                      taxonomy: Taxonomy | None = None) -> DatasetDict:
    """Read what `save_dataset_dict` wrote (every `<split>.<fmt>` found, in split order)."""
    from datasets import DatasetDict

    directory = Path(directory)
    paths = {name: directory / f"{name}.{fmt}" for name in SPLIT_NAMES}
    paths = {name: path for name, path in paths.items() if path.exists()}
    if not paths:
        raise CorpusError(f"{directory}: no {', '.join(f'{n}.{fmt}' for n in SPLIT_NAMES)}")
    taxonomy = taxonomy or load_taxonomy()
    reader = _read_parquet if fmt == "parquet" else _read_jsonl
    return DatasetDict({name: reader(path, taxonomy) for name, path in paths.items()})


def _read_parquet(path: Path, taxonomy: Taxonomy) -> Dataset:
    import pyarrow.parquet as pq
    from datasets import Dataset, Features

    table = pq.read_table(path)
    expected = corpus_features(taxonomy)
    try:
        stored = Features.from_arrow_schema(table.schema)
    except (ValueError, KeyError, TypeError) as exc:
        raise CorpusError(f"{path}: no readable datasets Features in the file: {exc}") from exc
    if stored != expected:
        raise CorpusError(f"{path}: its Features differ from the current corpus Features "
                          "(was it written with another taxonomy?); rebuild it")
    # Through Python objects rather than `Dataset.from_parquet`, which writes a cache copy
    # under ~/.cache/huggingface.
    return Dataset.from_dict(table.to_pydict(), features=expected)


def _read_jsonl(path: Path, taxonomy: Taxonomy) -> Dataset:
    ads = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                ads.append(LabelledAd.model_validate_json(line))
            except ValueError as exc:
                raise CorpusError(f"{path}:{number}: {exc}") from exc
    return ads_to_dataset(ads, taxonomy)
