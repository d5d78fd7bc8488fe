"""The store, the review queue, annotation tasks and agreement (no Prefect here)."""
