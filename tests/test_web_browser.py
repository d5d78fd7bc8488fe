"""The review web app in a real browser: Playwright driving Debian's Chromium against
`centinela serve` started on a free port. Sign in, open the queue, open the top ad, see
its highlighted evidence, confirm it with the keyboard, land on the next ad."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from annotation.accounts import add_user
from annotation.queue import load_review
from annotation.store import open_store
from tests.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium, running_server
from tests.review_data import store_scored

PASSWORD = "correct horse battery"

pytestmark = [pytest.mark.slow, needs_chromium]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`centinela serve` over a store with the review sample and one investigator."""
    db_url = f"sqlite:///{tmp_path / 'centinela.db'}"
    with open_store(db_url) as store:
        store_scored(store)
        with store.begin() as session:
            add_user(session, "ana", "investigator", PASSWORD, actor="test")
    with running_server(db_url, tmp_path / "home") as base:
        yield base, db_url


def test_review_an_ad_in_a_real_browser(server: tuple[str, str], tmp_path: Path) -> None:
    from PIL import Image
    from playwright.sync_api import expect, sync_playwright

    base, db_url = server
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.set_default_timeout(10_000)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda message: errors.append(message.text)
                    if message.type == "error" else None)

            page.goto(f"{base}/")
            expect(page).to_have_url(f"{base}/login?next=%2Fqueue")
            page.get_by_label("User name").fill("ana")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()

            expect(page).to_have_url(f"{base}/queue")
            expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
            rows = page.locator("table.queue tbody tr")
            expect(rows).to_have_count(4)
            rows.first.get_by_role("link").click()

            expect(page).to_have_url(f"{base}/ads/mx-pas")
            docs = page.locator('#ad-text mark[data-indicators~="DOCS_HANDLED"]')
            expect(docs).to_have_text("guardamos tu pasaporte")
            expect(docs).to_be_visible()
            travel = page.locator('#ad-text mark[data-indicators~="TRAVEL_PAID"]')
            colours = {mark.evaluate("e => getComputedStyle(e).backgroundColor")
                       for mark in (docs, travel)}
            assert len(colours) == 2  # each indicator in its own colour
            expect(page.locator("#ad-text")).not_to_contain_text("5550")  # masked
            shot = tmp_path / "ad-page.png"
            page.screenshot(path=str(shot), full_page=True)

            page.locator("body").press("c")
            expect(page).to_have_url(f"{base}/ads/br-taxa?notice=decided")
            expect(page.get_by_text("Decision saved")).to_be_visible()
            assert not errors, errors
        finally:
            browser.close()

    with Image.open(shot) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
        assert image.width >= 1000 and image.height >= 800
    assert colours is not None and len(colours) > 50  # not a blank page
    with open_store(db_url) as store, store.begin() as session:
        (decision,) = load_review(session, "mx-pas").decisions
    assert (decision.reviewer, decision.decision) == ("ana", "confirm")


def test_unmask_with_a_reason_and_open_the_model_card(server: tuple[str, str],
                                                      tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    from annotation.store import list_audit
    from evaluation.model_card import save_model_card
    from evaluation.report import run_evaluation
    from evaluation.keywords import build_keyword_detector
    from tests.review_data import MODEL

    files = run_evaluation("plain.keywords.v1", split="test", out_dir=tmp_path / "out",
                           real_ads_dir=None, detectors=[(build_keyword_detector(), "model")])
    [result] = files.report["detectors"].values()
    result["model"] = MODEL.model_dump()  # as if the queue's model had been evaluated
    save_model_card(files.report, tmp_path / "home" / "model-cards")
    base, db_url = server
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.set_default_timeout(10_000)
            page.goto(f"{base}/login?next=%2Fads%2Fmx-pas")
            page.get_by_label("User name").fill("ana")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page).to_have_url(f"{base}/ads/mx-pas")
            expect(page.locator("#ad-text")).not_to_contain_text("5550")
            page.get_by_label("Why you need the contact details").fill("case 12")
            page.get_by_role("button", name="Show them (audited, with the reason)").click()
            expect(page.locator("#ad-text")).to_contain_text("+52 55 5550 0123")

            page.get_by_role("link", name="model card").click()
            expect(page).to_have_url(f"{base}/models/{MODEL.sha256}/card")
            expect(page.get_by_role("heading", name="Out of scope and refused uses")) \
                .to_be_visible()
            expect(page.get_by_text(MODEL.sha256)).to_be_visible()
        finally:
            browser.close()
    with open_store(db_url) as store, store.begin() as session:
        [entry] = list_audit(session, action="contact.unmask")
    assert entry.after["reason"] == "case 12" and entry.after["via"] == "web"
