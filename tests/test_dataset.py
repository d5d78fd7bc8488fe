"""The corpus as Hugging Face datasets: Features, the stored splits, Parquet/JSONL files."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest
from datasets import ClassLabel, DatasetDict, List, Value

from corpora.corpus import SPLIT_NAMES, CorpusError, load_corpus, read_splits
from corpora.dataset import (
    ads_to_dataset,
    corpus_features,
    dataset_to_ads,
    load_corpus_dataset,
    load_dataset_dict,
    save_dataset_dict,
)
from corpora.records import RISK_LEVELS, Kind, LabelledAd
from corpora.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def corpus_dataset() -> DatasetDict:
    return load_corpus_dataset()


def test_features_derive_from_the_schema_and_taxonomy() -> None:
    features = corpus_features()
    assert list(features) == list(LabelledAd.model_fields)
    assert features["lang"].names == ["es", "pt"]
    assert features["kind"].names == list(get_args(Kind))
    assert features["risk"].names == list(RISK_LEVELS)
    assert features["id"] == features["text"] == features["country"] == Value("string")
    assert isinstance(features["indicators"], List)
    assert features["indicators"].feature.names == list(load_taxonomy().ids)
    span = features["evidence"].feature
    assert set(span) == {"indicator", "start", "end", "text"}
    assert isinstance(span["indicator"], ClassLabel)
    assert span["indicator"].names == list(load_taxonomy().ids)


def test_corpus_dataset_has_the_stored_splits(corpus_dataset: DatasetDict) -> None:
    stored = read_splits()
    assert list(corpus_dataset) == list(SPLIT_NAMES)
    for name in SPLIT_NAMES:
        assert sorted(corpus_dataset[name]["id"]) == stored.ids[name]
        assert corpus_dataset[name].features == corpus_features()


def test_rows_decode_to_the_corpus_ads(corpus_dataset: DatasetDict) -> None:
    by_id = {ad.id: ad for ad in load_corpus().ads}
    decoded = [ad for name in SPLIT_NAMES for ad in dataset_to_ads(corpus_dataset[name])]
    assert len(decoded) == len(by_id)
    assert all(ad == by_id[ad.id] for ad in decoded)
    flagged = next(ad for ad in decoded if ad.indicators)
    row = corpus_dataset["train"].filter(lambda r: r["id"] == flagged.id)[0]
    span = row["evidence"][0]
    assert flagged.text[span["start"]:span["end"]] == span["text"]


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_save_and_load_round_trip(corpus_dataset: DatasetDict, tmp_path: Path, fmt: str) -> None:
    written = save_dataset_dict(corpus_dataset, tmp_path, fmt)
    assert [p.name for p in written] == [f"{name}.{fmt}" for name in SPLIT_NAMES]
    loaded = load_dataset_dict(tmp_path, fmt)
    assert list(loaded) == list(SPLIT_NAMES)
    for name in SPLIT_NAMES:
        assert loaded[name].features == corpus_dataset[name].features
        assert loaded[name].to_list() == corpus_dataset[name].to_list()


def test_parquet_from_another_taxonomy_is_refused(tmp_path: Path) -> None:
    taxonomy = load_taxonomy()
    reordered = taxonomy.model_copy(update={"indicators": list(reversed(taxonomy.indicators))})
    ads = [ad for ad in load_corpus().ads if ad.indicators][:5]
    save_dataset_dict(DatasetDict({"train": ads_to_dataset(ads, reordered)}), tmp_path, "parquet")
    with pytest.raises(CorpusError, match="another taxonomy"):
        load_dataset_dict(tmp_path, "parquet")
    save_dataset_dict(DatasetDict({"train": ads_to_dataset(ads, reordered)}), tmp_path, "jsonl")
    assert dataset_to_ads(load_dataset_dict(tmp_path, "jsonl")["train"]) == ads, \
        "JSONL keeps label names, so a new label order reads it right"


def test_corpus_dataset_needs_matching_splits(tmp_path: Path) -> None:
    (tmp_path / "ads").mkdir()
    ad = load_corpus().ads[0]
    (tmp_path / "ads" / "x.jsonl").write_text(ad.model_dump_json() + "\n", encoding="utf-8")
    (tmp_path / "splits.json").write_text(
        '{"seed": 1, "method": "m", "ratios": {"train": 0.7, "dev": 0.15, "test": 0.15},'
        ' "train": [], "dev": [], "test": []}', encoding="utf-8")
    with pytest.raises(CorpusError, match="does not match the corpus"):
        load_corpus_dataset(tmp_path, tmp_path / "splits.json")
