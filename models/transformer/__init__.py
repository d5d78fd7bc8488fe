"""`indicators.transformer.v1`: a local encoder checkpoint fine-tuned with one sigmoid per
indicator, with evidence from gradient x input attributions (see README.md)."""
