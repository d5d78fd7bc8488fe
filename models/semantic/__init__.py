"""The semantic detector: sentence embeddings and a classifier per indicator."""
