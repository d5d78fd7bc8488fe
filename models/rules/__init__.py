"""`indicators.rules.v1`: spaCy Matcher patterns per indicator and language (data files)."""
