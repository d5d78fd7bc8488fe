"""Prefect flows: each orchestrates library calls; tasks are batches of I/O or one call."""
