"""An ad's text cut into segments for display: which indicators' evidence covers each
part, and which parts are contact details to be masked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from corpora.contacts import MASK_LABELS, Contact, find_contacts
from corpora.records import Evidence


@dataclass(frozen=True)
class Segment:
    """A run of text with the indicators whose evidence covers it (in taxonomy order).
    A masked contact is one segment whose `text` is empty and `masked` names its kind."""

    text: str
    indicators: tuple[str, ...] = ()
    masked: str | None = None


def segment_text(text: str, evidence: Mapping[str, Sequence[Evidence]],
                 order: Sequence[str], *, mask: bool) -> list[Segment]:
    """Cut `text` at every evidence boundary (and, with `mask`, hide contact details)."""
    contacts = find_contacts(text) if mask else []
    cuts = {0, len(text)}
    for spans in evidence.values():
        for span in spans:
            cuts.update((span.start, span.end))
    for contact in contacts:
        cuts.update((contact.start, contact.end))
    rank = {indicator: n for n, indicator in enumerate(order)}
    segments: list[Segment] = []
    bounds = sorted(cut for cut in cuts if 0 <= cut <= len(text))
    for start, end in zip(bounds, bounds[1:], strict=False):
        covering = tuple(sorted(
            (ind for ind, spans in evidence.items()
             if any(span.start <= start and end <= span.end for span in spans)),
            key=lambda ind: rank.get(ind, len(rank))))
        contact = _inside(contacts, start)
        if contact is None:
            segments.append(Segment(text[start:end], covering))
        elif contact.start == start:
            segments.append(Segment("", covering, contact.kind))
    return segments


def mask_contacts(text: str) -> str:
    """`text` with each contact detail replaced by a label such as '[phone hidden]'."""
    parts, position = [], 0
    for contact in find_contacts(text):
        parts += [text[position:contact.start], f"[{MASK_LABELS[contact.kind]}]"]
        position = contact.end
    parts.append(text[position:])
    return "".join(parts)


def _inside(contacts: Sequence[Contact], position: int) -> Contact | None:
    for contact in contacts:
        if contact.start <= position < contact.end:
            return contact
    return None
