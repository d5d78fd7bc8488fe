"""`centinela users`, `queue`, `export decisions` and `serve` as a user types them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotation.queue import load_review
from annotation.store import list_audit, open_store
from pipelines.cli import app
from tests.review_data import SAMPLE, store_scored

PASSWORD = "correct horse battery"


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
           fast_passwords: None) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'centinela.db'}"
    monkeypatch.setenv("CENTINELA_DB", url)
    with open_store(url) as store:
        store_scored(store)
    yield url


def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args), input=input)


def add(name: str, role: str):  # type: ignore[no-untyped-def]
    return run("users", "add", name, "--role", role, "--password-stdin", input=PASSWORD + "\n")


def test_users_are_made_and_changed_from_the_command_line(db_url: str) -> None:
    assert "No user yet" in run("users", "list").output
    result = add("root", "admin")
    assert result.exit_code == 0 and "Added root (admin)" in result.output
    prompted = run("users", "add", "ana", "--role", "analyst",
                   input=f"{PASSWORD}\n{PASSWORD}\n")
    assert prompted.exit_code == 0, prompted.output
    assert run("users", "set-role", "ana", "investigator").exit_code == 0
    assert run("users", "disable", "ana").exit_code == 0
    assert run("users", "passwd", "ana", "--password-stdin",
               input="another long password\n").exit_code == 0
    listing = run("users", "list").output
    assert "investigator" in listing and "disabled" in listing
    assert run("users", "enable", "ana").exit_code == 0
    for args, message in [(("users", "add", "root", "--role", "admin"), "already exists"),
                          (("users", "set-role", "ana", "king"), "role must be one of"),
                          (("users", "disable", "nobody"), "no user named")]:
        result = run(*args, "--password-stdin", input=PASSWORD + "\n") \
            if args[1] == "add" else run(*args)
        assert result.exit_code == 1 and message in result.output
    short = run("users", "add", "bea", "--role", "trainer", "--password-stdin", input="abc\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    with open_store(db_url) as store, store.begin() as session:
        assert list_audit(session, action="user.add")[0].actor.startswith("cli")


def test_the_queue_from_the_command_line(db_url: str) -> None:
    add("ana", "investigator")
    add("olga", "analyst")
    listing = run("queue", "list", "--lang", "es")
    assert listing.exit_code == 0 and "mx-pas" in listing.output and "br-taxa" not in listing.output
    assert run("queue", "list", "--risk", "extreme").exit_code == 2
    shown = run("queue", "show", "mx-pas")
    assert "guardamos tu pasaporte" in shown.output and "5550" not in shown.output
    refused = run("queue", "claim", "--user", "olga")
    assert refused.exit_code == 1 and "analyst role may not queue.decide" in refused.output
    claimed = run("queue", "claim", "--user", "ana")
    assert claimed.exit_code == 0 and "Claimed mx-pas" in claimed.output
    start = SAMPLE[0].text.index("Canadá")
    decided = run("queue", "decide", "mx-pas", "--user", "ana", "--decision", "confirm",
                  "--remove", "CONTACT_INFORMAL", "--add", "ABROAD_VAGUE",
                  "--span", f"ABROAD_VAGUE:{start}-{start + 6}", "--note", "ver")
    assert decided.exit_code == 0, decided.output
    with open_store(db_url) as store, store.begin() as session:
        (decision,) = load_review(session, "mx-pas").decisions
    assert decision.indicators == ["TRAVEL_PAID", "ABROAD_VAGUE", "DOCS_HANDLED"]
    assert decision.evidence["ABROAD_VAGUE"][0].text == "Canadá"
    bad = run("queue", "decide", "co-viaje", "--user", "ana", "--decision", "confirm",
              "--span", "TRAVEL_PAID:3-x")
    assert bad.exit_code == 1 and "is not a span" in bad.output
    unmasked = run("queue", "show", "mx-pas", "--unmask", "--user", "ana", "--reason", "case 3")
    assert "5550 0123" in unmasked.output


def test_decisions_export_pseudonymised_by_default(db_url: str, tmp_path: Path) -> None:
    add("ana", "investigator")
    add("root", "admin")
    run("queue", "decide", "mx-pas", "--user", "ana", "--decision", "escalate",
        "--note", "Llamar al +52 55 5550 0123")
    run("queue", "decide", "mx-pas", "--user", "ana", "--decision", "confirm")
    run("queue", "decide", "br-taxa", "--user", "ana", "--decision", "dismiss")
    result = run("export", "decisions")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [(r["ad_id"], r["decision"]) for r in records] == [("br-taxa", "dismiss"),
                                                               ("mx-pas", "confirm")]
    mx = records[1]
    assert mx["evidence"]["DOCS_HANDLED"][0]["text"] == "guardamos tu pasaporte"
    assert mx["evidence"]["CONTACT_INFORMAL"][0]["text"].startswith("WhatsApp [phone:")
    assert "5550" not in result.stdout
    history = run("export", "decisions", "--history", "-o", str(tmp_path / "all.jsonl"))
    assert history.exit_code == 0
    lines = (tmp_path / "all.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and "Llamar al [phone:" in lines[1]
    refused = run("export", "decisions", "--raw-contacts", "--user", "ana")
    assert refused.exit_code == 1 and "may not decisions.export_raw" in refused.output
    raw = run("export", "decisions", "--raw-contacts", "--user", "root")
    assert "+52 55 5550 0123" in raw.stdout
    with open_store(db_url) as store, store.begin() as session:
        exports = list_audit(session, action="decisions.export")
    assert [e.after["raw_contacts"] for e in exports] == [True, False, False]
    assert exports[0].actor == "root"


@pytest.mark.slow
def test_decisions_export_as_a_dataset(db_url: str, tmp_path: Path) -> None:
    from datasets import load_from_disk

    add("ana", "investigator")
    run("queue", "decide", "mx-pas", "--user", "ana", "--decision", "confirm")
    result = run("export", "decisions", "--format", "datasets", "-o", str(tmp_path / "ds"))
    assert result.exit_code == 0, result.output
    dataset = load_from_disk(str(tmp_path / "ds"))
    assert dataset[0]["ad_id"] == "mx-pas"
    assert {span["indicator"] for span in dataset[0]["spans"]} == {
        "DOCS_HANDLED", "TRAVEL_PAID", "CONTACT_INFORMAL"}


def test_serve_refuses_a_remote_address_without_allow_remote(db_url: str) -> None:
    result = run("serve", "--host", "0.0.0.0", "--port", "0")
    assert result.exit_code == 2 and "--allow-remote" in result.output


def test_the_queue_benchmark_runs(tmp_path: Path) -> None:
    result = run("bench", "--queue", "-n", "300", "--repeats", "5")
    assert result.exit_code == 0, result.output
    for operation in ("queue page: open, top", "claim_next: indicator filter"):
        assert operation in result.output
