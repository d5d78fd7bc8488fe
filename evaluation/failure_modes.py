"""Known failure modes, measured on the evaluated split: for each, a slice of the labelled
ads picked by a stated rule, and the figure that shows how the detector does there
(quoted in the model card). The rules are heuristics over the text and the corpus
labels, written down so that anyone can recount them; a slice with no ad says so.

- negation: ordinary ads (kind legit or hard_negative) whose text negates something
  ("no cobramos", "sin costo", "não pedimos"): how many are rated medium or high.
- lone_strong: deceptive ads whose only gold indicator is a strong one: how many the
  detector rates medium or high (one strong indicator should be enough to look).
- obfuscation: deceptive ads written to dodge filters (letters split by dots or spaces,
  digits inside words, numbers spelled out): micro recall of their indicators, and how
  many are rated medium or high.
- informal: ads from social posts and messaging groups (informal writing): micro
  precision, recall and F1 of indicators, beside the same on the other ads.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from corpora.records import Assessment
from corpora.taxonomy import Taxonomy
from evaluation import metrics as m

_NEGATION = re.compile(r"\b(?:no|sin|nunca|jam[aá]s|ning[uú]n[oa]?|n[aã]o|sem|nenhum[a]?)\b",
                       re.IGNORECASE)
_OBFUSCATION = re.compile(
    r"\b(?:\w[.\-_*·]){3,}\w\b"  # p.a.s.a.p.o.r.t.e, w-h-a-t-s
    r"|\b(?:\w ){4,}\w\b"  # w h a t s a p p
    r"|\b[^\W\d_]+\d+[^\W\d_]+\b"  # p4saporte, pasap0rte
    r"|\b(?:cero|uno|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|zero|um|dois|tr[eê]s|"
    r"quatro|seis|sete|oito|nove)(?:[\s,.-]+(?:cero|uno|dos|tres|cuatro|cinco|seis|siete|"
    r"ocho|nueve|zero|um|dois|tr[eê]s|quatro|cinco|seis|sete|oito|nove)){3,}\b",
    re.IGNORECASE)
_INFORMAL_SOURCES = frozenset({"social_post", "messaging_group"})
_FLAGGED = frozenset({"medium", "high"})

DEFINITIONS = {
    "negation": "ordinary ads (legit or hard negative) with a negation word "
                "(no, sin, nunca, jamás, ningún, não, sem, nenhum); figure: share rated "
                "medium or high (false alarms)",
    "lone_strong": "deceptive ads whose only gold indicator is a strong one; figure: share "
                   "rated medium or high",
    "obfuscation": "deceptive ads with letters split by dots, dashes or spaces, digits "
                   "inside words, or four or more numbers spelled out; figures: micro "
                   "recall of their indicators and share rated medium or high",
    "informal": "ads from social posts and messaging groups; figures: micro precision, "
                "recall and F1 of indicators there and on the other ads",
}


def measure_failure_modes(ads: Sequence[Any], assessments: Sequence[Assessment],
                          taxonomy: Taxonomy) -> dict[str, dict[str, Any]]:
    """Each failure mode's slice size and figures (see the module docstring), on corpus
    ads (LabelledAd) or gold records (evaluation.gold.GoldAd: no kind or source)."""
    ids = taxonomy.ids
    strong = {indicator.id for indicator in taxonomy.indicators
              if indicator.strength == "strong"}
    flagged = np.array([a.risk in _FLAGGED for a in assessments], dtype=bool)
    y_true = m.label_matrix([ad.indicators for ad in ads], ids)
    y_pred = m.predicted_matrix(assessments, ids)

    def mask(rule: Any) -> np.ndarray:
        return np.array([bool(rule(ad)) for ad in ads], dtype=bool)

    def share(where: np.ndarray) -> float | None:
        return _r(flagged[where].mean()) if where.any() else None

    def micro(where: np.ndarray) -> dict[str, Any]:
        counts = m.micro_counts(m.count_labels(y_true[where], y_pred[where]))
        return counts.to_dict()

    negation = mask(lambda ad: not _deceptive(ad) and _NEGATION.search(ad.text))
    lone = mask(lambda ad: _deceptive(ad) and len(ad.indicators) == 1
                and ad.indicators[0] in strong)
    obfuscated = mask(lambda ad: _deceptive(ad) and _OBFUSCATION.search(ad.text))
    informal = mask(lambda ad: getattr(ad, "source", None) in _INFORMAL_SOURCES)
    return {
        "negation": {"definition": DEFINITIONS["negation"], "ads": int(negation.sum()),
                     "flagged_share": share(negation)},
        "lone_strong": {"definition": DEFINITIONS["lone_strong"], "ads": int(lone.sum()),
                        "flagged_share": share(lone)},
        "obfuscation": {"definition": DEFINITIONS["obfuscation"], "ads": int(obfuscated.sum()),
                        "flagged_share": share(obfuscated),
                        "recall": micro(obfuscated)["recall"] if obfuscated.any() else None},
        "informal": {"definition": DEFINITIONS["informal"], "ads": int(informal.sum()),
                     "micro": micro(informal) if informal.any() else None,
                     "others_ads": int((~informal).sum()),
                     "others_micro": micro(~informal) if (~informal).any() else None},
    }


def _deceptive(ad: Any) -> bool:
    """Deceptive by the corpus's kind; for gold records without one, by a gold risk above
    low."""
    kind = getattr(ad, "kind", None)
    return kind == "deceptive" if kind is not None else ad.risk != "low"


def _r(value: float) -> float:
    return round(float(value), 4)
