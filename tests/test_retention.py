"""Retention (annotation/retention.py, `centinela purge`, the `purge` flow) on an injected
clock: each state's text goes on the right day and nothing else does; contacts can go
sooner; what a purge keeps; one audit row with counts per purge."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from annotation.intake import store_batch
from annotation.linking import prepare_ads
from annotation.queue import decide, load_review
from annotation.retention import CaseError, RetentionPolicy, close_case, purge
from annotation.store import Store, list_audit, open_store, start_scan
from annotation.store.redaction import FILL
from annotation.store.tables import AdEntityRow, AdLinkRow, AdRow, HitRow, ScanRow
from corpora.records import Ad, Assessment, IndicatorHit, ReviewDecision, utc_now
from pipelines.cli import app
from tests.privacy_data import KEY, MODEL, OTHER_TEXT, SHARED_TEXT, fill_store, table_dump

POLICY = RetentionPolicy()  # 30 days unflagged, 180 dismissed, 365 after closing
OPEN_TEXT = ("Trabajo en crucero por Europa, la agencia paga el pasaje y lo descuentas del "
             "sueldo. Cupos hoy. Contacto 601 555 0177.")
CONFIRMED_TEXT = ("Buscamos chicas jóvenes para bares en el exterior, nosotros tramitamos "
                  "los papeles y te prestamos para el viaje. WhatsApp 601 555 0188.")


def _flagged(ad_id: str, text: str, score: float) -> tuple[Ad, Assessment]:
    ad = Ad(id=ad_id, text=text, lang="es", country="CO", source="empleos-rss")
    hit = IndicatorHit(id="FEE_OR_DEBT", score=0.8, strength="strong",
                       detector="indicators.rules.v1", evidence=[])
    return ad, Assessment(ad_id=ad_id, lang="es", risk="high", score=score, hits=[hit],
                          model=MODEL)


def fill_states(store: Store, start: datetime) -> None:
    """co-other never flagged, co-shared dismissed (and co-repost, its exact re-post),
    co-erase escalated, co-confirmed confirmed, co-open waiting: all at `start`."""
    fill_store(store, when=start)
    pairs = [_flagged("co-open", OPEN_TEXT, 0.8), _flagged("co-confirmed", CONFIRMED_TEXT, 0.9),
             (Ad(id="co-repost", text=SHARED_TEXT, lang="es", country="CO", source="otro"),
              Assessment(ad_id="co-repost", lang="es", risk="medium", score=0.55, model=MODEL))]
    ads = [ad for ad, _ in pairs]
    with store.begin() as session:
        scan_id = start_scan(session, "empleos-rss", MODEL)
    store_batch(store, scan_id, ads, [a for _, a in pairs], prepare_ads(ads, KEY))
    with store.begin() as session:
        session.execute(update(ScanRow).values(started_at=start))
        decide(session, ReviewDecision(ad_id="co-confirmed", reviewer="ana", decision="confirm",
                                       created_at=start))


def redacted(store: Store) -> dict[str, str]:
    with store.begin() as session:
        return dict(session.execute(select(AdRow.id, AdRow.redaction)
                                    .where(AdRow.redaction.is_not(None))).all())


def test_each_state_is_purged_on_its_day_and_nothing_else(store: Store) -> None:
    start = datetime(2026, 1, 10, 9, 0, tzinfo=utc_now().tzinfo)
    fill_states(store, start)
    with store.begin() as session:
        assert load_review(session, "co-repost").item is None  # a re-post is not queued
        minhashes = dict(session.execute(select(AdLinkRow.ad_id, AdLinkRow.minhash)).all())
        pseudonyms = sorted(session.scalars(select(AdEntityRow.pseudonym)
                                            .where(AdEntityRow.pseudonym.is_not(None))))

    def purge_at(days: float, dry_run: bool = False) -> dict[str, int]:
        with store.begin() as session:
            return purge(session, POLICY, actor="scheduler", now=start + timedelta(days=days),
                         dry_run=dry_run).as_dict()

    assert purge_at(29.9)["text_unflagged"] == 0 and redacted(store) == {}
    dry = purge_at(30.1, dry_run=True)
    assert (dry["text_unflagged"], dry["rows_ads"]) == (1, 0) and redacted(store) == {}
    assert purge_at(30.1)["text_unflagged"] == 1
    assert redacted(store) == {"co-other": "retention"}
    with store.begin() as session:
        close_case(session, "co-confirmed", actor="admin", now=start + timedelta(days=10))
    counts = purge_at(179.9)
    assert counts["text_dismissed"] == 0 and counts["rows_ads"] == 0
    assert purge_at(180.1)["text_dismissed"] == 2  # co-shared and its re-post
    assert redacted(store) == {"co-other": "retention", "co-shared": "retention",
                               "co-repost": "retention"}
    assert purge_at(374.9)["text_closed"] == 0
    counts = purge_at(375.1)
    assert counts["text_closed"] == 1 and counts["kept_case_not_closed"] == 1
    assert counts["kept_open"] == 1
    assert redacted(store) == {"co-other": "retention", "co-shared": "retention",
                               "co-repost": "retention", "co-confirmed": "retention"}
    # Never purged: the escalated case nobody closed, and the ad waiting for a decision.
    assert purge_at(5000)["rows_ads"] == 0
    assert set(redacted(store)) == {"co-other", "co-shared", "co-repost", "co-confirmed"}

    with store.begin() as session:
        other = load_review(session, "co-other")
        assert other.ad.text == FILL * len(OTHER_TEXT) and other.ad.url is None
        assert other.assessment.score == 0.05  # scores, ids and indicators stay
        assert load_review(session, "co-shared").decisions[0].decision == "dismiss"
        assert load_review(session, "co-open").ad.text == OPEN_TEXT
        assert dict(session.execute(select(AdLinkRow.ad_id, AdLinkRow.minhash)).all()) \
            == minhashes
        assert sorted(session.scalars(select(AdEntityRow.pseudonym).where(
            AdEntityRow.pseudonym.is_not(None)))) == pseudonyms
        assert {h.indicator_id for h in session.scalars(select(HitRow))} >= {"DOCS_HANDLED"}
        entries = list_audit(session, action="data.purge")
    assert [e.after["rows_ads"] for e in reversed(entries)] == [1, 2, 1]
    assert all(e.actor == "scheduler" and e.target is None for e in entries)
    dump = table_dump(store)
    assert "Panadería" not in dump and "cruceros del Caribe" not in dump
    assert "Trabajo en crucero" in dump and "tramitamos" not in dump


def test_contacts_can_go_before_the_text(store: Store) -> None:
    start = datetime(2026, 1, 10, 9, 0, tzinfo=utc_now().tzinfo)
    fill_states(store, start)
    policy = RetentionPolicy(contact_days=7)
    with store.begin() as session:
        assert purge(session, policy, actor="x", now=start + timedelta(days=6.9)).rows.ads == 0
        done = purge(session, policy, actor="x", now=start + timedelta(days=7.1))
    assert done.plan.contacts["unflagged"] == ["co-other"]
    assert sorted(done.plan.contacts["dismissed"]) == ["co-repost", "co-shared"]
    with store.begin() as session:
        text = load_review(session, "co-other").ad.text
    assert "601 555 0199" not in text and text.startswith("Panadería del barrio")
    assert redacted(store)["co-other"] == "contacts"
    with store.begin() as session:
        later = purge(session, policy, actor="x", now=start + timedelta(days=30.1))
    assert later.plan.text["unflagged"] == ["co-other"]
    assert redacted(store)["co-other"] == "retention"


def test_only_a_confirmed_or_escalated_case_is_closed_once(store: Store) -> None:
    fill_states(store, utc_now())
    with store.begin() as session:
        with pytest.raises(CaseError, match="only a confirmed or escalated"):
            close_case(session, "co-shared", actor="admin")
        with pytest.raises(CaseError, match="not in the review queue"):
            close_case(session, "co-other", actor="admin")
        close_case(session, "co-erase", actor="admin")
        with pytest.raises(CaseError, match="was closed"):
            close_case(session, "co-erase", actor="admin")
        [entry] = list_audit(session, action="case.close")
    assert (entry.actor, entry.target) == ("admin", "ad:co-erase")


def test_policy_is_read_from_the_settings_file_and_checked(tmp_path: Path) -> None:
    from pipelines.settings import Settings, SettingsError

    home = tmp_path / "home"
    home.mkdir()
    assert Settings.from_env({"CENTINELA_HOME": str(home)}).retention == RetentionPolicy()
    (home / "centinela.toml").write_text("[retention]\nunflagged_days = 7\ncontact_days = 3\n")
    policy = Settings.from_env({"CENTINELA_HOME": str(home)}).retention
    assert (policy.unflagged_days, policy.dismissed_days, policy.contact_days) == (7, 180, 3)
    other = tmp_path / "other.toml"
    other.write_text("[retention]\nunflaged_days = 7\n")
    with pytest.raises(SettingsError, match="other.toml.*unflaged_days"):
        _ = Settings.from_env({"CENTINELA_HOME": str(home),
                               "CENTINELA_CONFIG": str(other)}).retention


def test_cli_purge_dry_run_then_purge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    home = tmp_path / "home"
    home.mkdir()
    (home / "centinela.toml").write_text("[retention]\nunflagged_days = 2\n")
    monkeypatch.setenv("CENTINELA_HOME", str(home))
    with open_store(url) as store:
        fill_states(store, utc_now() - timedelta(days=3))
    runner = CliRunner()
    dry = runner.invoke(app, ["purge", "--dry-run", "--db", url])
    assert dry.exit_code == 0, dry.output
    assert "Would redact the text of 1 ad(s)" in dry.output and "never flagged 1" in dry.output
    done = runner.invoke(app, ["purge", "--db", url])
    assert done.exit_code == 0, done.output
    assert "Redacted the text of 1 ad(s)" in done.output
    with open_store(url) as store:
        assert redacted(store) == {"co-other": "retention"}
        with store.begin() as session:
            [entry] = list_audit(session, action="data.purge")
    assert entry.actor.startswith("cli") and entry.after["text_unflagged"] == 1


def test_the_purge_flow_runs_daily_under_schedule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  prefect_harness) -> None:
    from pydantic import SecretStr

    from pipelines.flows.purge import purge_flow
    from pipelines.schedules import purge_deployment

    deployment = purge_deployment(RetentionPolicy().schedule)
    assert (deployment.name, deployment.schedules[0].schedule.cron) == ("purge", "30 3 * * *")
    url = f"sqlite:///{tmp_path / 'c.db'}"
    home = tmp_path / "home"
    home.mkdir()
    (home / "centinela.toml").write_text("[retention]\nunflagged_days = 2\n")
    monkeypatch.setenv("CENTINELA_HOME", str(home))
    with open_store(url) as store:
        fill_states(store, utc_now() - timedelta(days=3))
    done = purge_flow(db_url=SecretStr(url))
    assert done.plan.text["unflagged"] == ["co-other"] and done.rows.ads == 1
    with open_store(url) as store:
        assert redacted(store) == {"co-other": "retention"}
