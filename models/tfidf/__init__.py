"""`indicators.tfidf.v1`: word + character n-gram TF-IDF and one calibrated linear model
per indicator, with evidence from the n-grams that pushed each prediction up."""
