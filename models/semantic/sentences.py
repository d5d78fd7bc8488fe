"""An ad cut into sentences (or lines, or clauses of long run-on posts), with offsets.

Messaging and social posts often have no full stops: a line break, an emoji run or a
bullet ends a sentence too. A sentence longer than `MAX_CHARS` is cut again at commas,
so the sentence shown as evidence stays short enough to read.
"""

from __future__ import annotations

import re
import unicodedata

MAX_CHARS = 240
_BREAK = re.compile(r"(?<=[.!?…;])\s+|\n+|\s+[•·▪►✅✔️❌⭐🔥👉📍📞📲💰✈️]+\s*|\s+[-–—|]\s+")
_COMMA = re.compile(r"(?<=[,:])\s+")
_WORDS = re.compile(r"\w{2,}")


def sentences(text: str, max_chars: int = MAX_CHARS) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text` with at least two words, ends stripped."""
    out: list[tuple[int, int]] = []
    for start, end in _pieces(text, 0, len(text), _BREAK):
        if end - start > max_chars:
            out.extend(_cut(text, start, end, max_chars))
        else:
            out.append((start, end))
    return [(s, e) for s, e in out if len(_WORDS.findall(text, s, e)) >= 2]


def _pieces(text: str, start: int, end: int, pattern: re.Pattern) -> list[tuple[int, int]]:
    spans, begin = [], start
    for match in pattern.finditer(text, start, end):
        spans.append((begin, match.start()))
        begin = match.end()
    spans.append((begin, end))
    return [_strip(text, s, e) for s, e in spans if text[s:e].strip()]


def _cut(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """A long sentence as runs of its comma clauses, each run at most `max_chars` long
    (a single longer clause stays whole)."""
    out: list[tuple[int, int]] = []
    for s, e in _pieces(text, start, end, _COMMA):
        if out and e - out[-1][0] <= max_chars:
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    """Without spaces, bullets and emoji at either end."""
    while start < end and _edge(text[start]):
        start += 1
    while end > start and _edge(text[end - 1]):
        end -= 1
    return start, end


def _edge(char: str) -> bool:
    return char.isspace() or char in "•·*-–—>" or unicodedata.category(char)[0] in "SC" \
        or unicodedata.category(char) == "Mn"  # emoji variation selectors
