"""Text normalisation with an offset map back to the original text.

`normalize_text` applies NFKC (so the "𝗯𝗼𝗹𝗱" letters of social posts become plain
letters), drops zero-width characters, turns exotic spaces into plain ones, collapses runs
of spaces and blank lines and strips the ends. Detectors run on the clean text and map
their spans back with `NormalizedText.to_original`, so `centinela detect` reports offsets
into the exact input while stored ads keep their clean text (normalising clean text is
the identity).

`fold_text` lowercases and strips accents without changing the length, so token offsets
found on the folded text are offsets into the clean text.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
# One pass finds every piece that may change: zero-width characters, whitespace that is not
# a single plain space or newline, and runs of non-ASCII characters (with the character
# before them, so combining accents compose with their base letter).
_WS = r"\t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_NL = r"(?:\r\n?|\n)"
_SEGMENT = re.compile(
    r"[" + _ZERO_WIDTH + r"]+"                                 # zero-width: dropped
    r"|" + _NL + r"(?:[ " + _WS + r"]*" + _NL + r"){2,}"        # 3+ line breaks: a blank line
    r"|\r\n?"                                                   # CR LF, CR: LF
    r"|[ " + _WS + r"]{2,}|[" + _WS + r"]"                     # odd or repeated spaces: one space
    r"|[\x00-\x7f][\u0300-\u036f]+"                            # letter + combining accents
    r"|[^\x00-\x7f\s" + _ZERO_WIDTH + r"]+"                      # other non-ASCII runs: NFKC
)
_LINE_BREAK = re.compile(_NL)
_SPACES = re.compile(r"[ \t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")


def _clean_segment(segment: str) -> str:
    if segment[0] in _ZERO_WIDTH:
        return ""
    if segment[0] in "\r\n":
        return "\n\n" if len(_LINE_BREAK.findall(segment)) > 2 else "\n"
    if _SPACES.fullmatch(segment):
        return " "
    cleaned = unicodedata.normalize("NFKC", segment)
    if " " in cleaned and " " not in segment:
        # NFKC spells some marks with a space (U+00B4 -> " \u0301"): keep them composed.
        cleaned = unicodedata.normalize("NFC", segment)
    cleaned = "".join(ch for ch in cleaned if ch not in _ZERO_WIDTH)
    return _SPACES.sub(" ", cleaned)


_EDGES = re.compile(r"^[\s" + _ZERO_WIDTH + r"]+|[\s" + _ZERO_WIDTH + r"]+$")


@dataclass(frozen=True)
class NormalizedText:
    """Clean text plus the anchors that map its offsets back to the original."""

    text: str
    original: str
    # One entry per replaced piece: text[clean_starts[i]:clean_ends[i]] replaced
    # original[orig_starts[i]:orig_ends[i]]. Outside the pieces, text is copied 1:1.
    clean_starts: list[int] = field(default_factory=list)
    clean_ends: list[int] = field(default_factory=list)
    orig_starts: list[int] = field(default_factory=list)
    orig_ends: list[int] = field(default_factory=list)

    def _map(self, pos: int, is_end: bool) -> int:
        find = bisect.bisect_left if is_end else bisect.bisect_right
        i = find(self.clean_starts, pos) - 1
        if i < 0:
            return pos
        if pos < self.clean_ends[i]:
            return self.orig_ends[i] if is_end else self.orig_starts[i]
        return self.orig_ends[i] + (pos - self.clean_ends[i])

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a clean-text span to the smallest original span that covers it."""
        if not self.clean_starts:
            return start, end
        orig_start = self._map(start, False)
        return orig_start, max(orig_start, self._map(end, True))


def normalize_text(text: str) -> NormalizedText:
    """Clean `text` (see module docstring) and keep the map back to it."""
    pieces = [(m.start(), m.end(), "") for m in _EDGES.finditer(text)]
    lo = pieces[0][1] if pieces and pieces[0][0] == 0 else 0
    hi = pieces[-1][0] if pieces and pieces[-1][1] == len(text) and pieces[-1][0] > 0 else len(text)
    for match in _SEGMENT.finditer(text, lo, hi):
        cleaned = _clean_segment(match.group())
        if cleaned != match.group():
            pieces.append((match.start(), match.end(), cleaned))
    if not pieces:
        return NormalizedText(text, text)
    pieces.sort()
    parts: list[str] = []
    clean_starts: list[int] = []
    clean_ends: list[int] = []
    orig_starts: list[int] = []
    orig_ends: list[int] = []
    pos = out_len = 0
    for start, end, cleaned in pieces:
        parts.append(text[pos:start])
        out_len += start - pos
        clean_starts.append(out_len)
        parts.append(cleaned)
        out_len += len(cleaned)
        clean_ends.append(out_len)
        orig_starts.append(start)
        orig_ends.append(end)
        pos = end
    parts.append(text[pos:])
    return NormalizedText("".join(parts), text, clean_starts, clean_ends, orig_starts, orig_ends)


def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x41, 0x2B0):
        ch = chr(code)
        folded = "".join(
            c for c in unicodedata.normalize("NFD", ch.lower()) if not unicodedata.combining(c)
        )
        if len(folded) == 1 and folded != ch:
            table[code] = folded
    return table


_FOLD_TABLE = _build_fold_table()


def fold_text(text: str) -> str:
    """Lowercase and strip accents, keeping the length (so offsets stay valid)."""
    return text.translate(_FOLD_TABLE)
