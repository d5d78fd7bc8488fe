"""The review web app through an in-process HTTP client: sessions, roles, CSRF, escaping,
the sign-in limit, security headers, decisions, masking, admin pages."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from annotation.accounts import add_user
from annotation.logins import MAX_FAILURES
from annotation.queue import load_review
from annotation.store import Store, list_audit, open_store
from annotation.store.tables import ReviewDecisionRow
from annotation.web.app import create_app
from tests.review_data import SAMPLE, store_scored

PASSWORD = "correct horse battery"
SECRET = "test-secret-" + "x" * 20
PAGES = ["/queue", "/ads/mx-pas", "/scans", "/admin/users", "/admin/audit"]
FORMS = ["/queue/next", "/ads/mx-pas/decision", "/ads/mx-pas/contacts", "/admin/users",
         "/admin/users/ana/role", "/logout"]


@pytest.fixture
def web_store(fast_passwords: None) -> Iterator[Store]:
    with open_store("sqlite://") as store:
        store_scored(store)
        with store.begin() as session:
            for name, role in (("root", "admin"), ("ana", "investigator"),
                               ("olga", "analyst"), ("tito", "trainer")):
                add_user(session, name, role, PASSWORD, actor="test")
        yield store


@pytest.fixture
def app(web_store: Store):
    return create_app(web_store, SECRET)


def sign_in(app, name: str, password: str = PASSWORD) -> TestClient:
    client = TestClient(app)
    response = post_login(client, name, password)
    assert response.status_code == 303, response.text
    return client


def post_login(client: TestClient, name: str, password: str, next_path: str = "/queue"):
    page = client.get(f"/login?next={next_path}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    return client.post("/login", data={"name": name, "password": password,
                                       "csrf_token": token, "next": next_path},
                       follow_redirects=False)


def csrf(client: TestClient, page: str = "/queue") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)[1]


def count_decisions(store: Store) -> int:
    with store.begin() as session:
        return session.scalar(select(func.count()).select_from(ReviewDecisionRow))


# --- sessions, roles, CSRF ---------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES)
def test_every_page_needs_a_session(app, path: str) -> None:
    response = TestClient(app).get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=%2F")


@pytest.mark.parametrize("path", FORMS)
def test_every_form_needs_a_session(app, path: str) -> None:
    response = TestClient(app).post(path, data={"csrf_token": "x"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_a_stolen_or_made_up_cookie_opens_nothing(app) -> None:
    client = TestClient(app, cookies={"centinela_session": "made-up"})
    assert client.get("/queue", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(("user", "method", "path"), [
    ("tito", "get", "/scans"),
    ("olga", "get", "/admin/users"),
    ("ana", "get", "/admin/audit"),
    ("ana", "post", "/admin/users"),
    ("olga", "post", "/queue/next"),
    ("tito", "post", "/ads/mx-pas/decision"),
    ("olga", "post", "/ads/mx-pas/contacts"),
])
def test_the_wrong_role_gets_403(app, user: str, method: str, path: str) -> None:
    client = sign_in(app, user)
    if method == "get":
        response = client.get(path)
    else:
        response = client.post(path, data={"csrf_token": csrf(client), "decision": "confirm",
                                           "name": "x", "role": "admin"})
    assert response.status_code == 403
    assert "may not do this" in response.text


def test_read_only_roles_see_ads_without_a_decision_form(app) -> None:
    page = sign_in(app, "olga").get("/ads/mx-pas")
    assert page.status_code == 200 and "guardamos tu pasaporte" in page.text
    assert 'id="decision-form"' not in page.text and "Show them" not in page.text


@pytest.mark.parametrize("path", FORMS)
@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_a_missing_or_wrong_csrf_token_gets_403(app, web_store, path: str,
                                                token: str | None) -> None:
    client = sign_in(app, "root")
    data = {"decision": "confirm", "name": "newbie", "role": "admin", "password": PASSWORD,
            "password_again": PASSWORD}
    if token:
        data["csrf_token"] = token
    response = client.post(path, data=data, follow_redirects=False)
    assert response.status_code == 403 and "expired" in response.text
    assert count_decisions(web_store) == 0
    assert client.get("/queue", follow_redirects=False).status_code == 200  # still signed in


def test_the_sign_in_form_needs_its_own_token(app) -> None:
    client = TestClient(app)
    response = client.post("/login", data={"name": "ana", "password": PASSWORD,
                                           "csrf_token": "guess"}, follow_redirects=False)
    assert response.status_code == 403


def test_sign_in_goes_back_where_asked_but_only_on_this_site(app) -> None:
    client = TestClient(app)
    assert post_login(client, "ana", PASSWORD, "/ads/mx-pas").headers["location"] == \
        "/ads/mx-pas"
    for elsewhere in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        assert post_login(TestClient(app), "ana", PASSWORD, elsewhere).headers["location"] \
            == "/queue"


def test_signing_out_ends_the_session(app) -> None:
    client = sign_in(app, "ana")
    cookie = client.cookies["centinela_session"]
    response = client.post("/logout", data={"csrf_token": csrf(client)},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    replay = TestClient(app, cookies={"centinela_session": cookie})
    assert replay.get("/queue", follow_redirects=False).status_code == 303


# --- the sign-in limit ---------------------------------------------------------------------

def test_sign_in_is_refused_after_repeated_failures(app, web_store) -> None:
    client = TestClient(app)
    for _ in range(MAX_FAILURES):
        assert post_login(client, "ana", "wrong password!").status_code == 401
    response = post_login(client, "ana", PASSWORD)  # even the right password now
    assert response.status_code == 429 and "try again in 15 minute" in response.text
    # From the same address, another name is refused too.
    assert post_login(client, "root", PASSWORD).status_code == 429


def test_unknown_names_and_disabled_accounts_fail_like_wrong_passwords(app, web_store) -> None:
    from annotation.accounts import set_active

    with web_store.begin() as session:
        set_active(session, "tito", False, actor="test")
    for name in ("nobody", "tito"):
        response = post_login(TestClient(app), name, PASSWORD)
        assert response.status_code == 401 and "Wrong user name or password" in response.text


# --- what pages show ---------------------------------------------------------------------

def test_script_in_an_ad_comes_out_as_text(app) -> None:
    client = sign_in(app, "ana")
    for page in (client.get("/ads/mx-script"), client.get("/queue")):
        assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in page.text
        assert "<script>alert" not in page.text


def test_security_headers_and_cookie_flags(app) -> None:
    client = TestClient(app)
    page = client.get("/login")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    response = post_login(client, "ana", PASSWORD)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain HTTP here; set over HTTPS


def test_the_ad_page_shows_evidence_hints_and_the_model(app) -> None:
    page = sign_in(app, "ana").get("/ads/mx-pas")
    assert page.status_code == 200
    marks = re.findall(r'<mark class="hl (hl-\d+)[^"]*" data-indicators="([A-Z_ ]+)"[^>]*>'
                       r'([^<]*)</mark>', page.text)
    assert ("DOCS_HANDLED", "guardamos tu pasaporte") in {(ind, text)
                                                          for _, ind, text in marks}
    classes = {ind: cls for cls, ind, _ in marks}
    assert classes["DOCS_HANDLED"] != classes["TRAVEL_PAID"]  # a colour per indicator
    for expected in ("withholding of documents", "confiscation of documents",
                     "MethodsOfControl=WithholdsDocuments", "indicators.rules.v1",
                     "fake.pasaporte", "https://empleos.example.com/ofertas/mx-pas",
                     "high risk hint"):
        assert expected in page.text
    assert 'href="https://empleos.example.com' not in page.text  # the URL is text only


def test_contacts_are_masked_until_an_audited_unmask(app, web_store) -> None:
    client = sign_in(app, "ana")
    page = client.get("/ads/mx-pas")
    assert "5550 0123" not in page.text and "[phone hidden]" in page.text
    refused = client.post("/ads/mx-pas/contacts", data={"csrf_token": csrf(client),
                                                        "reason": "  "})
    assert refused.status_code == 400 and "state why" in refused.text
    assert "5550 0123" not in refused.text
    shown = client.post("/ads/mx-pas/contacts", data={"csrf_token": csrf(client),
                                                      "reason": "case 12"})
    assert shown.status_code == 200 and "+52 55 5550 0123" in shown.text
    with web_store.begin() as session:
        (entry,) = list_audit(session, action="contact.unmask")
    assert (entry.actor, entry.target) == ("ana", "ad:mx-pas")
    assert entry.after == {"reason": "case 12", "contacts": 1, "via": "web"}
    audit = sign_in(app, "root").get("/admin/audit?action=contact.unmask")
    assert '<td class="reason">case 12</td>' in audit.text


def test_the_queue_page_filters_counts_and_pages(app) -> None:
    client = sign_in(app, "olga")
    page = client.get("/queue?lang=pt")
    assert "br-taxa" in page.text and "mx-pas" not in page.text
    assert re.search(r"To review <span class=\"count\">1</span>", page.text)
    assert client.get("/queue?date_from=yesterday").status_code == 400


# --- deciding ------------------------------------------------------------------------------

def test_a_decision_is_stored_and_the_next_ad_follows(app, web_store) -> None:
    client = sign_in(app, "ana")
    token = csrf(client)
    claimed = client.post("/queue/next", data={"csrf_token": token, "lang": "es"},
                          follow_redirects=False)
    assert claimed.headers["location"] == "/ads/mx-pas?lang=es"
    start = SAMPLE[0].text.index("guardamos")
    response = client.post("/ads/mx-pas/decision", data={
        "csrf_token": token, "decision": "confirm", "keep": ["DOCS_HANDLED", "SECRECY"],
        "spans-DOCS_HANDLED": f"{start}-{start + 22}", "spans-SECRECY": "",
        "spans-TRAVEL_PAID": "1-2",
        "set_risk": "high", "note": "Retiene pasaportes.", "lang": "es"},
        follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/ads/co-viaje?lang=es&notice=decided"
    with web_store.begin() as session:
        (decision,) = load_review(session, "mx-pas").decisions
    assert (decision.reviewer, decision.decision, decision.risk) == ("ana", "confirm", "high")
    assert decision.indicators == ["DOCS_HANDLED", "SECRECY"]
    assert decision.evidence["DOCS_HANDLED"][0].text == "guardamos tu pasaporte"
    assert "SECRECY" not in decision.evidence


def test_a_bad_span_is_refused_with_the_form_kept(app, web_store) -> None:
    client = sign_in(app, "ana")
    response = client.post("/ads/co-viaje/decision", data={
        "csrf_token": csrf(client), "decision": "dismiss", "keep": ["TRAVEL_PAID"],
        "spans-TRAVEL_PAID": "40-9000", "note": "mi nota"})
    assert response.status_code == 400 and "not inside the ad&#39;s text" in response.text
    assert "mi nota" in response.text and 'value="40-9000"' in response.text
    assert count_decisions(web_store) == 0


def test_an_ad_someone_else_holds_cannot_be_decided(app, web_store) -> None:
    root = sign_in(app, "root")
    root.post("/queue/next", data={"csrf_token": csrf(root)})
    ana = sign_in(app, "ana")
    page = ana.get("/ads/mx-pas")
    assert "being reviewed by root" in page.text
    response = ana.post("/ads/mx-pas/decision", data={"csrf_token": csrf(ana),
                                                      "decision": "dismiss"})
    assert response.status_code == 409 and count_decisions(web_store) == 0


# --- admin ---------------------------------------------------------------------------------

def test_admins_manage_users_and_read_the_audit_log(app, web_store) -> None:
    root = sign_in(app, "root")
    token = csrf(root, "/admin/users")
    added = root.post("/admin/users", data={
        "csrf_token": token, "name": "nina", "role": "trainer", "password": PASSWORD,
        "password_again": PASSWORD}, follow_redirects=False)
    assert added.status_code == 303
    nina = sign_in(app, "nina")
    assert root.post("/admin/users/nina/role", data={"csrf_token": token,
                                                     "role": "analyst"}).status_code == 200
    assert nina.get("/scans").status_code == 200  # the new role applies at once
    root.post("/admin/users/nina/active", data={"csrf_token": token, "active": "no"})
    assert nina.get("/queue", follow_redirects=False).status_code == 303
    refused = root.post("/admin/users/root/role", data={"csrf_token": token,
                                                        "role": "analyst"})
    assert refused.status_code == 400 and "last active admin" in refused.text
    audit = root.get("/admin/audit?action=user.")
    for action in ("user.add", "user.set_role", "user.disable"):
        assert action in audit.text
    assert "argon2" not in audit.text


def test_importing_the_web_app_loads_no_model_code() -> None:
    code = ("import sys; from annotation.web.app import create_app; "
            "from annotation.store import open_store; "
            "create_app(open_store('sqlite://'), 'x' * 32); "
            "heavy = [m for m in ('torch', 'sklearn', 'prefect', 'spacy', 'transformers', "
            "'models') if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
