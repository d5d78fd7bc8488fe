"""An ad's text cut into segments for display: which indicators' evidence covers each
part, and which parts are contact details to be masked (see annotation/masking.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from corpora.records import Entity, Evidence


@dataclass(frozen=True)
class Segment:
    """A run of text with the indicators whose evidence covers it (in taxonomy order).
    A masked contact is one segment whose `text` is empty and `masked` names its kind."""

    text: str
    indicators: tuple[str, ...] = ()
    masked: str | None = None


def segment_text(text: str, evidence: Mapping[str, Sequence[Evidence]],
                 order: Sequence[str], masked: Sequence[Entity] = ()) -> list[Segment]:
    """Cut `text` at every evidence boundary, hiding the `masked` contact details."""
    contacts = [(entity.kind, entity.span.start, entity.span.end) for entity in masked]
    cuts = {0, len(text)}
    for spans in evidence.values():
        for span in spans:
            cuts.update((span.start, span.end))
    for _, start, end in contacts:
        cuts.update((start, end))
    rank = {indicator: n for n, indicator in enumerate(order)}
    segments: list[Segment] = []
    bounds = sorted(cut for cut in cuts if 0 <= cut <= len(text))
    for start, end in zip(bounds, bounds[1:], strict=False):
        covering = tuple(sorted(
            (ind for ind, spans in evidence.items()
             if any(span.start <= start and end <= span.end for span in spans)),
            key=lambda ind: rank.get(ind, len(rank))))
        contact = next((c for c in contacts if c[1] <= start < c[2]), None)
        if contact is None:
            segments.append(Segment(text[start:end], covering))
        elif contact[1] == start:
            segments.append(Segment("", covering, contact[0]))
    return segments

