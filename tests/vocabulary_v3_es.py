"""Cases of the es vocabulary of `indicators.rules.v3` (patterns/vocabulary/es-3.yaml),
run by test_vocabulary_v3.py. Hand-written, not copied from any real ad nor from the corpus.

- FIRES: (lang, country, text, indicator, piece the evidence must contain);
- QUIET: (lang, country, text, indicator that must not fire).
"""

FIRES: list[tuple[str, str, str, str, str]] = []

QUIET: list[tuple[str, str, str, str]] = []
