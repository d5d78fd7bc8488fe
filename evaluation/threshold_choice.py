"""Choose where the ensemble's per-indicator thresholds are tuned, on cross-writer validation.

The dev split shares its writers with train: the TF-IDF and semantic models have read
each dev writer's other ads, so their probabilities on dev are higher than on the ads of
writers they never read, which is what the detector meets in use. Out-of-fold train
probabilities (`models.folds.writer_folds`: whole writers' batches held out) are those of
unseen writers. Candidates for v1's thresholds (E) and v2's (F, with `keep_rule_hits`):
chosen on dev alone (before 2026-12-05), on out-of-fold train alone, and on both
(`models.thresholds.unseen_writer_thresholds`).

Validation: the train split's writers' batches are cut in two at random (20 times); each
candidate chooses on one half's out-of-fold rows (plus dev, for "both") and is scored on
the other half's, writers its thresholds never saw. The test split is never looked at.
Run: `python -m evaluation.threshold_choice --home CENTINELA_HOME` (a few minutes: it
trains v1 and the semantic model as `centinela train` does, reusing the home's cached
embeddings and compiled rules; nothing is registered).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from models.thresholds import choose_thresholds, unseen_writer_thresholds

HALVINGS = 20
POLICIES = ("dev", "out-of-fold train", "both")


def policy_thresholds(policy: str, P_oof: np.ndarray, Y_oof: np.ndarray, P_dev: np.ndarray,
                      Y_dev: np.ndarray) -> np.ndarray:
    """Per-indicator thresholds a candidate chooses from what it may see."""
    if policy == "both":
        return np.array(unseen_writer_thresholds(P_oof, Y_oof, P_dev, Y_dev))
    P, Y = (P_dev, Y_dev) if policy == "dev" else (P_oof, Y_oof)
    return np.array(choose_thresholds(P, Y)[0])


def cross_writer_scores(arrays: dict[str, np.ndarray], batches: np.ndarray,
                        halvings: int = HALVINGS, seed: int = 0) -> dict[str, np.ndarray]:
    """Per policy, (halvings, 3): macro-F1, micro precision and micro recall of v2 on the
    held-out half of train's writers' batches. `arrays` holds E and F (out-of-fold train
    and dev), Y, and R (rule found) of train: E_train, F_train, E_dev, F_dev, Y_train,
    Y_dev, R_train."""
    from sklearn.metrics import f1_score, precision_score, recall_score

    from models.ensemble.semantic import keep_rule_hits

    a = arrays
    names = sorted(set(batches.tolist()))
    rng = np.random.default_rng(seed)
    out: dict[str, list[tuple[float, float, float]]] = {p: [] for p in POLICIES}
    for _ in range(halvings):
        chosen = set(rng.choice(names, len(names) // 2, replace=False).tolist())
        fit = np.array([b in chosen for b in batches])
        held = ~fit
        for policy in POLICIES:
            t1 = policy_thresholds(policy, a["E_train"][fit], a["Y_train"][fit], a["E_dev"],
                                   a["Y_dev"])
            t2 = policy_thresholds(policy, a["F_train"][fit], a["Y_train"][fit], a["F_dev"],
                                   a["Y_dev"])
            F = keep_rule_hits(a["F_train"][held], a["E_train"][held], a["R_train"][held],
                               t1, t2)
            Y, predicted = a["Y_train"][held], F >= t2[None, :]
            out[policy].append((
                f1_score(Y, predicted, average="macro", zero_division=0),
                precision_score(Y, predicted, average="micro", zero_division=0),
                recall_score(Y, predicted, average="micro", zero_division=0)))
    return {policy: np.array(rows) for policy, rows in out.items()}


def training_arrays(home: Path, report: Callable[[str], None]
                    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Train v1 and the semantic model as `centinela train` does (seed corpus, no store
    labels) and return the arrays `cross_writer_scores` reads, with each train row's batch."""
    from annotation.learning.corrections import CorrectionSet
    from corpora.corpus import batch_of
    from corpora.framing import framed_copies
    from corpora.taxonomy import load_taxonomy
    from evaluation.retrain import _rules, build_training_set
    from models.artifacts import cache_root
    from models.ensemble.semantic import DEFAULT_GATE, _fit_stackers, _targets, passes_gate, stack
    from models.ensemble.train import train_ensemble
    from models.semantic.encoder import cached_encoder
    from models.semantic.train import train_semantic

    data = build_training_set(CorrectionSet([]))
    train = [*data.train, *framed_copies(data.train)]
    result = train_ensemble(train, data.dev, load_taxonomy().ids, _rules(home), report=report)
    labels = result.model.labels
    with cached_encoder(cache_root(home)) as encoder:
        semantic = train_semantic(train, data.dev, labels, encoder, folds=3, report=report)
    E_train, E_dev = result.E_train_oof, result.E_dev
    S_train = semantic.P_train_oof * passes_gate(E_train, result.model.thresholds,
                                                 DEFAULT_GATE)[:, None]
    S_dev = semantic.P_dev * passes_gate(E_dev, result.model.thresholds, DEFAULT_GATE)[:, None]
    Y_train, Y_dev = _targets(train, labels), _targets(data.dev, labels)
    coef, intercept = _fit_stackers(E_train, S_train, Y_train)
    arrays = {"E_train": E_train, "E_dev": E_dev, "Y_train": Y_train, "Y_dev": Y_dev,
              "F_train": stack(E_train, S_train, coef, intercept),
              "F_dev": stack(E_dev, S_dev, coef, intercept), "R_train": result.rules_train}
    return arrays, np.array([batch_of(ad.id) for ad in train])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, required=True,
                        help="Centinela home whose caches (embeddings, compiled rules) to use")
    args = parser.parse_args()
    arrays, batches = training_arrays(args.home,
                                      lambda message: print(message, file=sys.stderr))
    scores = cross_writer_scores(arrays, batches)
    base = scores["dev"][:, 0]
    print(f"v2 on held-out writers ({HALVINGS} halvings of train's batches), mean")
    print(f"{'thresholds chosen on':22s}{'macro-F1':>10s}{'micro P':>10s}{'micro R':>10s}"
          f"  macro-F1 above 'dev'")
    for policy, rows in scores.items():
        macro, precision, recall = rows.mean(axis=0)
        wins = int((rows[:, 0] > base).sum())
        print(f"{policy:22s}{macro:10.3f}{precision:10.3f}{recall:10.3f}"
              f"  {wins} of {len(rows)}")


if __name__ == "__main__":
    main()
