"""Grouped, stratified train/dev/test splits of the labelled corpus.

Near-duplicate ads (MinHash similarity at or over a threshold, or a shared long sentence)
form groups, and each group goes whole into one split, so a model is never scored on a
near-copy of an ad it was trained on. Within that constraint every (language, kind)
stratum is divided as close to the ratios as the group sizes allow. The same ads, seed,
ratios and threshold always give the same split.

The test split is for final reporting only: never for choosing thresholds, patterns or
models (use dev for that).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Mapping, Sequence

from corpora.corpus import SPLIT_NAMES, Splits, batch_of
from corpora.duplicates import DEFAULT_SIMILARITY_THRESHOLD, near_duplicate_groups
from corpora.records import LabelledAd

DEFAULT_SEED = 13
DEFAULT_RATIOS: Mapping[str, float] = {"train": 0.70, "dev": 0.15, "test": 0.15}
METHOD = ("grouped-stratified.v1: strata lang x kind; groups = union-find over MinHash LSH "
          "pairs (word 3-shingles, num_perm 128, Jaccard estimate >= threshold) and shared "
          "sentences of 9+ words; whole groups assigned largest first, each to the split "
          "whose strata are least filled")


def split_ads(ads: Sequence[LabelledAd], *, seed: int = DEFAULT_SEED,
              ratios: Mapping[str, float] = DEFAULT_RATIOS,
              threshold: float = DEFAULT_SIMILARITY_THRESHOLD, wave: str = "1") -> Splits:
    """Assign every ad to train, dev or test (ids sorted within each split).

    Groups are visited largest first, equal sizes in an order shuffled by `seed`; each goes
    to the split where, after adding it, its strata are least filled relative to their
    targets (ratio x stratum size); ties go to the earlier split in train, dev, test.
    All the ads' batches form wave `wave`.
    """
    _check_ratios(ratios)
    by_id = _unique_ids(ads)
    groups = near_duplicate_groups(_texts(ads), threshold)
    assigned = _assign_groups(groups, by_id, ratios, seed)
    return Splits(seed=seed, method=METHOD, ratios={name: ratios[name] for name in SPLIT_NAMES},
                  near_duplicate_threshold=threshold,
                  ids={name: sorted(ids) for name, ids in assigned.items()},
                  waves={wave: sorted({batch_of(ad_id) for ad_id in by_id})})


def extend_split(splits: Splits, ads: Sequence[LabelledAd], wave: str, *,
                 seed: int = DEFAULT_SEED) -> Splits:
    """Add the ads that `splits` does not list yet as a new wave, leaving every stored
    assignment where it is.

    Near-duplicate groups are found over all the ads at the stored threshold. A new ad
    linked to stored ones follows them into their split (so no group crosses splits); the
    other new ads are split on their own, grouped and stratified as in `split_ads`, so the
    new wave gets its own train, dev and test at the stored ratios.
    """
    if wave in splits.waves:
        raise ValueError(f"wave {wave!r} exists already; name the new wave")
    by_id = _unique_ids(ads)
    where = {ad_id: name for name in SPLIT_NAMES for ad_id in splits.ids[name]}
    new = {ad_id for ad_id in by_id if ad_id not in where}
    if not new:
        raise ValueError("every ad is in the splits already; nothing to add")
    clashing = sorted({batch_of(i) for i in new} & {b for bs in splits.waves.values() for b in bs})
    if clashing:
        raise ValueError(f"batches {clashing} belong to an earlier wave but have unsplit ads; "
                         "a wave's batches are split once")
    assigned: dict[str, list[str]] = {name: list(splits.ids[name]) for name in SPLIT_NAMES}
    fresh_groups = []
    for group in near_duplicate_groups(_texts(ads), splits.near_duplicate_threshold):
        stored = sorted({where[ad_id] for ad_id in group if ad_id in where})
        if len(stored) > 1:
            raise ValueError(f"near-duplicate group {group} already crosses splits {stored}")
        added = [ad_id for ad_id in group if ad_id in new]
        if stored:
            assigned[stored[0]].extend(added)
        elif added:
            fresh_groups.append(added)
    for name, ids in _assign_groups(fresh_groups, by_id, splits.ratios, seed).items():
        assigned[name].extend(ids)
    return Splits(seed=splits.seed, method=splits.method, ratios=dict(splits.ratios),
                  near_duplicate_threshold=splits.near_duplicate_threshold,
                  ids={name: sorted(ids) for name, ids in assigned.items()},
                  waves={**splits.waves, wave: sorted({batch_of(i) for i in new})})


def _check_ratios(ratios: Mapping[str, float]) -> None:
    if set(ratios) != set(SPLIT_NAMES) or any(r <= 0 for r in ratios.values()):
        raise ValueError(f"ratios must give a positive share for each of {list(SPLIT_NAMES)}")
    if not math.isclose(sum(ratios.values()), 1.0, abs_tol=1e-9):
        raise ValueError(f"ratios must sum to 1, got {dict(ratios)}")


def _unique_ids(ads: Sequence[LabelledAd]) -> dict[str, LabelledAd]:
    by_id = {ad.id: ad for ad in ads}
    if len(by_id) != len(ads):
        raise ValueError("ad ids must be unique to split a corpus")
    return by_id


def _texts(ads: Sequence[LabelledAd]) -> dict[str, str]:
    return {ad.id: ad.text for ad in sorted(ads, key=lambda ad: ad.id)}


def _assign_groups(groups: list[list[str]], by_id: Mapping[str, LabelledAd],
                   ratios: Mapping[str, float], seed: int) -> dict[str, list[str]]:
    """Each group whole into the split whose (language, kind) strata it fills least."""
    groups = list(groups)
    random.Random(seed).shuffle(groups)
    groups.sort(key=len, reverse=True)

    def stratum(ad_id: str) -> tuple[str, str]:
        return by_id[ad_id].lang, by_id[ad_id].kind

    sizes = Counter(stratum(ad_id) for group in groups for ad_id in group)
    target = {(name, key): ratios[name] * n for name in SPLIT_NAMES for key, n in sizes.items()}
    filled: Counter[tuple[str, tuple[str, str]]] = Counter()
    assigned: dict[str, list[str]] = {name: [] for name in SPLIT_NAMES}
    for group in groups:
        need = Counter(stratum(ad_id) for ad_id in group)
        best = min(SPLIT_NAMES, key=lambda name: sum(
            (filled[name, key] + n) / target[name, key] for key, n in need.items()))
        for key, n in need.items():
            filled[best, key] += n
        assigned[best].extend(group)
    return assigned
