"""Choose the risk escalation (models/risk_policy.yaml) on cross-style validation.

Each corpus batch is one writer's style. For every batch in turn, the candidate policy
with the best `high` F1 on the *other* batches is chosen and then measured on the held-out
batch; the report gives those held-out figures per batch and how often each candidate won.
Only the dev split is used (the trained detectors never saw it; the test split is never
looked at). Run: `python -m evaluation.risk_choice --home CENTINELA_HOME [--model NAME]`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from corpora.corpus import batch_of
from corpora.records import IndicatorHit, LabelledAd
from models.risk import RiskPolicy, escalates, load_risk_policy

CANDIDATES: dict[str, dict] = {
    "none": {"combinations": [], "strong_with": None},
    "combination": {"strong_with": None},
    "combination+strong_with_2": {"strong_with": 2},
    "combination+strong_with_1": {"strong_with": 1},
    "combination+strong_alone": {"strong_with": 0},
}


@dataclass(frozen=True)
class HighCounts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: HighCounts) -> HighCounts:
        return HighCounts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0


def high_counts(gold: Sequence[str], high: Sequence[bool]) -> HighCounts:
    """Rated `high` against gold `high`."""
    return HighCounts(tp=sum(g == "high" and h for g, h in zip(gold, high, strict=True)),
                      fp=sum(g != "high" and h for g, h in zip(gold, high, strict=True)),
                      fn=sum(g == "high" and not h for g, h in zip(gold, high, strict=True)))


def candidate_policies(base: RiskPolicy) -> dict[str, RiskPolicy]:
    return {name: base.model_copy(update=change) for name, change in CANDIDATES.items()}


def cross_style(ads: Sequence[LabelledAd], risks: Sequence[str],
                hits: Sequence[list[IndicatorHit]], policies: dict[str, RiskPolicy]
                ) -> dict[str, dict]:
    """Leave one batch out: per held-out batch, the candidate chosen on the others and its
    `high` counts there. `risks` are the detector's levels before escalation."""
    rated = {name: [risk == "high" or escalates(h, policy) for risk, h in
                    zip(risks, hits, strict=True)] for name, policy in policies.items()}
    batches = sorted({batch_of(ad.id) for ad in ads})
    counts = {name: {b: high_counts(
        [ad.risk for ad in ads if batch_of(ad.id) == b],
        [r for ad, r in zip(ads, rated[name], strict=True) if batch_of(ad.id) == b])
        for b in batches} for name in policies}
    out = {}
    for held in batches:
        chosen = max(policies, key=lambda n: (sum((c for b, c in counts[n].items()
                                                   if b != held), HighCounts()).f1,
                                              -list(policies).index(n)))
        out[held] = {"chosen": chosen, **vars(counts[chosen][held]),
                     "f1": round(counts[chosen][held].f1, 4),
                     "every": {n: round(counts[n][held].f1, 4) for n in policies}}
    return out


def main() -> None:
    from collections import Counter

    from corpora.corpus import load_corpus, read_splits
    from models.registry import load_detector

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="indicators.ensemble.v1")
    parser.add_argument("--home", type=Path, required=True,
                        help="the Centinela home the trained model is registered in")
    args = parser.parse_args()
    model = args.model
    dev = set(read_splits().ids["dev"])
    ads = [ad for ad in load_corpus().ads if ad.id in dev]
    detector = load_detector(model, home=args.home)
    base = load_risk_policy()
    plain = base.model_copy(update=CANDIDATES["none"])
    detector.risk_policy = plain  # levels before escalation
    assessments = detector.assess([ad.to_ad() for ad in ads])
    result = cross_style(ads, [a.risk for a in assessments], [a.hits for a in assessments],
                         candidate_policies(base))
    total = sum((HighCounts(r["tp"], r["fp"], r["fn"]) for r in result.values()), HighCounts())
    print(f"{model} on the dev split, one batch held out at a time")
    for batch, r in result.items():
        print(f"  {batch:6s} chosen {r['chosen']:28s} high F1 {r['f1']:.3f} "
              f"(tp {r['tp']}, fp {r['fp']}, fn {r['fn']})  all: {r['every']}")
    print(f"held-out high F1 over all batches: {total.f1:.3f}; chosen: "
          f"{dict(Counter(r['chosen'] for r in result.values()))}")


if __name__ == "__main__":
    main()
