"""Text that is safe to print on a terminal.

Ids, locations and messages come from ads and feeds that anyone can write. An escape
sequence in an ad id could clear the screen, recolour it or retitle the window, and a
bidirectional override could make a line read differently from what it holds; so every
such character is shown as a visible escape instead (`\\x1b`, `\\u202e`).
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the bidirectional marks, embeddings, overrides and isolates.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: object) -> str:
    """`text` as a string with every control or bidirectional character escaped."""
    return _UNPRINTABLE.sub(_escape, str(text))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable_lines(text: str) -> str:
    """`text` with every control or bidirectional character but line breaks and tabs
    replaced by U+FFFD, one for one, so that character offsets into it still hold."""
    return _UNPRINTABLE.sub(lambda m: m.group() if m.group() in "\n\t" else "\ufffd", text)
