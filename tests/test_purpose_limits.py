"""Purpose limits built into the product: seeing or looking up a contact needs a role that
may unmask and a stated reason (both audited); the CLI refuses others; exports with
contacts need an admin and are audited; no search by a person's name; risk is a hint."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotation.accounts import PermissionDenied, add_user
from annotation.masking import UnmaskError, lookup_contact, unmask_contacts
from annotation.queue import QueueFilters
from annotation.store import list_audit, open_store
from pipelines.cli import app
from tests.privacy_data import KEY, PHONE, fill_store

PASSWORD = "correct horse battery"


@pytest.fixture
def people(store, fast_passwords):  # type: ignore[no-untyped-def]
    fill_store(store)
    with store.begin() as session:
        for name, role in (("root", "admin"), ("ana", "investigator"), ("olga", "analyst"),
                           ("tito", "trainer")):
            add_user(session, name, role, PASSWORD, actor="test")
    return store


def test_unmask_and_lookup_need_the_right_role_and_a_reason(people) -> None:
    with people.begin() as session:
        for name in ("olga", "tito", "nobody"):
            with pytest.raises(PermissionDenied):
                unmask_contacts(session, "co-erase", user=name, reason="case", via="cli")
            with pytest.raises(PermissionDenied):
                lookup_contact(session, PHONE, user=name, reason="case", key=KEY)
        with pytest.raises(UnmaskError, match="state why"):
            unmask_contacts(session, "co-erase", user="ana", reason=" ", via="cli")
        with pytest.raises(UnmaskError, match="state why"):
            lookup_contact(session, PHONE, user="ana", reason="", key=KEY)
        with pytest.raises(UnmaskError, match="not a phone"):
            lookup_contact(session, "María Gómez", user="ana", reason="case", key=KEY)
        assert list_audit(session, action="contact.") == []  # refusals change nothing

        ad = unmask_contacts(session, "co-erase", user="ana", reason="case 12", via="cli")
        assert PHONE in ad.text
        assert lookup_contact(session, PHONE, user="ana", reason="access request 4",
                              key=KEY, country="CO") == ["co-erase", "co-shared"]
        lookup, unmask = list_audit(session, action="contact.")
    assert (unmask.actor, unmask.target, unmask.after) == (
        "ana", "ad:co-erase", {"reason": "case 12", "contacts": 1, "via": "cli"})
    assert lookup.action == "contact.lookup" and lookup.after == {
        "reason": "access request 4", "ads": 2}
    assert lookup.target.startswith("contact:phone:") and "0142" not in str(lookup)


def test_the_cli_refuses_unmasking_and_lookups_without_rights_or_reason(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fast_passwords) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    monkeypatch.setenv("CENTINELA_SECRET", KEY.decode())
    with open_store(url) as store:
        fill_store(store)
        with store.begin() as session:
            add_user(session, "ana", "investigator", PASSWORD, actor="test")
            add_user(session, "olga", "analyst", PASSWORD, actor="test")
    runner = CliRunner()

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, [*args, "--db", url])

    refused = run("queue", "show", "co-erase", "--unmask", "--user", "olga", "--reason", "x")
    assert refused.exit_code == 1 and "may not contacts.unmask" in refused.output
    assert "0142" not in refused.output
    no_reason = run("queue", "show", "co-erase", "--unmask", "--user", "ana")
    assert no_reason.exit_code == 1 and "state why" in no_reason.output
    shown = run("queue", "show", "co-erase", "--unmask", "--user", "ana", "--reason", "case 9")
    assert shown.exit_code == 0 and "555 0142" in shown.output
    masked = run("queue", "show", "co-erase")
    assert "0142" not in masked.output and "[phone" in masked.output
    refused = run("queue", "contact", PHONE, "--user", "olga", "--reason", "x")
    assert refused.exit_code == 1 and "may not contacts.unmask" in refused.output
    found = run("queue", "contact", PHONE, "--user", "ana", "--reason", "access 4")
    assert found.exit_code == 0 and found.output.split()[-2:] == ["co-erase", "co-shared"]
    with open_store(url) as store, store.begin() as session:
        assert [e.action for e in list_audit(session, action="contact.")] == [
            "contact.lookup", "contact.unmask"]


def test_exports_with_contacts_need_an_admin_and_are_audited(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fast_passwords) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    monkeypatch.setenv("CENTINELA_SECRET", KEY.decode())
    with open_store(url) as store:
        fill_store(store)
        with store.begin() as session:
            add_user(session, "ana", "investigator", PASSWORD, actor="test")
            add_user(session, "root", "admin", PASSWORD, actor="test")
    runner = CliRunner()
    default = runner.invoke(app, ["export", "decisions", "--db", url])
    assert default.exit_code == 0 and "0142" not in default.stdout and "[phone:" in default.stdout
    refused = runner.invoke(app, ["export", "decisions", "--with-contacts", "--user", "ana",
                                  "--db", url])
    assert refused.exit_code == 1 and "0142" not in refused.stdout
    raw = runner.invoke(app, ["export", "decisions", "--with-contacts", "--user", "root",
                              "--db", url])
    assert raw.exit_code == 0 and PHONE in raw.stdout
    with open_store(url) as store, store.begin() as session:
        latest = list_audit(session, action="decisions.export")[0]
    assert (latest.actor, latest.after["raw_contacts"]) == ("root", True)


def test_there_is_no_search_by_name(people) -> None:
    """The queue filters by language, risk hint, indicator, source, country, date and
    state; no page, filter or command takes free text to search ads or people by."""
    from annotation.web.app import create_app

    assert set(QueueFilters.__dataclass_fields__) == {
        "lang", "risk", "indicator", "source", "country", "date_from", "date_to", "state"}
    web = create_app(people, "s" * 32)
    searching = {"q", "query", "search", "text", "name", "person", "contact", "phone"}
    for route in web.routes:
        params = {p.name for p in getattr(getattr(route, "dependant", None), "query_params", [])}
        assert not params & searching, (route.path, params)
    commands = {c.name for c in app.registered_commands} | {
        f"{g.name} {c.name}" for g in app.registered_groups for c in g.typer_instance.registered_commands}
    assert not any("search" in (name or "") for name in commands)
