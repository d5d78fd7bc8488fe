"""Records, taxonomy, sources, normalisation and the seed corpus (the bottom layer)."""
