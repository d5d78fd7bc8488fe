"""Digits hidden from phone-number matchers: written as words (es, pt), split by emojis,
dots, dashes or odd spacing, or as keycap emojis.

`digit_runs` finds runs of digits and number words in a text, joined by short
separators, and gives each run's digit string with its span, so a phone number written
"nueve ocho siete..." or "onze nove nove..." or "55🔥5550🔥0123" can be parsed like any
other. Words are compared case- and accent-folded ("tres" and "três" are the same).
Tens are read as spoken numbers are ("cincuenta y cinco" = 55, "vinte e um" = 21).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpora.normalize import fold_text

_UNITS = {
    # es
    "cero": 0, "uno": 1, "una": 1, "un": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
    "seis": 6, "siete": 7, "ocho": 8, "nueve": 9,
    # pt ("meia" is six when Brazilians read out a phone number)
    "zero": 0, "um": 1, "uma": 1, "dois": 2, "duas": 2, "quatro": 4, "meia": 6, "sete": 7,
    "oito": 8, "nove": 9,
}
_TEENS = {
    "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14, "quince": 15,
    "dieciseis": 16, "diecisiete": 17, "dieciocho": 18, "diecinueve": 19,
    "veintiuno": 21, "veintiuna": 21, "veintidos": 22, "veintitres": 23, "veinticuatro": 24,
    "veinticinco": 25, "veintiseis": 26, "veintisiete": 27, "veintiocho": 28,
    "veintinueve": 29,
    "dez": 10, "onze": 11, "doze": 12, "treze": 13, "quatorze": 14, "catorze": 14,
    "quinze": 15, "dezesseis": 16, "dezasseis": 16, "dezessete": 17, "dezassete": 17,
    "dezoito": 18, "dezenove": 19, "dezanove": 19,
}
_TENS = {
    "veinte": 20, "treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60,
    "setenta": 70, "ochenta": 80, "noventa": 90,
    "vinte": 20, "trinta": 30, "quarenta": 40, "cinquenta": 50, "sessenta": 60,
    "oitenta": 80,
}
_AND = frozenset({"y", "e"})
_ACCENTED = {"três": "tres", "dieciséis": "dieciseis", "veintiún": "veintiuno",
             "veintidós": "veintidos", "veintitrés": "veintitres", "veintiséis": "veintiseis"}
_NUMBER_WORDS = {**{w: str(n) for w, n in _UNITS.items()},
                 **{w: str(n) for w, n in _TEENS.items()},
                 **{w: str(n) for w, n in _TENS.items()}}
# Every lowercase spelling of a number word (accents or not), for a quick count.
NUMBER_WORDS: frozenset[str] = frozenset(_NUMBER_WORDS) | frozenset(_ACCENTED)
# A token: one digit or a number word; anything between two tokens is a gap, and a gap
# with letters (another word) ends a run, except "y"/"e" after a tens word. Only tokens
# are visited: ads are long.
_TOKEN = re.compile(r"\d|\b(?:" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
                    + r")\b")
_CONJUNCTION = re.compile(r"[\s,]*\b(?:" + "|".join(_AND) + r")\b[\s,]*")

_MAX_GAP = 4  # characters of separator (spaces, dots, emojis...) allowed between tokens
_KEYCAP = re.compile("\ufe0f?\u20e3?")
_GAP_BREAKS = re.compile(r"[^\W\d_]")  # letters between two tokens end a run


@dataclass(frozen=True)
class DigitRun:
    """Digits read from `text[start:end]`."""

    start: int
    end: int
    digits: str


def digit_runs(text: str, min_digits: int = 8) -> list[DigitRun]:
    """Runs of at least `min_digits` digits, read from digits and number words joined by
    at most a few characters of spaces, punctuation or emojis."""
    folded = fold_text(text)
    runs: list[DigitRun] = []
    parts: list[tuple[int, int, str]] = []  # (start, end, digits) of the current run
    tens: tuple[int, int, int] | None = None  # a tens word that may take "y cinco"
    last_end = -1

    def flush_tens() -> None:
        nonlocal tens
        if tens is not None:
            parts.append((tens[0], tens[1], str(tens[2])))
            tens = None

    def close() -> None:
        flush_tens()
        digits = "".join(part for _, _, part in parts)
        if len(digits) >= min_digits:
            end = parts[-1][1]
            end += len(_KEYCAP.match(text, end).group())  # a keycap's marks are the digit's
            runs.append(DigitRun(parts[0][0], end, digits))
        parts.clear()

    for match in _TOKEN.finditer(folded):
        token, start, end = match.group(), match.start(), match.end()
        gap = folded[last_end:start] if last_end >= 0 else ""
        joined = tens is not None and _CONJUNCTION.fullmatch(gap) is not None
        if (parts or tens) and not joined and _breaks_run(gap):
            close()
        if joined and _UNITS.get(token, 0) > 0 and tens is not None:
            parts.append((tens[0], end, str(tens[2] + _UNITS[token])))  # "cincuenta y cinco"
            tens = None
        elif token in _TENS:
            flush_tens()
            tens = (start, end, _TENS[token])
        else:
            flush_tens()
            parts.append((start, end, token if token.isdigit() else _NUMBER_WORDS[token]))
        last_end = end
    close()
    return runs


def _breaks_run(gap: str) -> bool:
    return len(gap) > _MAX_GAP or bool(_GAP_BREAKS.search(gap)) or gap.count("\n") > 1
