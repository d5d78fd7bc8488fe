"""The review-queue benchmark: with N assessed ads stored, how long the queue page takes
on the server and how long `claim_next` takes, as p50/p95 over repeated requests.

The ads are synthetic (made from a few phrases written for this purpose, with reserved
example contacts), stored and queued through the same library calls a scan uses.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from annotation.accounts import add_user
from annotation.logins import start_session
from annotation.queue import claim_next, decide, enqueue_flagged
from annotation.store import Store, save_ads, save_assessments
from corpora.records import Ad, Assessment, Evidence, IndicatorHit, ModelRef, ReviewDecision
from corpora.taxonomy import load_taxonomy

_MODEL = ModelRef(name="bench.synthetic", version="1", sha256="e" * 64)
_PHRASES = ["pasaje pagado", "sin experiencia", "trabajo en el exterior", "cobro de inscripción",
            "guardamos tu pasaporte", "buena presencia", "desde 16 años", "anfitrionas",
            "salida inmediata", "solo WhatsApp +52 55 5550 0123", "con alojamiento",
            "no le cuentes a nadie", "cruce seguro", "sueldo en dólares"]
_PLAIN = ["Se busca personal para tienda en el centro.", "Horario de lunes a viernes.",
          "Vaga para atendente com carteira assinada.", "Enviar currículo ao e-mail da loja."]


@dataclass(frozen=True)
class Timing:
    """Latencies of one measured operation, in milliseconds."""

    name: str
    samples: tuple[float, ...]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def seed_store(store: Store, n: int, *, batch_size: int = 2000, seed: int = 7,
               progress: Callable[[int], None] | None = None) -> int:
    """Store `n` synthetic assessed ads (half flagged) and queue the flagged ones, as a
    scan would; about a third of queued ads get a decision. Returns how many are queued."""
    rng = random.Random(seed)
    ids = load_taxonomy().ids
    queued = 0
    for start in range(0, n, batch_size):
        ads, assessments = [], []
        for number in range(start, min(n, start + batch_size)):
            ad, assessment = _synthetic(number, rng, ids)
            ads.append(ad)
            assessments.append(assessment)
        with store.begin() as session:
            save_ads(session, ads)
            save_assessments(session, assessments)
            queued += enqueue_flagged(session, assessments, actor="bench").new
        decided = [a for a in assessments if a.risk != "low" and rng.random() < 0.3]
        with store.begin() as session:
            for assessment in decided:
                decide(session, ReviewDecision(ad_id=assessment.ad_id, reviewer="bench",
                                               decision=rng.choice(("confirm", "dismiss"))))
        if progress:
            progress(len(ads))
    # Planner statistics, as autovacuum (PostgreSQL) or `PRAGMA optimize` (SQLite) keep
    # them on a database in use; a bulk load leaves none.
    with store.engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return queued


def time_queue_page(store: Store, secret: str, repeats: int) -> list[Timing]:
    """Server time of GET /queue (as its Server-Timing header says) for a few views."""
    from fastapi.testclient import TestClient

    from annotation.web.app import create_app

    with store.begin() as session:
        user = add_user(session, "bench-admin", "admin", "bench-password-" + secret[:8],
                        actor="bench")
        token, _ = start_session(session, user)
    client = TestClient(create_app(store, secret), cookies={"centinela_session": token})
    views = {"queue page: open, top": "/queue",
             "queue page: indicator filter": "/queue?indicator=FEE_OR_DEBT",
             "queue page: language + risk": "/queue?lang=pt&risk=high",
             "queue page: page 100": "/queue?page=100",
             "queue page: all states": "/queue?state=any"}
    timings = []
    for name, path in views.items():
        client.get(path)  # warm up
        samples = []
        for _ in range(repeats):
            response = client.get(path)
            response.raise_for_status()
            samples.append(float(response.headers["server-timing"].split("dur=")[1]))
        timings.append(Timing(name, tuple(samples)))
    return timings


def time_claims(store: Store, repeats: int) -> list[Timing]:
    """Wall time of one `claim_next` transaction (each by a new reviewer, so each leases
    another item), with and without a filter."""
    from annotation.queue import QueueFilters

    timings = []
    for name, filters in (("claim_next: no filter", None),
                          ("claim_next: indicator filter", QueueFilters(indicator="SECRECY"))):
        samples = []
        for number in range(repeats):
            began = time.perf_counter()
            with store.begin() as session:
                claim_next(session, f"bench-{name[-6:]}-{number}", filters)
            samples.append((time.perf_counter() - began) * 1000)
        timings.append(Timing(name, tuple(samples)))
    return timings


def _synthetic(number: int, rng: random.Random, ids: tuple[str, ...]
               ) -> tuple[Ad, Assessment]:
    lang = "es" if number % 3 else "pt"
    found = rng.sample(range(len(ids)), rng.choice((0, 0, 1, 2, 3)))
    parts = [rng.choice(_PLAIN)]
    spans: list[tuple[str, int, int]] = []
    for index in found:
        text_so_far = " ".join(parts) + " "
        phrase = _PHRASES[index]
        spans.append((ids[index], len(text_so_far), len(text_so_far) + len(phrase)))
        parts.append(phrase + ".")
    text = " ".join(parts) + f" Ref {number}."
    score = round(min(1.0, 0.08 + 0.25 * len(found) + rng.random() * 0.2), 4)
    risk = "high" if score >= 0.6 else "medium" if score >= 0.35 else "low"
    published = datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=number)
    ad = Ad(id=f"bench-{number:07d}", source=rng.choice(("feed-a.example", "feed-b.example")),
            lang=lang, country=rng.choice(("MX", "CO", "BR", "PE")), text=text,
            published_at=published)
    hits = [IndicatorHit(id=indicator, score=0.8, strength="medium", detector="bench",
                         evidence=[Evidence.from_text(text, start, end)])
            for indicator, start, end in spans]
    return ad, Assessment(ad_id=ad.id, lang=lang, risk=risk, score=score, hits=hits,
                          model=_MODEL)

