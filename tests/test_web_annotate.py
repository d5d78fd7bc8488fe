"""Annotation tasks, adjudication and the agreement dashboard through an in-process HTTP
client: blind tasks pre-filled by the model, answers appended and audited, roles, the
adjudicator's blindness, final labels with who decided, the dashboard's figures."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from annotation.accounts import add_user
from annotation.learning.adjudication import final_labels
from annotation.learning.batches import batch_labels, create_batch
from annotation.learning.selection import Pick, Selection
from annotation.store import Store, list_audit
from annotation.web.app import create_app
from tests.review_data import SAMPLE, store_scored
from tests.test_web import PASSWORD, SECRET, sign_in

ORDER = ["mx-pas", "br-taxa", "co-viaje"]
TEXT = {item.ad_id: item.text for item in SAMPLE}


def offsets(ad_id: str, phrase: str) -> str:
    start = TEXT[ad_id].index(phrase)
    return f"{start}-{start + len(phrase)}"


@pytest.fixture
def web_store(store: Store, fast_passwords: None) -> Iterator[tuple[Store, int]]:
    """The review sample and a batch of three of its ads for two trainers, on SQLite and
    (with CENTINELA_TEST_PG_URL set) PostgreSQL."""
    store_scored(store)
    with store.begin() as session:
        for name, role in (("root", "admin"), ("ana", "investigator"),
                           ("olga", "analyst"), ("tito", "trainer"), ("tina", "trainer"),
                           ("lead", "trainer")):
            add_user(session, name, role, PASSWORD, actor="test")
        selection = Selection("random.v1", [Pick(ad, "random", 0.0, "random.v1")
                                            for ad in ORDER])
        batch_id = create_batch(session, selection, name="primera", created_by="lead",
                                trainers=["tito", "tina"])
    yield store, batch_id


@pytest.fixture
def app(web_store):
    return create_app(web_store[0], SECRET)


def token(client: TestClient, page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)[1]


def answer(client: TestClient, batch_id: int, ad_id: str, status: str = "labelled",
           marks: dict[str, str] | None = None, risk: str = "high", note: str = "",
           **extra: str):
    page = f"/annotate/{batch_id}/ads/{ad_id}"
    data = {"csrf_token": token(client, page), "status": status, "risk": risk, "note": note,
            "mark": list(marks or {}), **{f"spans-{k}": v for k, v in (marks or {}).items()},
            **extra}
    return client.post(page, data=data, follow_redirects=False)


def test_a_trainer_gets_the_next_task_pre_filled_by_the_model(app, web_store) -> None:
    store, batch_id = web_store
    tito = sign_in(app, "tito")
    listing = tito.get("/annotate")
    assert "primera" in listing.text and f'href="/annotate/{batch_id}"' in listing.text
    first = tito.get(f"/annotate/{batch_id}", follow_redirects=False)
    assert first.headers["location"] == f"/annotate/{batch_id}/ads/mx-pas"
    page = tito.get(first.headers["location"])
    assert page.status_code == 200
    assert 'id="mark-DOCS_HANDLED" checked' in page.text
    assert 'id="mark-FEE_OR_DEBT" checked' not in page.text  # the model did not find it
    assert f'name="spans-DOCS_HANDLED" value="{offsets("mx-pas", "guardamos tu pasaporte")}"' \
        in page.text
    assert '<option value="high" selected>' in page.text
    assert "5550 0123" not in page.text  # contacts masked
    assert 'data-masked="phone"' in page.text
    for button in ("Submit labels", "Unclear", "Skip for now"):
        assert button in page.text


def test_answers_are_appended_audited_and_blind(app, web_store) -> None:
    store, batch_id = web_store
    tina, tito = sign_in(app, "tina"), sign_in(app, "tito")
    start, end = (int(n) for n in offsets("mx-pas", "guardamos tu pasaporte").split("-"))
    response = answer(tina, batch_id, "mx-pas", marks={"DOCS_HANDLED": f"{start - 1}-{end + 1}"},
                      note="nota-secreta-de-tina")
    assert response.status_code == 303
    assert response.headers["location"] == f"/annotate/{batch_id}?notice=labelled"
    page = tito.get(f"/annotate/{batch_id}/ads/mx-pas")
    assert "nota-secreta-de-tina" not in page.text and "tina" not in page.text
    following = tina.get(response.headers["location"], follow_redirects=False)
    assert following.headers["location"] == f"/annotate/{batch_id}/ads/br-taxa?notice=labelled"
    assert "Answer saved (labelled)" in tina.get(following.headers["location"]).text
    assert answer(tina, batch_id, "br-taxa", status="skipped").status_code == 303
    assert answer(tina, batch_id, "co-viaje", status="unclear", note="¿crucero real?"
                  ).status_code == 303
    # the skipped ad comes back last
    assert tina.get(f"/annotate/{batch_id}", follow_redirects=False).headers["location"] \
        .startswith(f"/annotate/{batch_id}/ads/br-taxa")
    with store.begin() as session:
        (label,) = batch_labels(session, batch_id)["tina"].values()
        assert label.evidence["DOCS_HANDLED"][0].text == "guardamos tu pasaporte"  # trimmed
        assert label.model_sha256 == "a" * 64
        actions = [e.action for e in list_audit(session, actor="tina")
                   if e.action.startswith("annotation.")]
        assert actions == ["annotation.label"] * 3


@pytest.mark.parametrize(("marks", "risk", "message"), [
    ({"DOCS_HANDLED": "5-500"}, "high", "not inside the ad"),
    ({"DOCS_HANDLED": "abc"}, "high", "is not a span"),
    ({"DOCS_HANDLED": "0-5"}, "", "set the risk"),
    ({"NOT_AN_INDICATOR": ""}, "high", "NOT_AN_INDICATOR"),
])
def test_a_bad_answer_is_refused_and_the_form_kept(app, web_store, marks, risk,
                                                   message) -> None:
    store, batch_id = web_store
    tito = sign_in(app, "tito")
    response = answer(tito, batch_id, "mx-pas", marks=marks, risk=risk, note="mi nota")
    assert response.status_code == 400
    assert message in response.text and "mi nota" in response.text
    with store.begin() as session:
        assert batch_labels(session, batch_id) == {}


def test_only_assigned_trainers_label(app, web_store) -> None:
    store, batch_id = web_store
    assert sign_in(app, "ana").get("/annotate").status_code == 403
    assert sign_in(app, "lead").get(f"/annotate/{batch_id}/ads/mx-pas").status_code == 404
    assert sign_in(app, "olga").get("/agreement").status_code == 200
    assert sign_in(app, "olga").get("/adjudicate").status_code == 403


def test_disagreements_are_adjudicated_with_who_decided(app, web_store) -> None:
    store, batch_id = web_store
    tina, tito, lead = sign_in(app, "tina"), sign_in(app, "tito"), sign_in(app, "lead")
    fee = {"FEE_OR_DEBT": offsets("br-taxa", "taxa de inscrição")}
    answer(tina, batch_id, "mx-pas", marks={"DOCS_HANDLED": offsets("mx-pas", "guardamos tu "
                                                                             "pasaporte")})
    answer(tina, batch_id, "br-taxa", marks=fee)
    answer(tina, batch_id, "co-viaje", marks={}, risk="low")
    # tito still has ads to label: the labels stay hidden from him
    assert tito.get(f"/adjudicate/{batch_id}").status_code == 403
    answer(tito, batch_id, "mx-pas", marks={"DOCS_HANDLED": offsets("mx-pas", "pasaporte")})
    answer(tito, batch_id, "br-taxa", marks={}, risk="medium")
    answer(tito, batch_id, "co-viaje", marks={}, risk="low")

    listing = lead.get(f"/adjudicate/{batch_id}")
    assert listing.status_code == 200
    assert re.findall(r'data-ad="([^"]+)"', listing.text) == ["br-taxa"]
    page = lead.get(f"/adjudicate/{batch_id}/ads/br-taxa")
    assert 'data-trainer="tina"' in page.text and 'data-trainer="tito"' in page.text
    assert "marked by tina" in page.text
    form = {"csrf_token": token(lead, f"/adjudicate/{batch_id}/ads/br-taxa"),
            "mark": ["FEE_OR_DEBT"], "spans-FEE_OR_DEBT": fee["FEE_OR_DEBT"], "risk": "high",
            "note": "la tasa se descuenta"}
    response = lead.post(f"/adjudicate/{batch_id}/ads/br-taxa", data=form,
                         follow_redirects=False)
    assert response.status_code == 303
    with store.begin() as session:
        final = final_labels(session, batch_id)
        assert (final["br-taxa"].source, final["br-taxa"].decided_by) == ("adjudicated", "lead")
        assert final["br-taxa"].indicators == ["FEE_OR_DEBT"]
        assert final["mx-pas"].source == "consensus"  # overlapping spans agree
        audit = list_audit(session, target="ad:br-taxa")
        assert audit[0].action == "annotation.adjudicate" and audit[0].actor == "lead"
    assert "by lead" in lead.get(f"/adjudicate/{batch_id}").text

    dashboard = lead.get("/agreement")
    assert dashboard.status_code == 200
    figures = {name: re.search(rf'id="{name}">([^<]+)<', dashboard.text)[1]
               for name in ("risk-alpha", "mean-alpha", "span-exact", "span-overlap")}
    # By hand (Krippendorff 2011), 3 ads with two labels each:
    # risk (high, high), (high, medium), (low, low), ordinal: n0=2, n1=1, n2=3, n=6;
    #   observed o12 = o21 = 1, delta2(1,2) = ((1+3)/2)^2 = 4 -> 8;
    #   expected 2 * (2*1*2.25 + 2*3*12.25 + 1*3*4) = 180; alpha = 1 - 5*8/180 = 0.78.
    # DOCS_HANDLED (1,1), (0,0), (0,0): alpha 1; FEE_OR_DEBT (0,0), (1,0), (0,0):
    #   1 - 5*2/(2*5*1) = 0; the others are undefined; mean (1 + 0) / 2 = 0.50.
    # spans: tina 2, tito 1, none identical (exact F1 0); overlap: precision 1/1,
    #   recall 1/2, F1 0.67.
    assert figures == {"risk-alpha": "0.78", "mean-alpha": "0.50", "span-exact": "0.00",
                       "span-overlap": "0.67"}
    assert 'data-trainer="tito"' in dashboard.text
    for png in ("/agreement/trend.png", f"/agreement/{batch_id}/alpha.png"):
        image = lead.get(png)
        assert image.headers["content-type"] == "image/png"
        assert image.content.startswith(b"\x89PNG")
