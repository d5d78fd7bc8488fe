"""Trainers in a real browser (Playwright driving Debian's Chromium against `centinela
serve`): one trainer labels an ad with a mouse-selected span and submits, a second labels
the same batch (one span with the keyboard), the dashboard shows their agreement, and a
lead adjudicates a disagreement."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from annotation.accounts import add_user
from annotation.learning.adjudication import final_labels
from annotation.learning.batches import batch_labels, create_batch
from annotation.learning.reports import batch_agreement
from annotation.learning.selection import Pick, Selection
from annotation.store import open_store
from corpora.taxonomy import load_taxonomy
from tests.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium, running_server
from tests.review_data import SAMPLE, store_scored

PASSWORD = "correct horse battery"
ORDER = ["mx-pas", "br-taxa"]
TEXT = {item.ad_id: item.text for item in SAMPLE}

pytestmark = [pytest.mark.slow, needs_chromium]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str, int]]:
    db_url = f"sqlite:///{tmp_path / 'centinela.db'}"
    with open_store(db_url) as store:
        store_scored(store)
        with store.begin() as session:
            for name in ("tito", "tina", "lead"):
                add_user(session, name, "trainer", PASSWORD, actor="test")
            batch_id = create_batch(
                session, Selection("random.v1", [Pick(ad, "random", 0.0, "random.v1")
                                                 for ad in ORDER]),
                name="primera", created_by="lead", trainers=["tito", "tina"])
    with running_server(db_url, tmp_path / "home") as base:
        yield base, db_url, batch_id


def _sign_in(page, base: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login?next=/annotate")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _drag_select(page, phrase: str) -> None:  # type: ignore[no-untyped-def]
    """Select `phrase` in the ad text with the mouse: press at its first character, drag
    to its last, release."""
    box = page.evaluate("""phrase => {
        const el = document.getElementById('label-text');
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const at = node.data.indexOf(phrase);
            if (at < 0) continue;
            const range = document.createRange();
            range.setStart(node, at); range.setEnd(node, at + 1);
            const first = range.getBoundingClientRect();
            range.setStart(node, at + phrase.length - 1); range.setEnd(node, at + phrase.length);
            const last = range.getBoundingClientRect();
            return {x0: first.left + 1, y0: first.top + first.height / 2,
                    x1: last.right - 1, y1: last.top + last.height / 2};
        }
        return null;
    }""", phrase)
    assert box is not None, phrase
    page.mouse.move(box["x0"], box["y0"])
    page.mouse.down()
    page.mouse.move((box["x0"] + box["x1"]) / 2, (box["y0"] + box["y1"]) / 2, steps=5)
    page.mouse.move(box["x1"], box["y1"], steps=5)
    page.mouse.up()
    assert page.evaluate("() => window.getSelection().toString()") == phrase


def test_two_trainers_label_the_dashboard_shows_agreement_and_a_lead_adjudicates(
        server: tuple[str, str, int], tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, db_url, batch_id = server
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            def new_page():  # type: ignore[no-untyped-def]
                page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
                page.set_default_timeout(10_000)
                page.on("pageerror", lambda error: errors.append(str(error)))
                page.on("console", lambda message: errors.append(message.text)
                        if message.type == "error" else None)
                return page

            # tito: replace the model's TRAVEL_PAID span by a longer one, with the mouse
            tito = new_page()
            _sign_in(tito, base, "tito")
            expect(tito).to_have_url(f"{base}/annotate")
            tito.get_by_role("link", name="Start →").click()
            expect(tito).to_have_url(f"{base}/annotate/{batch_id}/ads/mx-pas")
            travel = tito.locator('#label-text mark[data-indicators~="TRAVEL_PAID"]')
            expect(travel).to_have_text("el pasaje va por cuenta")  # pre-filled
            expect(tito.locator("#mark-DOCS_HANDLED")).to_be_checked()
            tito.get_by_role("button", name="Remove this span from TRAVEL_PAID").click()
            expect(travel).to_have_count(0)
            _drag_select(tito, "el pasaje va por cuenta de la empresa")
            tito.locator('[data-add-span="TRAVEL_PAID"]').click()
            expect(travel).to_have_text("el pasaje va por cuenta de la empresa")
            tito.locator("#mark-CONTACT_INFORMAL").uncheck()
            tito.get_by_label("Risk").select_option("high")
            tito.get_by_label("Note").fill("el viaje pagado crea la deuda")
            tito.screenshot(path=str(tmp_path / "task.png"), full_page=True)
            tito.get_by_role("button", name="Submit labels").click()
            expect(tito).to_have_url(f"{base}/annotate/{batch_id}/ads/br-taxa?notice=labelled")
            expect(tito.get_by_text("Answer saved (labelled)")).to_be_visible()
            tito.get_by_role("button", name="Submit labels").click()  # the model's labels
            expect(tito).to_have_url(f"{base}/annotate?notice=done&batch={batch_id}")

            # tina: keeps the model's labels on mx-pas but for TRAVEL_PAID; on br-taxa
            # she adds a span with the keyboard and rates the risk medium
            tina = new_page()
            _sign_in(tina, base, "tina")
            tina.get_by_role("link", name="Start →").click()
            expect(tina).to_have_url(f"{base}/annotate/{batch_id}/ads/mx-pas")
            expect(tina.locator("body")).not_to_contain_text("el viaje pagado crea la deuda")
            tina.locator("#mark-TRAVEL_PAID").uncheck()
            tina.locator("#mark-CONTACT_INFORMAL").uncheck()
            tina.get_by_role("button", name="Submit labels").click()
            expect(tina).to_have_url(f"{base}/annotate/{batch_id}/ads/br-taxa?notice=labelled")
            tina.get_by_label("Keyboard selections go to FEE_OR_DEBT").check()
            text = tina.locator("#label-text")
            text.focus()
            for _ in range(3):  # "Vaga na Europa"
                text.press("Shift+ArrowRight")
            text.press("Enter")
            fee = tina.locator('#label-text mark[data-indicators~="FEE_OR_DEBT"]')
            expect(fee.first).to_have_text("Vaga na Europa")
            tina.get_by_label("Risk").select_option("medium")
            tina.get_by_role("button", name="Submit labels").click()
            expect(tina).to_have_url(f"{base}/annotate?notice=done&batch={batch_id}")

            # lead: the dashboard, then the disagreement on mx-pas
            lead = new_page()
            _sign_in(lead, base, "lead")
            lead.goto(f"{base}/agreement")
            expect(lead.get_by_role("heading", name="Agreement between trainers")).to_be_visible()
            figures = {name: lead.locator(f"#{name}").inner_text()
                       for name in ("risk-alpha", "mean-alpha", "span-exact", "span-overlap")}
            expect(lead.locator('[data-trainer="tina"]')).to_be_visible()
            chart = lead.locator('img[src="/agreement/trend.png"]')
            assert chart.evaluate("img => img.complete && img.naturalWidth > 300")
            lead.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
            lead.get_by_role("link", name="adjudicate", exact=True).click()
            expect(lead).to_have_url(f"{base}/adjudicate/{batch_id}")
            rows = lead.locator("#disagreements tbody tr")
            expect(rows).to_have_count(2)
            rows.filter(has_text="mx-pas").get_by_role("link", name="Adjudicate →").click()
            expect(lead.locator('[data-trainer="tito"] mark[data-indicators~="TRAVEL_PAID"]')
                   ).to_have_text("el pasaje va por cuenta de la empresa")
            expect(lead.locator('[data-trainer="tina"] mark[data-indicators~="TRAVEL_PAID"]')
                   ).to_have_count(0)
            lead.locator("#mark-TRAVEL_PAID").check()
            lead.screenshot(path=str(tmp_path / "adjudicate.png"), full_page=True)
            lead.get_by_label("Note").fill("el pasaje pagado es un indicio")
            lead.get_by_role("button", name="Record final label").click()
            expect(lead).to_have_url(f"{base}/adjudicate/{batch_id}?notice=adjudicated")
            expect(rows.filter(has_text="mx-pas")).to_contain_text("by lead")
        finally:
            browser.close()
    assert not errors, errors

    ids = load_taxonomy().ids
    with open_store(db_url) as store, store.begin() as session:
        labels = batch_labels(session, batch_id)
        tito_pas = labels["tito"]["mx-pas"]
        assert [e.text for e in tito_pas.evidence["TRAVEL_PAID"]] == \
            ["el pasaje va por cuenta de la empresa"]
        assert tito_pas.indicators == ["TRAVEL_PAID", "DOCS_HANDLED"]  # taxonomy order
        assert [e.text for e in labels["tina"]["br-taxa"].evidence["FEE_OR_DEBT"]] == \
            ["Vaga na Europa", "taxa de inscrição"]
        final = final_labels(session, batch_id)["mx-pas"]
        assert (final.decided_by, final.indicators) == ("lead", ["TRAVEL_PAID", "DOCS_HANDLED"])
        report = batch_agreement(session, batch_id, ids)
    shown = {"risk-alpha": report.agreement.risk_alpha, "mean-alpha": report.mean_alpha,
             "span-exact": report.agreement.spans.exact_f1,
             "span-overlap": report.agreement.spans.overlap_f1}
    assert figures == {k: "–" if v is None else f"{v:.2f}" for k, v in shown.items()}
    print("dashboard figures:", figures)
