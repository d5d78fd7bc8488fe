"""Ads we wrote, with assessments, stored and queued for the review tests (queue, web, CLI,
browser). Contacts are reserved example numbers and domains."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from annotation.queue import enqueue_flagged
from annotation.store import Store, save_ads, save_assessments
from corpora.records import Ad, Assessment, Evidence, IndicatorHit, ModelRef

MODEL = ModelRef(name="fake.pasaporte", version="1", sha256="a" * 64)
NEW_MODEL = ModelRef(name="fake.pasaporte", version="2", sha256="b" * 64)
_STRENGTH = {"DOCS_HANDLED": "strong", "FEE_OR_DEBT": "strong", "TRAVEL_PAID": "medium",
             "CONTACT_INFORMAL": "weak", "URGENCY": "weak", "SECRECY": "strong"}


@dataclass(frozen=True)
class Scored:
    """An ad and what the fake model says of it: `phrases` maps indicators to the words
    of the text that are their evidence."""

    ad_id: str
    text: str
    risk: str
    score: float
    phrases: dict[str, str] = field(default_factory=dict)
    lang: str = "es"
    source: str = "empleos.example.com"
    country: str | None = "MX"
    published_at: datetime | None = None
    title: str | None = None

    def ad(self) -> Ad:
        return Ad(id=self.ad_id, text=self.text, lang=self.lang, source=self.source,
                  country=self.country, published_at=self.published_at, title=self.title,
                  url=f"https://{self.source}/ofertas/{self.ad_id}")

    def assessment(self, model: ModelRef = MODEL, score: float | None = None,
                   risk: str | None = None) -> Assessment:
        hits = []
        for indicator, phrase in self.phrases.items():
            start = self.text.index(phrase)
            hits.append(IndicatorHit(
                id=indicator, score=0.8, strength=_STRENGTH.get(indicator, "medium"),
                detector="indicators.rules.v1",
                evidence=[Evidence.from_text(self.text, start, start + len(phrase))]))
        names = ", ".join(f"{ind}: '{phrase}'" for ind, phrase in self.phrases.items())
        return Assessment(ad_id=self.ad_id, lang=self.lang, risk=risk or self.risk,
                          score=self.score if score is None else score, hits=hits,
                          explanation=f"Indicios: {names}." if names else "", model=model)


SAMPLE = [
    Scored("mx-pas", "Trabajo en Canadá: nosotros guardamos tu pasaporte y el pasaje va por "
           "cuenta de la empresa. WhatsApp +52 55 5550 0123.", "high", 0.95,
           {"DOCS_HANDLED": "guardamos tu pasaporte", "TRAVEL_PAID": "el pasaje va por cuenta",
            "CONTACT_INFORMAL": "WhatsApp +52 55 5550 0123"}, title="Trabajo en Canadá"),
    Scored("br-taxa", "Vaga na Europa, taxa de inscrição de 300 reais descontada do primeiro "
           "salário. Embarque imediato.", "high", 0.9,
           {"FEE_OR_DEBT": "taxa de inscrição", "URGENCY": "Embarque imediato"},
           lang="pt", country="BR", source="vagas.example.org"),
    Scored("co-viaje", "Se necesitan meseros para crucero, viaje pagado y alojamiento.",
           "medium", 0.6, {"TRAVEL_PAID": "viaje pagado"}, country="CO"),
    Scored("mx-script", "Urgente <script>alert('xss')</script> cajeras, no le digas a tu "
           "familia.", "medium", 0.55, {"SECRECY": "no le digas a tu familia"}),
    Scored("mx-cajero", "Se busca cajero para tienda en Zapopan. Sueldo fijo.", "low", 0.05),
]


def store_scored(store: Store, scored: list[Scored] = SAMPLE, model: ModelRef = MODEL) -> None:
    """Store the ads and their assessments, and enqueue the flagged ones, as a scan does."""
    assessments = [item.assessment(model) for item in scored]
    with store.begin() as session:
        save_ads(session, [item.ad() for item in scored])
        save_assessments(session, assessments)
        enqueue_flagged(session, assessments)
