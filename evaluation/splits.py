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

from corpora.corpus import SPLIT_NAMES, Splits
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
              threshold: float = DEFAULT_SIMILARITY_THRESHOLD) -> Splits:
    """Assign every ad to train, dev or test (ids sorted within each split).

    Groups are visited largest first, equal sizes in an order shuffled by `seed`; each goes
    to the split where, after adding it, its strata are least filled relative to their
    targets (ratio x stratum size); ties go to the earlier split in train, dev, test.
    """
    if set(ratios) != set(SPLIT_NAMES) or any(r <= 0 for r in ratios.values()):
        raise ValueError(f"ratios must give a positive share for each of {list(SPLIT_NAMES)}")
    if not math.isclose(sum(ratios.values()), 1.0, abs_tol=1e-9):
        raise ValueError(f"ratios must sum to 1, got {dict(ratios)}")
    by_id = {ad.id: ad for ad in ads}
    if len(by_id) != len(ads):
        raise ValueError("ad ids must be unique to split a corpus")
    texts = {ad.id: ad.text for ad in sorted(ads, key=lambda ad: ad.id)}
    groups = near_duplicate_groups(texts, threshold)
    random.Random(seed).shuffle(groups)
    groups.sort(key=len, reverse=True)

    def stratum(ad_id: str) -> tuple[str, str]:
        return by_id[ad_id].lang, by_id[ad_id].kind

    sizes = Counter(stratum(ad_id) for ad_id in by_id)
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
    return Splits(seed=seed, method=METHOD, ratios={name: ratios[name] for name in SPLIT_NAMES},
                  near_duplicate_threshold=threshold,
                  ids={name: sorted(ids) for name, ids in assigned.items()})

