"""A trainer's answer, or an adjudication, built from what a form or a command gives:
the indicators marked, their evidence as character offsets, the risk and a note.

The web pages and `centinela annotate` both call these; `batches.submit_answer` and
`adjudication.record_adjudication` store the result. Offsets are end-exclusive character
offsets into the ad's text ('12-40, 51-60'); a span's surrounding white space is trimmed,
so a mouse selection that took a space too still marks the words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

from annotation.decisions import DecisionError, parse_offsets
from annotation.learning.batches import BatchError, Task
from corpora.records import (
    RISK_LEVELS,
    Ad,
    Adjudication,
    Annotation,
    AnnotationStatus,
    Evidence,
    Risk,
)
from corpora.taxonomy import TaxonomyError, load_taxonomy

MAX_NOTE_CHARS = 5000
STATUSES: tuple[AnnotationStatus, ...] = ("labelled", "unclear", "skipped")


def build_answer(task: Task, trainer: str, status: str, *, indicators: Sequence[str] = (),
                 spans: Mapping[str, str] | None = None, risk: str | None = None,
                 note: str = "") -> Annotation:
    """A trainer's answer on the task's ad. `labelled` needs a risk and carries the marked
    indicators with their spans; `unclear` and `skipped` carry only the note."""
    if status not in STATUSES:
        raise BatchError(f"an answer is one of {', '.join(STATUSES)}, not {status!r}")
    note = _note(note)
    model = task.prefill.model.sha256 if task.prefill else None
    if status != "labelled":
        return Annotation(ad_id=task.ad.id, annotator=trainer,
                          status=cast(AnnotationStatus, status), note=note,
                          batch_id=task.batch_id, model_sha256=model)
    ordered, evidence = mark(task.ad, indicators, spans or {})
    return Annotation(ad_id=task.ad.id, annotator=trainer, indicators=ordered,
                      evidence=evidence, risk=_risk(risk), note=note,
                      batch_id=task.batch_id, model_sha256=model)


def build_adjudication(ad: Ad, adjudicator: str, *, batch_id: int | None,
                       indicators: Sequence[str] = (), spans: Mapping[str, str] | None = None,
                       risk: str | None = None, note: str = "") -> Adjudication:
    """The final label of an ad, decided by `adjudicator`."""
    ordered, evidence = mark(ad, indicators, spans or {})
    return Adjudication(ad_id=ad.id, adjudicator=adjudicator, indicators=ordered,
                        evidence=evidence, risk=_risk(risk), note=_note(note),
                        batch_id=batch_id)


def mark(ad: Ad, indicators: Sequence[str], spans: Mapping[str, str]
         ) -> tuple[list[str], dict[str, list[Evidence]]]:
    """The marked indicators in taxonomy order, and their evidence from `spans`
    (indicator -> 'START-END, ...'; an indicator without spans has no evidence)."""
    taxonomy = load_taxonomy()
    try:
        taxonomy.check_ids([*indicators, *spans], "answer")
    except TaxonomyError as exc:
        raise BatchError(str(exc)) from None
    if stray := sorted(ind for ind, text in spans.items()
                       if text.strip() and ind not in indicators):
        raise BatchError(f"spans given for indicators not marked: {', '.join(stray)}")
    evidence: dict[str, list[Evidence]] = {}
    for indicator, text in spans.items():
        try:
            offsets = parse_offsets(text)
        except DecisionError as exc:
            raise BatchError(f"{indicator}: {exc}") from None
        found = {(ev.start, ev.end): ev
                 for ev in (_span(ad.text, indicator, start, end) for start, end in offsets)}
        if found:
            evidence[indicator] = [found[key] for key in sorted(found)]
    return [ind for ind in taxonomy.ids if ind in set(indicators)], evidence


def _span(text: str, indicator: str, start: int, end: int) -> Evidence:
    if not 0 <= start < end <= len(text):
        raise BatchError(f"{indicator}: span {start}-{end} is not inside the ad's text "
                         f"(0-{len(text)}, end after start)")
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        raise BatchError(f"{indicator}: a span holds only white space")
    return Evidence.from_text(text, start, end)


def _risk(risk: str | None) -> Risk:
    if risk not in RISK_LEVELS:
        raise BatchError(f"set the risk: one of {', '.join(RISK_LEVELS)}")
    return cast(Risk, risk)


def _note(note: str) -> str:
    if len(note) > MAX_NOTE_CHARS:
        raise BatchError(f"the note is longer than {MAX_NOTE_CHARS} characters")
    return note.strip()
