"""Detectors registered under versioned names.

A change of behaviour is a new version; old names keep working. Entries point at a
factory by import path so that importing the registry loads no model.
"""

from __future__ import annotations

import importlib
import re
import threading
from pathlib import Path
from typing import Any

from models.detector import Detector

DETECTORS: dict[str, str] = {
    "indicators.rules.v1": "models.rules.detector:build_rules_detector",
    "indicators.rules.v2": "models.rules.detector:build_rules_v2_detector",
    "indicators.rules.v3": "models.rules.detector:build_rules_v3_detector",
    "indicators.tfidf.v1": "models.tfidf.detector:build_tfidf_detector",
    "indicators.ensemble.v1": "models.ensemble.detector:build_ensemble_detector",
    "indicators.transformer.v1": "models.transformer.detector:build_transformer_detector",
    "indicators.semantic.v1": "models.semantic.detector:build_semantic_detector",
    "indicators.ensemble.v2": "models.ensemble.detector:build_semantic_ensemble_detector",
}

_LEARNED_RULES = re.compile(r"indicators\.rules\.v(\d+)")
_shared: dict[tuple[str, str | None], Detector] = {}
_shared_lock = threading.Lock()


class UnknownDetectorError(KeyError):
    def __str__(self) -> str:
        return f"unknown detector {self.args[0]!r}; available: {', '.join(DETECTORS)}"


def available_detectors(home: Path | None = None) -> list[str]:
    """The registered detectors, then the learned rules versions published in `home`
    (`indicators.rules.v4`, ...: models/rules/learned.py); a learned version
    that a later shipped version took the number of is listed once, as the shipped one."""
    from models.rules.learned import published_versions

    return [*DETECTORS, *(f"indicators.rules.v{n}" for n in published_versions(home)
                          if f"indicators.rules.v{n}" not in DETECTORS)]


def register_detector(name: str, target: str) -> None:
    """Register (or replace) the factory `module:function` under `name`."""
    module_name, sep, factory = target.partition(":")
    if not (module_name and sep and factory):
        raise ValueError(f"a detector target is 'module:factory', got {target!r}")
    with _shared_lock:
        DETECTORS[name] = target
        for key in [key for key in _shared if key[0] == name]:
            del _shared[key]


def load_detector(name: str, **options: Any) -> Detector:
    """Build the detector registered as `name` (e.g. 'indicators.rules.v1')."""
    learned = _LEARNED_RULES.fullmatch(name)
    if name not in DETECTORS and learned and name in available_detectors(options.get("home")):
        # indicators.rules.v4, v5...: versions trainers published (models/rules/learned.py)
        from models.rules.learned import build_learned_rules_detector

        return build_learned_rules_detector(int(learned[1]), **options)
    try:
        target = DETECTORS[name]
    except KeyError:
        raise UnknownDetectorError(name) from None
    module_name, _, factory = target.partition(":")
    return getattr(importlib.import_module(module_name), factory)(**options)


def shared_detector(name: str, home: str | Path | None = None) -> Detector:
    """The detector `name` loaded from `home`, built once per process and then shared.

    What flow tasks use, so each worker process (a Dask worker, say) loads a model once
    and tasks only pass the name. Detectors are read-only once built.
    """
    key = (name, None if home is None else str(home))
    with _shared_lock:
        if key not in _shared:
            options = {} if home is None else {"home": Path(home)}
            _shared[key] = load_detector(name, **options)
        return _shared[key]
