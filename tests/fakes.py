"""Test doubles with the same interface as the real parts, fast and deterministic."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from corpora.records import Ad, Assessment, Evidence, IndicatorHit, ModelRef

FAKE_DETECTOR_NAME = "fake.pasaporte.v1"
OTHER_FAKE_DETECTOR_NAME = "fake.pasaporte.v2"
_PASSPORT = re.compile(r"pasaporte", re.IGNORECASE)


class FakeDetector:
    """Flags an ad as `high` exactly when its text mentions "pasaporte" (DOCS_HANDLED).

    Same interface as `models.detector.Detector`: `ref` and `assess(ads)`.
    """

    def __init__(self, sha256: str | None = None) -> None:
        self._ref = ModelRef(name="fake.pasaporte", version="1",
                             sha256=sha256 or hashlib.sha256(b"fake.pasaporte.v1").hexdigest())
        self.calls: list[int] = []

    @property
    def ref(self) -> ModelRef:
        return self._ref

    def assess(self, ads: Sequence[Ad]) -> list[Assessment]:
        self.calls.append(len(ads))
        return [self._assess_one(ad) for ad in ads]

    def _assess_one(self, ad: Ad) -> Assessment:
        spans = [Evidence.from_text(ad.text, m.start(), m.end())
                 for m in _PASSPORT.finditer(ad.text)]
        if not spans or ad.lang == "und":
            return Assessment(ad_id=ad.id, lang=ad.lang, risk="low", score=0.05,
                              model=self.ref)
        hit = IndicatorHit(id="DOCS_HANDLED", score=0.9, strength="strong", evidence=spans,
                           detector=FAKE_DETECTOR_NAME)
        return Assessment(ad_id=ad.id, lang=ad.lang, risk="high", score=0.9, hits=[hit],
                          explanation=f"Documents handled: '{spans[0].text}'.", model=self.ref)


def build_fake_detector(home: object = None) -> FakeDetector:
    """Registry factory of FAKE_DETECTOR_NAME (see models.registry.register_detector)."""
    return FakeDetector()


def build_other_fake_detector(home: object = None) -> FakeDetector:
    """The same fake with another sha256, as a retrained model would have."""
    return FakeDetector(sha256="c" * 64)


def register_fake_detectors() -> None:
    """Register both fakes, so flows and commands can load them by name."""
    from models.registry import register_detector

    register_detector(FAKE_DETECTOR_NAME, "tests.fakes:build_fake_detector")
    register_detector(OTHER_FAKE_DETECTOR_NAME, "tests.fakes:build_other_fake_detector")
