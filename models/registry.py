"""Detectors registered under versioned names.

A change of behaviour is a new version; old names keep working. Entries point at a
factory by import path so that importing the registry loads no model.
"""

from __future__ import annotations

import importlib
from typing import Any

from models.detector import Detector

DETECTORS: dict[str, str] = {
    "indicators.rules.v1": "models.rules.detector:build_rules_detector",
    "indicators.tfidf.v1": "models.ensemble.detector:build_tfidf_detector",
    "indicators.ensemble.v1": "models.ensemble.detector:build_ensemble_detector",
    "indicators.transformer.v1": "models.transformer.detector:build_transformer_detector",
}


class UnknownDetectorError(KeyError):
    def __str__(self) -> str:
        return f"unknown detector {self.args[0]!r}; available: {', '.join(DETECTORS)}"


def available_detectors() -> list[str]:
    return list(DETECTORS)


def load_detector(name: str, **options: Any) -> Detector:
    """Build the detector registered as `name` (e.g. 'indicators.rules.v1')."""
    try:
        target = DETECTORS[name]
    except KeyError:
        raise UnknownDetectorError(name) from None
    module_name, _, factory = target.partition(":")
    return getattr(importlib.import_module(module_name), factory)(**options)
