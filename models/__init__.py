"""Detectors registered under versioned names, risk scoring, explanations, artifacts."""
