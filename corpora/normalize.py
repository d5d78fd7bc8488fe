"""Text normalisation with an offset map back to the original text.

`normalize_text` applies NFKC (so the "𝗯𝗼𝗹𝗱" letters of social posts become plain
letters), drops zero-width characters, turns exotic spaces into plain ones, collapses runs
of spaces and blank lines and strips the ends. Detectors run on the clean text and map
their spans back with `NormalizedText.to_original`, so `centinela detect` reports offsets
into the exact input while stored ads keep their clean text (normalising clean text is
the identity).

`fold_text` lowercases and strips accents without changing the length, so token offsets
found on the folded text are offsets into the clean text. `break_long_runs` keeps the
length too: it blanks what would make a tokenizer's cost grow with the square of a run.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass

# Invisible characters dropped from ads: zero-width ones, the soft hyphen, and control
# characters (NUL breaks PostgreSQL text columns; none of them carries meaning in an ad).
_ZERO_WIDTH = ("\u200b\u200c\u200d\u2060\ufeff\u00ad"
               + "".join(map(chr, [*range(0x00, 0x09), *range(0x0e, 0x20), *range(0x7f, 0xa0)])))
# Spaces other than the plain one (tab, NBSP, the typographic spaces...).
_WS = "\t\f\v\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_NL = r"(?:\r\n?|\n)"
# One pass finds every piece that may change: zero-width characters (with the spaces around
# them), line breaks, odd or repeated spaces, a letter with combining accents, and runs of
# non-ASCII characters (for NFKC).
_SEGMENT = re.compile(
    r"[ " + _WS + r"]*(?:[" + _ZERO_WIDTH + r"]+[ " + _WS + r"]*)+"   # zero-width: dropped
    r"|" + _NL + r"(?:[ " + _WS + r"]*" + _NL + r"){2,}"        # 3+ line breaks: a blank line
    r"|\r\n?"                                                   # CR LF, CR: LF
    r"|[ " + _WS + r"]{2,}|[" + _WS + r"]"                     # odd or repeated spaces: one space
    r"|[\x21-\x7e][" + _ZERO_WIDTH + r"]*[\u0300-\u036f]+"      # letter + combining accents
    r"|[^\x00-\x7f\s]+"                                         # other non-ASCII runs: NFKC
)
_LINE_BREAK = re.compile(_NL)
_SPACES = re.compile("[ " + _WS + "]+")


def _clean_segment(segment: str) -> str:
    if any(ch in _ZERO_WIDTH for ch in segment.strip(" " + _WS)[:1]):
        return " " if _SPACES.search(segment) else ""
    if segment[0] in "\r\n":
        return "\n\n" if len(_LINE_BREAK.findall(segment)) > 2 else "\n"
    if _SPACES.fullmatch(segment):
        return " "
    visible = "".join(ch for ch in segment if ch not in _ZERO_WIDTH)
    cleaned = unicodedata.normalize("NFKC", visible)
    if " " in cleaned and " " not in visible:
        # NFKC spells some marks with a space (U+00B4 -> " \u0301"): keep them composed.
        cleaned = unicodedata.normalize("NFC", visible)
    return _SPACES.sub(" ", cleaned)


_EDGES = re.compile(r"^[\s" + _ZERO_WIDTH + r"]+|[\s" + _ZERO_WIDTH + r"]+$")


@dataclass(frozen=True)
class _Pass:
    """One cleaning pass: text[clean_starts[i]:clean_ends[i]] replaced
    source[orig_starts[i]:orig_ends[i]]; outside the pieces, text is copied 1:1."""

    clean_starts: list[int]
    clean_ends: list[int]
    orig_starts: list[int]
    orig_ends: list[int]

    def _map(self, pos: int, is_end: bool) -> int:
        find = bisect.bisect_left if is_end else bisect.bisect_right
        i = find(self.clean_starts, pos) - 1
        if i < 0:
            return pos
        if pos < self.clean_ends[i]:
            return self.orig_ends[i] if is_end else self.orig_starts[i]
        return self.orig_ends[i] + (pos - self.clean_ends[i])

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        source_start = self._map(start, False)
        return source_start, max(source_start, self._map(end, True))


@dataclass(frozen=True)
class NormalizedText:
    """Clean text plus the passes that map its offsets back to the original."""

    text: str
    original: str
    passes: tuple[_Pass, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.passes)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a clean-text span to the smallest original span that covers it."""
        for cleaning in reversed(self.passes):
            start, end = cleaning.to_source(start, end)
        return start, end


def normalize_text(text: str) -> NormalizedText:
    """Clean `text` (see module docstring) and keep the map back to it.

    Passes repeat until nothing changes (removing a zero-width character can, say, put two
    line breaks side by side), so normalising clean text is the identity.
    """
    if _is_clean(text):
        return NormalizedText(text, text)
    passes = []
    current = text
    for _ in range(4):
        cleaned, cleaning = _clean_once(current)
        if cleaning is None:
            break
        passes.append(cleaning)
        current = cleaned
    return NormalizedText(current, text, tuple(passes))


_ODD = re.compile("[" + _ZERO_WIDTH + _WS + "\r]|  |\n[ " + _WS + "]*\n[ " + _WS + "]*\n")


def _is_clean(text: str) -> bool:
    """Fast check (C-level) that no cleaning pass would change `text`: most stored ads."""
    return (unicodedata.is_normalized("NFKC", text) and _ODD.search(text) is None
            and not text[:1].isspace() and not text[-1:].isspace())


def _clean_once(text: str) -> tuple[str, _Pass | None]:
    pieces = [(m.start(), m.end(), "") for m in _EDGES.finditer(text)]
    lo = pieces[0][1] if pieces and pieces[0][0] == 0 else 0
    hi = pieces[-1][0] if pieces and pieces[-1][1] == len(text) and pieces[-1][0] > 0 else len(text)
    for match in _SEGMENT.finditer(text, lo, hi):
        cleaned = _clean_segment(match.group())
        if cleaned != match.group():
            pieces.append((match.start(), match.end(), cleaned))
    if not pieces:
        return text, None
    pieces.sort()
    parts: list[str] = []
    cleaning = _Pass([], [], [], [])
    pos = out_len = 0
    for start, end, cleaned in pieces:
        parts.append(text[pos:start])
        out_len += start - pos
        cleaning.clean_starts.append(out_len)
        parts.append(cleaned)
        out_len += len(cleaned)
        cleaning.clean_ends.append(out_len)
        cleaning.orig_starts.append(start)
        cleaning.orig_ends.append(end)
        pos = end
    parts.append(text[pos:])
    return "".join(parts), cleaning


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


# spaCy's tokenizer peels suffix characters off a token one at a time, each time searching
# the whole rest of the token: a run of thousands of "!" or emoji costs the square of its
# length (20,000 "!" took a minute), and so does a long run of spaces. In a run of more
# than MAX_SYMBOL_RUN symbols (neither letters, digits nor spaces: decoration, never part
# of a word) one symbol in SYMBOL_KEPT stays, still a clause break for the rules, and the
# others become spaces; a run of more than MAX_TOKEN_CHARS other characters (no word is
# that long) gets a space every MAX_TOKEN_CHARS characters. The cost per character is
# then bounded.
MAX_SYMBOL_RUN = 4
SYMBOL_KEPT = 32
MAX_TOKEN_CHARS = 64
_SYMBOL_RUN = re.compile(r"[^\w\s]{%d,}" % (MAX_SYMBOL_RUN + 1))
_LONG_RUN = re.compile(r"\S{%d,}" % (MAX_TOKEN_CHARS + 1))


def break_long_runs(text: str) -> str:
    """`text` ready for a tokenizer, at the same length (offsets stay valid): long runs of
    symbols thinned out, and a space every MAX_TOKEN_CHARS characters of a longer run."""
    text = _SYMBOL_RUN.sub(_thin_symbols, text)
    return _LONG_RUN.sub(_break_run, text)


def _thin_symbols(match: re.Match[str]) -> str:
    run = match.group()
    return "".join(ch if i % SYMBOL_KEPT == 0 else " " for i, ch in enumerate(run))


def _break_run(match: re.Match[str]) -> str:
    run = match.group()
    step = MAX_TOKEN_CHARS + 1  # the character after each piece becomes the space
    broken = " ".join(run[i:i + MAX_TOKEN_CHARS] for i in range(0, len(run), step))
    return broken.ljust(len(run))  # a run ending on a break: its last character too
