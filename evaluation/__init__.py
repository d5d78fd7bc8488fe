"""Metrics, grouped splits, reports and the benchmark."""
