"""Out-of-fold splits for stacking hold out whole writers' batches (models/folds.py)."""

from collections import Counter

import pytest

from corpora.corpus import batch_of, load_corpus
from models.folds import writer_folds


@pytest.fixture(scope="module")
def seed_ads():
    return load_corpus().ads


def test_each_batch_lies_in_one_fold(seed_ads):
    folds = writer_folds(seed_ads, 3, 13)
    fold_of_batch: dict[str, set[int]] = {}
    for ad, fold in zip(seed_ads, folds, strict=True):
        fold_of_batch.setdefault(batch_of(ad.id), set()).add(int(fold))
    assert len(fold_of_batch) > 3
    assert all(len(found) == 1 for found in fold_of_batch.values())


def test_every_fold_holds_both_languages_and_a_fair_share(seed_ads):
    folds = writer_folds(seed_ads, 3, 13)
    sizes = Counter(folds.tolist())
    assert sorted(sizes) == [0, 1, 2]
    assert min(sizes.values()) > len(seed_ads) / 6
    for fold in range(3):
        langs = {ad.lang for ad, f in zip(seed_ads, folds, strict=True) if f == fold}
        assert langs == {"es", "pt"}


def test_fewer_batches_than_folds_deals_ads_one_by_one(seed_ads):
    one_batch = [ad for ad in seed_ads if batch_of(ad.id) == "es-1"][:30]
    folds = writer_folds(one_batch, 3, 13)
    assert sorted(Counter(folds.tolist())) == [0, 1, 2]
