"""Out-of-fold splits for stacking: whole writers' batches are held out together.

The ensemble learns how far to trust each part (TF-IDF, rules, the semantic model) from
their out-of-fold probabilities on train. With ads dealt to folds at random, every held-out
ad has siblings from its own writer in the fitting folds, so TF-IDF, which learns a
writer's wording, looks more reliable there than on ads of a writer it never saw, which
is what the detector meets in use. Holding out whole batches (`corpora.corpus.batch_of`)
makes the out-of-fold probabilities those of unseen writers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from corpora.corpus import batch_of
from corpora.records import LabelledAd


def writer_folds(ads: Sequence[LabelledAd], folds: int, seed: int) -> np.ndarray:
    """Each ad's fold (0..folds-1): batches kept whole, folds balanced by language and
    kind. With fewer batches than folds, ads are dealt one by one."""
    from sklearn.model_selection import StratifiedGroupKFold

    strata = [f"{ad.lang}-{ad.kind}" for ad in ads]
    groups = [batch_of(ad.id) for ad in ads]
    if len(set(groups)) < folds:
        groups = list(range(len(ads)))
    out = np.zeros(len(ads), dtype=int)
    splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
    for fold, (_, held) in enumerate(splitter.split(np.zeros(len(ads)), strata, groups)):
        out[held] = fold
    return out
