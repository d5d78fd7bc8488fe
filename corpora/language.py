"""Language identification restricted to Spanish and Portuguese (everything else `und`).

Uses lingua (offline, no model download). Other common languages of job ads are in the
candidate set so that, say, an English ad comes out `und` instead of being forced into
Spanish. Long texts use lingua's low-accuracy mode, which is about ten times faster and
as good on texts of more than a sentence or two.
"""

from __future__ import annotations

from functools import cache

from corpora.records import Lang

_SHORT_TEXT = 120


@cache
def _detectors():
    from lingua import Language, LanguageDetectorBuilder

    candidates = (Language.SPANISH, Language.PORTUGUESE, Language.ENGLISH, Language.FRENCH,
                  Language.ITALIAN, Language.GERMAN)
    codes = {Language.SPANISH: "es", Language.PORTUGUESE: "pt"}
    builder = LanguageDetectorBuilder.from_languages(*candidates)
    return builder.build(), builder.with_low_accuracy_mode().build(), codes


def detect_language(text: str) -> Lang:
    """`es`, `pt`, or `und` for any other language or too little text to tell."""
    accurate, fast, codes = _detectors()
    detector = accurate if len(text) < _SHORT_TEXT else fast
    found = detector.detect_language_of(text)
    return codes.get(found, "und")


def resolve_language(declared: str | None, text: str) -> Lang:
    """The ad's language: a declared `es`/`pt` is trusted, another declared ISO 639-1 code
    gives `und`, and a missing or unreadable one is detected from the text."""
    if declared:
        code = declared.strip().lower().split("-")[0].split("_")[0]
        if code in ("es", "pt"):
            return code  # type: ignore[return-value]
        if len(code) == 2 and code.isalpha():
            return "und"
    return detect_language(text)
