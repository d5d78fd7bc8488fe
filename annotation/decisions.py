"""A reviewer's decision built from what they changed: indicators added or removed,
evidence spans edited by offsets, risk and a note. The web form and `centinela queue
decide` both call `build_decision`; `annotation.queue.decide` stores the result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from annotation.queue import AdReview
from corpora.records import DECISIONS, RISK_LEVELS, Evidence, ReviewDecision
from corpora.taxonomy import TaxonomyError, load_taxonomy

_SPAN = re.compile(r"^\s*(\d+)\s*[-:]\s*(\d+)\s*$")
MAX_NOTE_CHARS = 5000


class DecisionError(ValueError):
    """A decision that cannot be stored as given; the message says what to fix."""


def parse_offsets(text: str) -> list[tuple[int, int]]:
    """Spans written as 'START-END, START-END' (end-exclusive character offsets)."""
    spans = []
    for part in filter(str.strip, text.split(",")):
        match = _SPAN.match(part)
        if match is None:
            raise DecisionError(f"{part.strip()!r} is not a span like 120-151")
        spans.append((int(match[1]), int(match[2])))
    return spans


def build_decision(review: AdReview, reviewer: str, decision: str, *,
                   indicators: Sequence[str] | None = None, add: Sequence[str] = (),
                   remove: Sequence[str] = (),
                   spans: Mapping[str, Sequence[tuple[int, int]]] | None = None,
                   risk: str | None = None, note: str = "") -> ReviewDecision:
    """The decision on `review.ad`, starting from the model's indicators and evidence.

    `indicators` replaces the model's set, then `add` and `remove` apply; `spans` gives
    new evidence offsets for some indicators (an empty list clears them), the others keep
    the model's spans. `risk` defaults to the model's. Raises DecisionError naming what is
    wrong: an unknown indicator, a span outside the text or for an indicator not kept.
    """
    if decision not in DECISIONS:
        raise DecisionError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if risk is not None and risk not in RISK_LEVELS:
        raise DecisionError(f"risk must be one of {', '.join(RISK_LEVELS)}, not {risk!r}")
    if len(note) > MAX_NOTE_CHARS:
        raise DecisionError(f"the note is longer than {MAX_NOTE_CHARS} characters")
    taxonomy = load_taxonomy()
    spans = spans or {}
    model_hits = review.assessment.hits if review.assessment else []
    chosen = set(indicators if indicators is not None else (hit.id for hit in model_hits))
    chosen = (chosen | set(add)) - set(remove)
    try:
        taxonomy.check_ids([*chosen, *add, *remove, *spans], "decision")
    except TaxonomyError as exc:
        raise DecisionError(str(exc)) from None
    if stray := sorted(set(spans) - chosen):
        raise DecisionError(f"evidence given for indicators not kept: {', '.join(stray)}")
    text = review.ad.text
    evidence: dict[str, list[Evidence]] = {}
    for hit in model_hits:
        if hit.id in chosen and hit.evidence:
            evidence.setdefault(hit.id, []).extend(hit.evidence)
    for indicator, offsets in spans.items():
        evidence[indicator] = [_span(text, indicator, start, end) for start, end in offsets]
    ordered = [ind for ind in taxonomy.ids if ind in chosen]
    return ReviewDecision(
        ad_id=review.ad.id, reviewer=reviewer, decision=decision,  # type: ignore[arg-type]
        indicators=ordered,
        evidence={ind: evidence[ind] for ind in ordered if evidence.get(ind)},
        risk=risk or (review.assessment.risk if review.assessment else None),  # type: ignore[arg-type]
        note=note.strip(),
        model_sha256=review.assessment.model.sha256 if review.assessment else None)


def _span(text: str, indicator: str, start: int, end: int) -> Evidence:
    if not 0 <= start < end <= len(text):
        raise DecisionError(f"{indicator}: span {start}-{end} is not inside the ad's text "
                            f"(0-{len(text)}, end after start)")
    return Evidence.from_text(text, start, end)
