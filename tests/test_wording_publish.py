"""New wording from the trainers' side: the page where phrases are accepted or dismissed,
and `centinela wording publish`, which turns accepted phrases into a new rules version
(`indicators.rules.v4`, then v5...: after the shipped v1 to v3) that loads as its own
detector, with provenance, and is never rewritten."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from annotation.accounts import add_user
from annotation.learning.phrases import (
    decide_phrase,
    flagged_ads_between,
    list_phrases,
    save_phrases,
)
from annotation.learning.wording import NewPhrase, Occurrence
from annotation.store import Store, list_audit, open_store, save_ads, save_assessments
from annotation.web.app import create_app
from corpora.records import Ad, Assessment, ModelRef, utc_now
from models.registry import UnknownDetectorError, available_detectors, load_detector
from models.rules import learned
from models.rules.learned import LearnedPhrase, LearnedRulesError, load_version
from pipelines.cli import app as cli
from pipelines.wording import publish_accepted
from tests.test_web import PASSWORD, SECRET, sign_in

MODEL = ModelRef(name="fake.flags", version="1", sha256="f" * 64)
# Invented ads; the phrases are ours. The contact is a reserved example number.
ADS = [
    Ad(id="es-1", lang="es", country="CO", text="Se buscan chicas para tertulias nocturnas "
       "en hotel de la capital, trato directo al +57 601 555 0142."),
    Ad(id="es-2", lang="es", country="PA", text="Chicas para tertulias nocturnas, pago "
       "diario y transporte."),
    Ad(id="pt-1", lang="pt", country="BR", text="Moças para rodas de conversa noturna com "
       "executivos, ganhos diários."),
    Ad(id="es-3", lang="es", country="PA", text="No buscamos chicas para tertulias nocturnas; "
       "solo cocineros."),
]


def _found(phrase: str, lang: str, ads: list[str]) -> NewPhrase:
    texts = {ad.id: ad.text for ad in ADS}
    examples = []
    for ad_id in ads:
        start = texts[ad_id].lower().index(phrase)
        examples.append(Occurrence(ad_id, start, start + len(phrase),
                                   texts[ad_id][start:start + len(phrase)]))
    return NewPhrase(lang=lang, phrase=phrase, tested=phrase.split()[-1], target_ads=12,
                     reference_ads=0, target_share=0.06, reference_share=0.0, llr=31.5,
                     covered_share=0.0, examples=tuple(examples))


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
       fast_passwords: None) -> Iterator[tuple[str, Store]]:
    url = f"sqlite:///{tmp_path / 'centinela.db'}"
    monkeypatch.setenv("CENTINELA_DB", url)
    with open_store(url) as store:
        with store.begin() as session:
            save_ads(session, ADS)
            save_phrases(session, [_found("chicas para tertulias nocturnas", "es",
                                          ["es-1", "es-2"]),
                                   _found("rodas de conversa noturna", "pt", ["pt-1"]),
                                   _found("trato directo", "es", ["es-1"])])
            for name, role in (("tina", "trainer"), ("olga", "analyst")):
                add_user(session, name, role, PASSWORD, actor="test")
        yield url, store


def _ids(store: Store) -> dict[str, int]:
    with store.begin() as session:
        return {p.phrase: p.id for p in list_phrases(session, status=None)}


def publish():  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["wording", "publish", "--user", "tina"])


def test_trainers_accept_or_dismiss_phrases_on_the_page(db) -> None:
    url, store = db
    app = create_app(store, SECRET)
    assert sign_in(app, "olga").get("/wording").status_code == 403
    tina = sign_in(app, "tina")
    page = tina.get("/wording")
    assert page.status_code == 200
    rows = re.findall(r'<tr data-phrase="(\d+)">', page.text)
    assert len(rows) == 3
    assert '<mark class="hl hl-9">chicas para tertulias nocturnas</mark>' in page.text
    assert "555 0142" not in page.text and "[phone hidden]" in page.text
    ids = _ids(store)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    accepted = tina.post(f"/wording/{ids['chicas para tertulias nocturnas']}",
                         data={"csrf_token": token, "decision": "accepted",
                               "indicator": "HOSTESS_MODELING", "status": "open"},
                         follow_redirects=False)
    assert accepted.status_code == 303 and "notice=accepted" in accepted.headers["location"]
    dismissed = tina.post(f"/wording/{ids['trato directo']}",
                          data={"csrf_token": token, "decision": "dismissed"},
                          follow_redirects=False)
    assert dismissed.status_code == 303
    assert tina.post("/wording/999", data={"csrf_token": token, "decision": "dismissed"}
                     ).status_code == 404
    assert tina.post(f"/wording/{ids['trato directo']}",
                     data={"csrf_token": token, "decision": "accepted",
                           "indicator": "NOT_ONE"}).status_code == 400
    listing = tina.get("/wording?status=accepted").text
    assert "HOSTESS_MODELING" in listing and "awaiting <code>centinela wording publish" in listing
    with store.begin() as session:
        actions = [e.action for e in list_audit(session, actor="tina")
                   if e.action.startswith("wording.")]
    assert sorted(actions) == ["wording.accept", "wording.dismiss"]


@pytest.mark.slow
def test_accepted_phrases_become_a_new_rules_version(db, tmp_path: Path) -> None:
    url, store = db
    home = Path(tmp_path / "centinela-home")
    ids = _ids(store)
    probe = [ADS[0], ADS[2]]
    before = load_detector("indicators.rules.v1").detect_hits(probe)
    assert not any(h.id == "HOSTESS_MODELING" for hits in before for h in hits)
    with pytest.raises(UnknownDetectorError):
        load_detector("indicators.rules.v7")  # never published: a clear error
    with store.begin() as session:
        decide_phrase(session, ids["chicas para tertulias nocturnas"], "accepted",
                      actor="tina", indicator="HOSTESS_MODELING")

    result = publish()
    assert result.exit_code == 0, result.output
    assert "Published indicators.rules.v4: 1 new phrases, 1 in all" in result.output
    v4 = home / "rules" / "indicators.rules.v4.yaml"
    data = yaml.safe_load(v4.read_text(encoding="utf-8"))
    (entry,) = data["phrases"]
    assert (entry["indicator"], entry["accepted_by"], entry["ads"], entry["since"]) == \
        ("HOSTESS_MODELING", "tina", ["es-1", "es-2"], 4)
    assert data["published_by"] == "tina" and "Se buscan" not in v4.read_text(encoding="utf-8")
    assert data["base"] == "indicators.rules.v3"

    detector = load_detector("indicators.rules.v4", home=home)
    assert (detector.ref.name, detector.ref.version) == ("indicators.rules", "4")
    assert detector.ref.sha256 != load_detector("indicators.rules.v1").ref.sha256
    hits = detector.detect_hits(probe)
    (hostess,) = [h for h in hits[0] if h.id == "HOSTESS_MODELING"]
    assert [e.text for e in hostess.evidence] == ["chicas para tertulias nocturnas"]
    assert hostess.detector == "indicators.rules.v4"
    assert not any(h.id == "HOSTESS_MODELING" for h in detector.detect_hits([ADS[3]])[0])
    with store.begin() as session:
        (published,) = list_phrases(session, status="accepted")
        assert published.rule_file == "indicators.rules.v4"
        with pytest.raises(ValueError, match="already in indicators.rules.v4"):
            decide_phrase(session, published.id, "dismissed", actor="tina")

    again = publish()
    assert again.exit_code == 1 and "no accepted phrase left to publish" in again.output
    first_bytes = v4.read_bytes()
    with store.begin() as session:
        decide_phrase(session, ids["rodas de conversa noturna"], "accepted", actor="tina",
                      indicator="HOSTESS_MODELING")
    assert publish().exit_code == 0
    v5 = load_version(5, home)
    assert [(p.phrase_id, p.since) for p in v5.phrases] == \
        [(ids["chicas para tertulias nocturnas"], 4), (ids["rodas de conversa noturna"], 5)]
    assert v4.read_bytes() == first_bytes  # never edited in place
    v5_hits = load_detector("indicators.rules.v5", home=home).detect_hits(probe)
    assert [h.id for h in v5_hits[1]] == ["HOSTESS_MODELING"]


def test_a_learned_v3_published_before_v3_shipped_is_carried_into_v4(tmp_path: Path) -> None:
    """An install that published a learned v3 when only v1 and v2 were shipped loses no
    phrase: the next version (v4) holds it, and `indicators.rules.v3` is the shipped one."""
    home = tmp_path / "centinela-home"
    (home / "rules").mkdir(parents=True)
    older = {"phrase_id": 1, "lang": "es", "phrase": "chicas para tertulias nocturnas",
             "indicator": "HOSTESS_MODELING", "accepted_by": "tina",
             "accepted_at": "2026-12-01T10:00:00+00:00", "ads": ["es-1"], "llr": 12.5,
             "since": 3}
    (home / "rules" / "indicators.rules.v3.yaml").write_text(yaml.safe_dump(
        {"name": "indicators.rules", "version": 3, "base": "indicators.rules.v2",
         "published_by": "tina", "published_at": "2026-12-01T10:05:00+00:00",
         "phrases": [older]}, allow_unicode=True), encoding="utf-8")
    new = LearnedPhrase(phrase_id=2, lang="pt", phrase="rodas de conversa noturna",
                        indicator="HOSTESS_MODELING", accepted_by="tina",
                        accepted_at="2026-12-04T10:00:00+00:00", ads=["pt-1"], llr=9.0,
                        examples=[ADS[2]])
    v4 = learned.publish([new], actor="tina", home=home)
    assert v4.version == 4
    assert [(p.phrase_id, p.since) for p in v4.phrases] == [(1, 3), (2, 4)]
    assert available_detectors(home).count("indicators.rules.v3") == 1
    assert "indicators.rules.v4" in available_detectors(home)
    assert load_detector("indicators.rules.v3", home=home).ref.version == "3"  # shipped


@pytest.mark.slow
def test_a_phrase_that_would_not_fire_is_not_published(db, tmp_path: Path) -> None:
    url, store = db
    ids = _ids(store)
    with store.begin() as session:
        save_phrases(session, [_found("tertulias nocturnas; solo", "es", ["es-3"])])
        (negated,) = [p for p in list_phrases(session) if p.phrase.endswith("solo")]
        decide_phrase(session, negated.id, "accepted", actor="tina", indicator="URGENCY")
        decide_phrase(session, ids["trato directo"], "accepted", actor="tina",
                      indicator="CONTACT_INFORMAL")
    with store.begin() as session, pytest.raises(LearnedRulesError, match="does not fire"):
        publish_accepted(session, actor="tina", home=tmp_path / "centinela-home")
    assert not (tmp_path / "centinela-home" / "rules" / "indicators.rules.v4.yaml").exists()
    with store.begin() as session:
        assert all(p.rule_file is None for p in list_phrases(session, status="accepted"))


@pytest.mark.slow
def test_wording_find_surfaces_a_new_euphemism_from_recent_scans(db) -> None:
    """A synthetic shift: the same kinds of flagged ads in both windows, but a new
    euphemism in half of the recent ones only (G2 17.3 for 10 of 20 against 0 of 20)."""
    url, store = db
    now = utc_now()
    towns = ["Colón", "David", "Chitré", "Penonomé", "Santiago", "Aguadulce", "Las Tablas",
             "Boquete", "Bocas", "Almirante"]
    jobs = ["meseras", "cajeras", "bailarinas", "recepcionistas", "anfitrionas"]
    ads, assessments = [], []
    for n in range(40):
        recent = n >= 20
        text = (f"Se buscan {jobs[n % 5]} en {towns[n % 10]}, pago semanal, "
                f"turno {['mañana', 'tarde', 'noche'][n % 3]}.")
        if recent and n % 2 == 0:
            text += " Incluye salidas de cortesía ejecutiva los viernes."
        ad = Ad(id=f"shift-{n:02d}", lang="es", country="PA", text=text)
        ads.append(ad)
        assessments.append(Assessment(
            ad_id=ad.id, lang="es", risk="medium", score=0.5, model=MODEL,
            created_at=now - timedelta(days=2 if recent else 15, minutes=n)))
    with store.begin() as session:
        save_ads(session, ads)
        save_assessments(session, assessments)
    result = CliRunner().invoke(cli, ["wording", "find"])
    assert result.exit_code == 0, result.output
    assert "es: 20 recent ads against 20 earlier" in result.output
    with store.begin() as session:
        found = [p for p in list_phrases(session) if p.reference_ads == 0 and p.target_ads]
    phrases = {p.phrase for p in found}
    assert "incluye salidas de cortesia ejecutiva los viernes" in phrases, phrases
    assert not any("pago semanal" in p for p in phrases)  # in both windows: no rise
    again = CliRunner().invoke(cli, ["wording", "find"])
    assert "0 new" in again.output and "refreshed" in again.output


def test_a_window_holds_flagged_or_near_threshold_ads_of_one_language(store: Store) -> None:
    now = utc_now()
    cases = [("high-in", "es", "high", 0.9, 1), ("low-near", "es", "low", 0.3, 2),
             ("low-far", "es", "low", 0.1, 3), ("pt-high", "pt", "high", 0.9, 4),
             ("old-high", "es", "high", 0.9, 10)]
    with store.begin() as session:
        save_ads(session, [Ad(id=ad_id, lang=lang, text=f"Anuncio {ad_id} de prueba.")
                           for ad_id, lang, *_ in cases])
        save_assessments(session, [
            Assessment(ad_id=ad_id, lang=lang, risk=risk, score=score, model=MODEL,
                       created_at=now - timedelta(days=days))
            for ad_id, lang, risk, score, days in cases])
    with store.begin() as session:
        window = flagged_ads_between(session, now - timedelta(days=7), now, lang="es",
                                     min_score=0.25)
        assert [ad.id for ad in window] == ["high-in", "low-near"]
        earlier = flagged_ads_between(session, now - timedelta(days=35), now - timedelta(days=7),
                                      lang="es", min_score=0.25)
        assert [ad.id for ad in earlier] == ["old-high"]
