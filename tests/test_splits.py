"""Grouped, stratified train/dev/test splits and the stored corpora/seed/splits.json."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from corpora.check import check_splits
from corpora.corpus import (
    SPLIT_NAMES,
    SPLITS_PATH,
    Splits,
    SplitsExistError,
    load_corpus,
    read_splits,
    write_splits,
)
from corpora.duplicates import near_duplicate_groups
from corpora.records import LabelledAd
from evaluation.splits import DEFAULT_RATIOS, extend_split, split_ads
from pipelines.cli import app


@pytest.fixture(scope="module")
def ads() -> list[LabelledAd]:
    return load_corpus().ads


@pytest.fixture(scope="module")
def splits(ads: list[LabelledAd]) -> Splits:
    return split_ads(ads, seed=13)


def synthetic_ads(n: int = 120, copies: int = 12, seed: int = 0) -> list[LabelledAd]:
    """`n` unrelated ads of random words, then `copies` near-copies (one word changed) of
    the first ads, some in a different kind than their original."""
    rng = random.Random(seed)
    vocabulary = [f"palabra{k}" for k in range(3000)]
    kinds = ("legit", "hard_negative", "deceptive")
    made = []
    for k in range(n):
        made.append(LabelledAd(id=f"s-{k:03d}", lang="es" if k % 2 else "pt",
                               country="MX" if k % 2 else "BR", source="classified",
                               kind=kinds[k % 3], risk="low",
                               text=" ".join(rng.choices(vocabulary, k=40))))
    for k in range(copies):
        original = made[k]
        text = original.text.split()
        text[20] = "distinta"
        made.append(original.model_copy(update={"id": f"s-{k:03d}-copy", "text": " ".join(text),
                                                "kind": kinds[(k + 1) % 3]}))
    return made


def split_of(splits: Splits) -> dict[str, str]:
    return {ad_id: name for name in SPLIT_NAMES for ad_id in splits.ids[name]}


def test_every_ad_in_exactly_one_split(ads: list[LabelledAd], splits: Splits) -> None:
    listed = [ad_id for name in SPLIT_NAMES for ad_id in splits.ids[name]]
    assert sorted(listed) == sorted(ad.id for ad in ads)


def test_split_is_deterministic(ads: list[LabelledAd], splits: Splits) -> None:
    assert split_ads(list(reversed(ads)), seed=13) == splits, "same split, whatever the order"
    assert split_ads(ads, seed=14).ids["test"] != splits.ids["test"]


def test_strata_follow_the_ratios(ads: list[LabelledAd], splits: Splits) -> None:
    where = split_of(splits)
    sizes = Counter((ad.lang, ad.kind) for ad in ads)
    got = Counter((where[ad.id], ad.lang, ad.kind) for ad in ads)
    for (lang, kind), n in sizes.items():
        for name in SPLIT_NAMES:
            assert abs(got[name, lang, kind] - DEFAULT_RATIOS[name] * n) <= 1.5, (name, lang, kind)


def test_near_duplicate_groups_never_cross_splits() -> None:
    made = synthetic_ads()
    groups = [g for g in near_duplicate_groups({ad.id: ad.text for ad in made}) if len(g) > 1]
    assert len(groups) == 12, "every near-copy is grouped with its original"
    for seed in (1, 2, 3):
        where = split_of(split_ads(made, seed=seed))
        for group in groups:
            assert len({where[ad_id] for ad_id in group}) == 1, group


def test_bad_ratios_are_refused(ads: list[LabelledAd]) -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        split_ads(ads[:10], ratios={"train": 0.8, "dev": 0.15, "test": 0.15})


def test_stored_splits_match_the_corpus(ads: list[LabelledAd]) -> None:
    stored = read_splits(SPLITS_PATH)
    assert stored.seed == 13
    assert stored.ratios == dict(DEFAULT_RATIOS)
    problems, counts = check_splits(ads, SPLITS_PATH)
    assert problems == []
    assert counts is not None
    assert sum(n for by_lang in counts.values() for by_kind in by_lang.values()
               for n in by_kind.values()) == len(ads)


def test_write_refuses_to_overwrite(tmp_path: Path, splits: Splits) -> None:
    path = write_splits(splits, tmp_path / "splits.json")
    moved = Splits(seed=1, method="other", ratios=splits.ratios,
                   near_duplicate_threshold=0.5, ids={name: [] for name in SPLIT_NAMES})
    with pytest.raises(SplitsExistError):
        write_splits(moved, path)
    assert read_splits(path) == splits
    write_splits(moved, path, force=True)
    assert read_splits(path).seed == 1


def test_cli_split_refuses_without_force(tmp_path: Path) -> None:
    root = tmp_path
    (root / "ads").mkdir()
    (root / "ads" / "s.jsonl").write_text("".join(
        ad.model_dump_json() + "\n" for ad in synthetic_ads(n=8, copies=0)), encoding="utf-8")
    runner = CliRunner()
    first = runner.invoke(app, ["corpus", "split", "--root", str(root), "--seed", "5"])
    assert first.exit_code == 0, first.output
    stored = json.loads((root / "splits.json").read_text(encoding="utf-8"))
    assert stored["seed"] == 5
    assert len(stored["train"] + stored["dev"] + stored["test"]) == 8
    again = runner.invoke(app, ["corpus", "split", "--root", str(root), "--seed", "6"])
    assert again.exit_code == 1
    assert "already exists" in again.output
    assert json.loads((root / "splits.json").read_text(encoding="utf-8"))["seed"] == 5
    forced = runner.invoke(app, ["corpus", "split", "--root", str(root), "--seed", "6",
                                 "--force"])
    assert forced.exit_code == 0, forced.output
    assert json.loads((root / "splits.json").read_text(encoding="utf-8"))["seed"] == 6


def renamed(ads: list[LabelledAd], batch: str) -> list[LabelledAd]:
    return [ad.model_copy(update={"id": f"{batch}-{k:04d}"}) for k, ad in enumerate(ads)]


def test_a_new_wave_gets_its_own_split_and_stored_ids_never_move() -> None:
    first = renamed(synthetic_ads(n=90, copies=0, seed=1), "es-1")
    stored = split_ads(first, seed=13)
    fresh = renamed(synthetic_ads(n=150, copies=0, seed=2), "es-4")
    # Three wave-2 ads are near-copies of wave-1 ads: they must follow their originals.
    copies = []
    for k in range(3):
        words = first[k].text.split()
        words[5] = "cambiada"
        copies.append(first[k].model_copy(update={"id": f"pt-4-{k:04d}", "text": " ".join(words)}))
    extended = extend_split(stored, first + fresh + copies, "2", seed=13)

    old_where, new_where = split_of(stored), split_of(extended)
    assert all(new_where[ad_id] == name for ad_id, name in old_where.items())
    assert extended.waves == {"1": ["es-1"], "2": ["es-4", "pt-4"]}
    for k in range(3):
        assert new_where[f"pt-4-{k:04d}"] == old_where[first[k].id]
    sizes = Counter((ad.lang, ad.kind) for ad in fresh)
    got = Counter((new_where[ad.id], ad.lang, ad.kind) for ad in fresh)
    for (lang, kind), n in sizes.items():
        for name in SPLIT_NAMES:
            assert abs(got[name, lang, kind] - DEFAULT_RATIOS[name] * n) <= 1.5, (name, lang, kind)
    assert set(extended.split_ids("test", wave="1")) == set(stored.ids["test"])
    assert {extended.wave_of(i) for i in extended.split_ids("test", wave="2")} == {"2"}
    with pytest.raises(ValueError, match="exists already"):
        extend_split(extended, first + fresh + copies, "2")
    with pytest.raises(ValueError, match="nothing to add"):
        extend_split(extended, first + fresh + copies, "3")


def test_waves_survive_a_round_trip_and_old_files_read_as_one_wave(tmp_path: Path) -> None:
    first = renamed(synthetic_ads(n=12, copies=0), "es-1")
    stored = split_ads(first, seed=3)
    path = write_splits(stored, tmp_path / "splits.json")
    assert read_splits(path) == stored
    legacy = json.loads(path.read_text(encoding="utf-8"))
    del legacy["waves"]
    path.write_text(json.dumps(legacy), encoding="utf-8")
    assert read_splits(path).waves == {"1": ["es-1"]}


def test_cli_split_extend_adds_a_wave(tmp_path: Path) -> None:
    (tmp_path / "ads").mkdir()
    first = renamed(synthetic_ads(n=10, copies=0, seed=1), "es-1")
    (tmp_path / "ads" / "es-1.jsonl").write_text(
        "".join(ad.model_dump_json() + "\n" for ad in first), encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["corpus", "split", "--root", str(tmp_path)]).exit_code == 0
    before = read_splits(tmp_path / "splits.json")
    second = renamed(synthetic_ads(n=10, copies=0, seed=2), "es-4")
    (tmp_path / "ads" / "es-4.jsonl").write_text(
        "".join(ad.model_dump_json() + "\n" for ad in second), encoding="utf-8")
    result = runner.invoke(app, ["corpus", "split", "--root", str(tmp_path), "--extend", "2"])
    assert result.exit_code == 0, result.output
    after = read_splits(tmp_path / "splits.json")
    assert after.waves == {"1": ["es-1"], "2": ["es-4"]}
    assert all(set(before.ids[n]) <= set(after.ids[n]) for n in SPLIT_NAMES)
    again = runner.invoke(app, ["corpus", "split", "--root", str(tmp_path), "--extend", "3"])
    assert again.exit_code == 1 and "nothing to add" in again.output
