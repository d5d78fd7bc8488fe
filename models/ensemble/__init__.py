"""`indicators.ensemble.v1`: rules + TF-IDF per indicator, a learned risk score, and
thresholds chosen on the dev split (the default detector once trained)."""
