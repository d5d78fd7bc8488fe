"""Active learning: which ads trainers label next.

A policy is a plain function registered under a versioned name (`uncertainty.v1`, ...):
it ranks a pool of candidates and returns picks, each with its reason and score. A change
of behaviour is a new version; the old name keeps working, and every batch records the
policy that filled it.

Candidates are built from stored assessments (`candidate_from_assessments`): one view per
detector that assessed the ad (rules, TF-IDF, ensemble, a semantic model when there is
one), with the hit scores it stored and, for trained detectors, the thresholds it used.
Nothing here loads a model; the caller reads thresholds from the model artifacts.

- **Uncertainty** is closeness to a decision threshold: `1 - |s - t| / t` below the
  threshold, `1 - |s - t| / (1 - t)` above it (1 at the threshold, 0 at 0 or 1), taken at
  each indicator's threshold and at the risk thresholds (medium, high); an ad's uncertainty
  is the highest over its indicators, risk levels and detectors. An indicator a detector
  did not report counts as score 0 (stored assessments keep only found hits).
- **Disagreement** between detectors, per indicator: with a share `p` of the detectors
  reporting it, `1 - |2p - 1|` (0 when all agree, 1 at an even split); an ad's
  disagreement combines its indicators by noisy-or, `1 - prod(1 - d)`.
- **Diversity**: near-duplicate clusters (MinHash, `corpora.duplicates`, joined with the
  stored clusters of ads sharing a contact) are taken in turns: the best ad of each cluster first, then the second best of each, and so on, so a
  batch never spends two places on copies of one ad while other clusters wait.
- **The evaluation slice**: a fixed random share of all ads, chosen by a hash of the ad id
  alone (never by scores, the model or the policy). Every batch draws that share of its
  places from the slice, in hash order; policies never pick slice ads. So the labelled
  slice ads are always a uniform sample of what was scanned, fit for honest evaluation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from corpora.duplicates import group_ids, near_duplicate_groups
from corpora.records import Ad, Assessment

EVALUATION_SLICE_SEED = "centinela-evaluation-slice-v1"
EVALUATION_SLICE_SHARE = 0.1
DEFAULT_POLICY = "mixed.v1"

Reason = Literal["evaluation-slice", "uncertainty", "disagreement", "random"]


@dataclass(frozen=True)
class Thresholds:
    """A trained detector's decision thresholds: per indicator (0.5 when not listed) and
    the risk score thresholds for medium and high."""

    indicators: Mapping[str, float] = field(default_factory=dict)
    risk_medium: float = 0.5
    risk_high: float = 0.8

    def indicator(self, indicator_id: str) -> float:
        return self.indicators.get(indicator_id, 0.5)


@dataclass(frozen=True)
class DetectorView:
    """One detector's stored verdict on an ad. `thresholds` is None for detectors without
    a score threshold (rules: a hit is a hit)."""

    detector: str
    scores: Mapping[str, float]
    risk_score: float
    thresholds: Thresholds | None = None


@dataclass(frozen=True)
class Candidate:
    """An ad that could go to the trainers, with every detector's view of it and the
    stored cluster it belongs to (ads sharing a contact or a near-copy text), if any."""

    ad_id: str
    lang: str
    text: str
    views: tuple[DetectorView, ...]
    cluster: int | None = None


@dataclass(frozen=True)
class Pick:
    """One selected ad: why (`reason`), how strongly (`score`), by which policy."""

    ad_id: str
    reason: Reason
    score: float
    policy: str


def detector_key(assessment: Assessment) -> str:
    """'indicators.ensemble.v1' for an assessment by that detector."""
    return f"{assessment.model.name}.v{assessment.model.version}"


def candidate_from_assessments(ad: Ad, assessments: Sequence[Assessment],
                               thresholds: Mapping[str, Thresholds],
                               cluster: int | None = None) -> Candidate:
    """A candidate from an ad's stored assessments (the latest per detector wins);
    `thresholds` maps detector keys (see `detector_key`) to their thresholds."""
    views: dict[str, DetectorView] = {}
    for assessment in sorted(assessments, key=lambda a: a.created_at):
        key = detector_key(assessment)
        scores: dict[str, float] = {}
        for hit in assessment.hits:
            scores[hit.id] = max(hit.score, scores.get(hit.id, 0.0))
        views[key] = DetectorView(key, scores, assessment.score, thresholds.get(key))
    return Candidate(ad.id, ad.lang, ad.text, tuple(views[k] for k in sorted(views)), cluster)


# --- scores ------------------------------------------------------------------------------

def closeness(score: float, threshold: float) -> float:
    """1 at the threshold, falling linearly to 0 at 0 (below) or 1 (above)."""
    if not 0.0 < threshold < 1.0:
        return 0.0
    width = threshold if score < threshold else 1.0 - threshold
    return max(0.0, 1.0 - abs(score - threshold) / width)


def uncertainty(candidate: Candidate) -> float:
    """How close the ad sits to any threshold of any trained detector (0 to 1)."""
    best = 0.0
    for view in candidate.views:
        if view.thresholds is None:
            continue
        t = view.thresholds
        best = max(best, closeness(view.risk_score, t.risk_medium),
                   closeness(view.risk_score, t.risk_high),
                   *(closeness(s, t.indicator(ind)) for ind, s in view.scores.items()))
    return best


def disagreement(candidate: Candidate) -> float:
    """How much the detectors disagree on which indicators the ad shows (0 to 1)."""
    if len(candidate.views) < 2:
        return 0.0
    keep = 1.0
    for indicator in {ind for view in candidate.views for ind in view.scores}:
        share = sum(indicator in view.scores for view in candidate.views) / len(candidate.views)
        keep *= abs(2 * share - 1)
    return 1.0 - keep


def slice_key(ad_id: str, seed: str = EVALUATION_SLICE_SEED) -> float:
    """A uniform number in [0, 1) fixed by the ad id alone."""
    digest = hashlib.sha256(f"{seed}:{ad_id}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64


def in_evaluation_slice(ad_id: str, share: float = EVALUATION_SLICE_SHARE) -> bool:
    return slice_key(ad_id) < share


def near_duplicate_clusters(pool: Sequence[Candidate]) -> dict[str, int]:
    """Cluster number per ad id: near-copies in the pool (MinHash, shared sentences) and
    ads of one stored cluster go together; any other ad is a cluster of one."""
    links = [(group[0], other) for group in near_duplicate_groups({c.ad_id: c.text for c in pool})
             for other in group[1:]]
    stored: dict[int, list[str]] = {}
    for candidate in pool:
        if candidate.cluster is not None:
            stored.setdefault(candidate.cluster, []).append(candidate.ad_id)
    links += [(ids[0], other) for ids in stored.values() for other in ids[1:]]
    groups = group_ids([c.ad_id for c in pool], links)
    return {ad_id: n for n, group in enumerate(groups) for ad_id in group}


def diversify(ranked: Sequence[tuple[Candidate, float]],
              clusters: Mapping[str, int]) -> list[tuple[Candidate, float]]:
    """`ranked` (best first) reordered so that clusters take turns: each cluster's best,
    then each cluster's second best, and so on (within a turn, by score)."""
    turns: list[list[tuple[Candidate, float]]] = []
    taken: dict[int | str, int] = {}
    for item in ranked:
        cluster = clusters.get(item[0].ad_id, item[0].ad_id)
        turn = taken.get(cluster, 0)
        taken[cluster] = turn + 1
        if turn == len(turns):
            turns.append([])
        turns[turn].append(item)
    return [item for turn in turns for item in turn]


# --- policies ----------------------------------------------------------------------------

Policy = Callable[[Sequence[Candidate], int, Mapping[str, int]], list[Pick]]
POLICIES: dict[str, Policy] = {}


class UnknownPolicyError(KeyError):
    def __str__(self) -> str:
        return f"unknown selection policy {self.args[0]!r}; available: {', '.join(POLICIES)}"


def register_policy(name: str) -> Callable[[Policy], Policy]:
    """Register a policy under a versioned name; a name is never registered twice."""
    def register(policy: Policy) -> Policy:
        if name in POLICIES:
            raise ValueError(f"selection policy {name!r} is already registered")
        POLICIES[name] = policy
        return policy
    return register


def _ranked(pool: Sequence[Candidate], size: int, clusters: Mapping[str, int], name: str,
            score: Callable[[Candidate], tuple[float, Reason]]) -> list[Pick]:
    scored = [(c, *score(c)) for c in pool]
    order = sorted(scored, key=lambda item: (-item[1], slice_key(item[0].ad_id)))
    reasons = {c.ad_id: reason for c, _, reason in scored}
    chosen = diversify([(c, s) for c, s, _ in order], clusters)[:size]
    return [Pick(c.ad_id, reasons[c.ad_id], round(s, 4), name) for c, s in chosen]


@register_policy("uncertainty.v1")
def select_uncertain(pool: Sequence[Candidate], size: int,
                     clusters: Mapping[str, int]) -> list[Pick]:
    """Ads closest to a threshold first, near-duplicate clusters taking turns."""
    return _ranked(pool, size, clusters, "uncertainty.v1",
                   lambda c: (uncertainty(c), "uncertainty"))


@register_policy("disagreement.v1")
def select_disputed(pool: Sequence[Candidate], size: int,
                    clusters: Mapping[str, int]) -> list[Pick]:
    """Ads the detectors disagree on most first, near-duplicate clusters taking turns."""
    return _ranked(pool, size, clusters, "disagreement.v1",
                   lambda c: (disagreement(c), "disagreement"))


@register_policy("mixed.v1")
def select_mixed(pool: Sequence[Candidate], size: int,
                 clusters: Mapping[str, int]) -> list[Pick]:
    """The larger of uncertainty and disagreement first (the reason says which),
    near-duplicate clusters taking turns. The default."""
    def score(candidate: Candidate) -> tuple[float, Reason]:
        u, d = uncertainty(candidate), disagreement(candidate)
        return (u, "uncertainty") if u >= d else (d, "disagreement")

    return _ranked(pool, size, clusters, "mixed.v1", score)


@register_policy("random.v1")
def select_random(pool: Sequence[Candidate], size: int,
                  clusters: Mapping[str, int]) -> list[Pick]:
    """A uniform random order fixed by the ad ids (a baseline to compare policies with)."""
    order = sorted(pool, key=lambda c: slice_key(c.ad_id, "random.v1"))[:size]
    return [Pick(c.ad_id, "random", 0.0, "random.v1") for c in order]


def available_policies() -> list[str]:
    return list(POLICIES)


@dataclass(frozen=True)
class Selection:
    """A batch to label: the picks in the order trainers see them (the policy's ranking,
    with slice picks mixed in at places fixed by their ids) and the policy's name."""

    policy: str
    picks: list[Pick]

    @property
    def evaluation_slice(self) -> list[str]:
        return [p.ad_id for p in self.picks if p.reason == "evaluation-slice"]


def select_batch(pool: Sequence[Candidate], size: int, policy: str = DEFAULT_POLICY, *,
                 slice_share: float = EVALUATION_SLICE_SHARE) -> Selection:
    """Choose up to `size` ads from `pool` (ads not labelled yet): `slice_share` of the
    places go to evaluation-slice ads in hash order, the rest to `policy` over the other
    ads. When the policy runs out of ads, more slice ads fill the batch (still in hash
    order, so the slice stays uniform)."""
    try:
        choose = POLICIES[policy]
    except KeyError:
        raise UnknownPolicyError(policy) from None
    if size < 1:
        raise ValueError(f"batch size must be at least 1, got {size}")
    unique = list({c.ad_id: c for c in pool}.values())
    in_slice = sorted((c for c in unique if in_evaluation_slice(c.ad_id, slice_share)),
                      key=lambda c: slice_key(c.ad_id))
    rest = [c for c in unique if not in_evaluation_slice(c.ad_id, slice_share)]
    wanted = min(len(in_slice), max(1, round(size * slice_share)) if slice_share > 0 else 0)
    chosen = choose(rest, size - wanted, near_duplicate_clusters(rest)) if size > wanted else []
    wanted = min(len(in_slice), size - len(chosen))
    picks = list(chosen)
    for candidate in in_slice[:wanted]:
        # Slice ads go to places fixed by their ids, so nobody can tell them apart.
        place = int(slice_key(candidate.ad_id, "presentation") * (len(picks) + 1))
        picks.insert(place, Pick(candidate.ad_id, "evaluation-slice", 0.0, policy))
    return Selection(policy, picks)
