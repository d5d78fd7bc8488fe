"""Choose how the ensemble combines TF-IDF and rule hits, on cross-style validation.

Candidates: the noisy-or of `indicators.rules.v1` hits and TF-IDF (the ensemble's
combination before 2026-12-04, each rule trusted as much as its train precision), and
the per-indicator logistic regression of `models.ensemble.train.fit_combiner` over the
TF-IDF log-odds, the base patterns' hits and the vocabulary-only hits of the rules
version the ensemble trains with (`TRAINING_RULES_VERSION`), for several C. Each is fitted on the train split (TF-IDF out of
fold, as in training). On the dev split, each writer's batch in turn gets per-indicator
thresholds chosen on the *other* batches; the report gives the macro-F1 of those
held-out predictions per wave and language, over the whole dev split, and the lowest
indicator F1. The test split is never looked at.
Run: `python -m evaluation.combiner_choice` (several minutes: it fits TF-IDF four times).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from corpora.corpus import batch_of
from evaluation import metrics as m
from models.thresholds import choose_thresholds

C_GRID = (0.3, 1.0, 3.0)


def held_out_predictions(E: np.ndarray, Y: np.ndarray, groups: Sequence[str]) -> np.ndarray:
    """0/1 predictions of each group's rows, at the per-indicator thresholds chosen
    (`choose_thresholds`) on the rows of the other groups."""
    groups = np.asarray(groups)
    predicted = np.zeros(Y.shape, dtype=bool)
    for group in sorted(set(groups.tolist())):
        held = groups == group
        thresholds = np.array(choose_thresholds(E[~held], Y[~held])[0])
        predicted[held] = E[held] >= thresholds[None, :]
    return predicted


def cell_scores(Y: np.ndarray, predicted: np.ndarray, cells: Sequence[str]) -> dict[str, float]:
    """Macro-F1 per cell (e.g. "w2-es"), then "all" and "lowest indicator"."""
    cells = np.asarray(cells)
    out = {cell: m.macro_f1(m.count_labels(Y[cells == cell], predicted[cells == cell]))
           for cell in sorted(set(cells.tolist()))}
    counts = m.count_labels(Y, predicted)
    out["all"] = m.macro_f1(counts)
    out["lowest indicator"] = min(c.f1 for c in counts if c.f1 is not None)
    return out


def candidates(train, dev, labels: Sequence[str], report: Callable[[str], None]
               ) -> dict[str, np.ndarray]:
    """Dev probabilities of every candidate combination, fitted on `train`."""
    from sklearn.linear_model import LogisticRegression

    from models.ensemble.combine import _logit, combine_probabilities, rule_features, rule_matrix
    from models.ensemble.store import TRAINING_RULES_VERSION
    from models.ensemble.train import _out_of_fold, _targets, fit_combiner
    from models.registry import load_detector
    from models.tfidf.model import TfidfIndicatorModel

    Y = _targets(train, labels)
    report("fitting TF-IDF on train, then out of fold (3 folds)")
    tfidf = TfidfIndicatorModel(labels, mode="shared").fit(
        [a.text for a in train], [a.lang for a in train], Y)
    P_dev = tfidf.predict_proba([a.text for a in dev], [a.lang for a in dev])
    P_oof = _out_of_fold(train, Y, lambda: TfidfIndicatorModel(labels, mode="shared"), 3, 13)
    rules = f"rules v{TRAINING_RULES_VERSION}"
    report(f"rules v1 and {rules} on train and dev")
    v1 = load_detector("indicators.rules.v1")
    trained_with = load_detector(f"indicators.rules.v{TRAINING_RULES_VERSION}")
    R1_train = rule_matrix(v1.detect_hits([a.to_ad() for a in train]), labels)
    R1_dev = rule_matrix(v1.detect_hits([a.to_ad() for a in dev]), labels)
    fired = R1_train > 0
    weights = (np.sum(fired & (Y == 1), axis=0) + 1) / (np.sum(fired, axis=0) + 2)
    out = {"noisy-or, rules v1": 1.0 - (1.0 - R1_dev * weights) * (1.0 - P_dev)}
    R_train = rule_features(*trained_with.detect_hits_by_file([a.to_ad() for a in train]), labels)
    R_dev = rule_features(*trained_with.detect_hits_by_file([a.to_ad() for a in dev]), labels)
    for C in C_GRID:
        coef, intercept = fit_combiner(P_oof, R_train, Y, C=C)
        out[f"combiner, {rules}, C={C:g}"] = combine_probabilities(P_dev, R_dev, coef,
                                                                    intercept)
    n = len(labels)
    # narrower combiners: the indicator's own features only; the noisy-or of v1 with the
    # vocabulary-only hit beside it
    E_oof = 1.0 - (1.0 - R1_train * weights) * (1.0 - P_oof)
    E_dev = out["noisy-or, rules v1"]
    narrow = {
        f"own features only, {rules}": lambda P, R, k: np.column_stack(
            [_logit(P[:, k]), R[:, k], R[:, n + k]]),
        "noisy-or v1 + vocabulary": lambda E, R, k: np.column_stack(
            [_logit(E[:, k]), R[:, n + k]])}
    for name, features in narrow.items():
        X_train, X_dev = (P_oof, P_dev) if name.startswith("own") else (E_oof, E_dev)
        out[name] = np.column_stack([
            LogisticRegression(max_iter=2000).fit(features(X_train, R_train, k), Y[:, k])
            .predict_proba(features(X_dev, R_dev, k))[:, 1]
            if 0 < Y[:, k].sum() < len(Y) else np.zeros(len(dev)) for k in range(n)])
    return out


def main() -> None:
    import sys

    from corpora.corpus import load_corpus, read_splits
    from corpora.taxonomy import load_taxonomy
    from models.ensemble.train import _targets

    labels = load_taxonomy().ids
    splits = read_splits()
    ads = {ad.id: ad for ad in load_corpus().ads}
    train, dev = ([ads[i] for i in splits.ids[name]] for name in ("train", "dev"))
    found = candidates(train, dev, labels, lambda message: print(message, file=sys.stderr))
    Y = _targets(dev, labels).astype(bool)
    cells = [f"w{splits.wave_of(a.id)}-{a.lang}" for a in dev]
    rows = {name: cell_scores(Y, held_out_predictions(E, Y, [batch_of(a.id) for a in dev]),
                              cells) for name, E in found.items()}
    columns = list(next(iter(rows.values())))
    print("Dev split, per-indicator thresholds chosen on the other writers' batches")
    print(f"{'combination':32s}" + "".join(f"{c:>10s}" for c in columns[:-1]) + "  lowest ind.")
    for name, row in rows.items():
        print(f"{name:32s}" + "".join(f"{row[c]:10.3f}" for c in columns))


if __name__ == "__main__":
    main()
