"""A small store for the retention and erasure tests: ads we wrote (reserved example
numbers and domains) stored as a scan stores them (entities, links, queue), with the
copies of their words that people add: decisions with notes and edited spans, labels,
an adjudication, and the audit rows of each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import inspect, select

from annotation.intake import store_batch
from annotation.learning.adjudication import record_adjudication
from annotation.linking import prepare_ads
from annotation.queue import decide
from annotation.store import Store, append_annotation, start_scan
from annotation.store.tables import Base
from corpora.records import (
    Ad,
    Adjudication,
    Annotation,
    Assessment,
    Evidence,
    IndicatorHit,
    ModelRef,
    ReviewDecision,
)

KEY = b"privacy-test-key-0123456789abcdef"
MODEL = ModelRef(name="fake.privacy", version="1", sha256="c" * 64)
PHONE = "+57 601 555 0142"  # a reserved-range example number
PHONE_FORMS = ("6015550142", "+576015550142")
SENTENCE = "anfitrionas para un hotel en Lisboa, nosotros guardamos tu pasaporte"
TITLE = "Anfitrionas Lisboa salida inmediata"
URL = "https://empleos.example.org/ofertas/lisboa-anfitrionas-77"

ERASE_TEXT = (f"Se buscan {SENTENCE} durante el viaje. Pasaje pagado, cupos limitados. "
              f"Escribe al WhatsApp {PHONE} hoy mismo.")
SHARED_TEXT = ("Agencia seria contrata meseras para cruceros del Caribe, sin experiencia. "
               "Informes al 601 555 0142 de lunes a viernes.")
OTHER_TEXT = ("Panadería del barrio busca ayudante de mostrador con experiencia, sueldo fijo "
              "y prestaciones de ley. Llamar al 601 555 0199.")


def ads() -> list[Ad]:
    return [
        Ad(id="co-erase", text=ERASE_TEXT, lang="es", country="CO", source="empleos-rss",
           title=TITLE, url=URL),
        Ad(id="co-shared", text=SHARED_TEXT, lang="es", country="CO", source="empleos-rss",
           url="https://empleos.example.org/ofertas/cruceros-12"),
        Ad(id="co-other", text=OTHER_TEXT, lang="es", country="CO", source="empleos-rss",
           url="https://empleos.example.org/ofertas/panaderia-3"),
    ]


def _span(text: str, phrase: str) -> Evidence:
    start = text.index(phrase)
    return Evidence.from_text(text, start, start + len(phrase))


def assessments() -> list[Assessment]:
    docs = _span(ERASE_TEXT, "nosotros guardamos tu pasaporte")
    contact = _span(ERASE_TEXT, f"WhatsApp {PHONE}")
    hits = [IndicatorHit(id="DOCS_HANDLED", score=0.9, strength="strong",
                         detector="indicators.rules.v1", evidence=[docs]),
            IndicatorHit(id="CONTACT_INFORMAL", score=0.5, strength="weak",
                         detector="indicators.rules.v1", evidence=[contact])]
    return [
        Assessment(ad_id="co-erase", lang="es", risk="high", score=0.93, hits=hits,
                   explanation=f"Retienen documentos: «{docs.text}»; contacto informal: "
                               f"«{contact.text}».", model=MODEL),
        Assessment(ad_id="co-shared", lang="es", risk="medium", score=0.55, model=MODEL,
                   hits=[IndicatorHit(id="CONTACT_INFORMAL", score=0.5, strength="weak",
                                      detector="indicators.rules.v1",
                                      evidence=[_span(SHARED_TEXT, "Informes al 601 555 0142")])],
                   explanation="Contacto informal: «Informes al 601 555 0142»."),
        Assessment(ad_id="co-other", lang="es", risk="low", score=0.05, model=MODEL),
    ]


def fill_store(store: Store, *, when: datetime | None = None) -> None:
    """The three ads, scanned, with a decision, labels and an adjudication on co-erase
    and a decision on co-shared whose note repeats the shared phone."""
    batch = ads()
    with store.begin() as session:
        scan_id = start_scan(session, "empleos-rss", MODEL)
    store_batch(store, scan_id, batch, assessments(), prepare_ads(batch, KEY))
    evidence = {"DOCS_HANDLED": [_span(ERASE_TEXT, SENTENCE)]}
    extra = {} if when is None else {"created_at": when}
    with store.begin() as session:
        decide(session, ReviewDecision(
            ad_id="co-erase", reviewer="ana", decision="escalate",
            indicators=["DOCS_HANDLED"], evidence=evidence, risk="high",
            note=f"Llamé al {PHONE} y piden el pasaporte antes de viajar.", **extra))
        decide(session, ReviewDecision(
            ad_id="co-shared", reviewer="ana", decision="dismiss", indicators=[],
            note="Mismo número que otra oferta: 601 555 0142.", **extra))
        append_annotation(session, Annotation(
            ad_id="co-erase", annotator="tomas", indicators=["DOCS_HANDLED"],
            evidence=evidence, risk="high", note=f"contacto {PHONE}"))
        record_adjudication(session, Adjudication(
            ad_id="co-erase", adjudicator="lucia", indicators=["DOCS_HANDLED"],
            evidence=evidence, risk="high", note="según el anuncio, " + SENTENCE))


def table_dump(store: Store) -> str:
    """Every row of every table of the store, as one string (to search for values)."""
    names = inspect(store.engine).get_table_names()
    rows = []
    with store.begin() as session:
        for table in Base.metadata.sorted_tables:
            assert table.name in names
            rows += [repr(tuple(row)) for row in session.execute(select(table))]
    extra = set(names) - set(Base.metadata.tables) - {"alembic_version"}
    assert not extra, f"tables the test does not know: {extra}"
    return "\n".join(rows)
