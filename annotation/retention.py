"""The retention policy: how long an ad's text and contact details are kept, by the ad's
state, and the purge that applies it (`centinela purge`, the daily `purge` flow).

An ad's state, and the moment its clock starts:

- `unflagged`: never flagged (not in the review queue, no medium or high assessment);
  from when it was stored (its first scan; else its fetch time; else its first
  assessment).
- `dismissed`: its latest decision dismisses it; from that decision.
- `closed`: confirmed or escalated, and an admin closed the case (`close_case`); from
  the closing. A confirmed or escalated case that is not closed is kept.
- `open`: flagged and waiting for a person's decision: kept.

A re-post is not queued itself: it follows the state of the ad it re-posts; an earlier
revision of an ad (another text under the same id) follows the latest one.

Purging redacts (annotation.store.redaction): the text, title, URL and every quote of
them when the text's days are over; only the contact details when the contacts' days
(`contact_days`, shorter) are. Ids, content hashes, scores, indicator ids, decisions,
audit rows, MinHash signatures and pseudonyms are kept. Each purge that changes anything
writes one audit row ('data.purge') with counts only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from annotation.store.audit import record_audit
from annotation.store.redaction import RedactionCounts, redact_ads
from annotation.store.tables import AdLinkRow, AdRow, AssessmentRow, QueueItemRow, ScanRow
from corpora.records import utc_now

State = Literal["unflagged", "dismissed", "closed"]
STATES: tuple[State, ...] = ("unflagged", "dismissed", "closed")
_FLAGGED = ("medium", "high")
# Tables a purge may rewrite (for compacting PostgreSQL afterwards).
PURGED_TABLES = ("ads", "assessments", "indicator_hits", "review_decisions", "annotations",
                 "adjudications", "audit_log")


class RetentionPolicy(BaseModel):
    """The `[retention]` table of the settings file (see the README for each key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    unflagged_days: int = Field(30, ge=1, le=36500)
    dismissed_days: int = Field(180, ge=1, le=36500)
    closed_days: int = Field(365, ge=1, le=36500)
    contact_days: int | None = Field(None, ge=1, le=36500)
    schedule: str = Field("30 3 * * *", min_length=9)

    @model_validator(mode="after")
    def _check_schedule(self) -> RetentionPolicy:
        if len(self.schedule.split()) != 5:
            raise ValueError(f"schedule {self.schedule!r} is not a cron line of five fields")
        return self

    def text_days(self, state: State) -> int:
        return {"unflagged": self.unflagged_days, "dismissed": self.dismissed_days,
                "closed": self.closed_days}[state]

    def contacts_days(self, state: State) -> int:
        """Days the contact details are kept: `contact_days`, at most the text's days."""
        text_days = self.text_days(state)
        return text_days if self.contact_days is None else min(self.contact_days, text_days)


class CaseError(ValueError):
    """A case that cannot be closed; the message says why."""


@dataclass
class PurgePlan:
    """The ads whose text (or only contacts) are due, by state, and what is kept."""

    text: dict[State, list[str]] = field(default_factory=lambda: {s: [] for s in STATES})
    contacts: dict[State, list[str]] = field(default_factory=lambda: {s: [] for s in STATES})
    kept: Counter[str] = field(default_factory=Counter)

    def counts(self) -> dict[str, int]:
        return {**{f"text_{state}": len(ids) for state, ids in self.text.items()},
                **{f"contacts_{state}": len(ids) for state, ids in self.contacts.items()},
                **{f"kept_{reason}": count for reason, count in sorted(self.kept.items())}}


@dataclass(frozen=True)
class Purge:
    """What a purge did (or, with dry_run, would do)."""

    plan: PurgePlan
    rows: RedactionCounts
    dry_run: bool

    def as_dict(self) -> dict[str, int]:
        return {**self.plan.counts(), **{f"rows_{k}": v for k, v in self.rows.as_dict().items()}}


def plan_purge(session: Session, policy: RetentionPolicy, now: datetime) -> PurgePlan:
    """Which ads are due at `now` under `policy` (nothing is changed)."""
    queue = {row.ad_id: row for row in session.scalars(select(QueueItemRow))}
    # The queue holds one item per ad, at its latest revision: earlier ones follow it.
    for ad_id, first in session.execute(select(AdRow.id, AdRow.revision_of).where(
            AdRow.id.in_(select(QueueItemRow.ad_id)), AdRow.revision_of.is_not(None))).all():
        queue.setdefault(first, queue[ad_id])
    flagged = set(session.scalars(select(AssessmentRow.ad_id).where(
        AssessmentRow.risk.in_(_FLAGGED)).distinct()))
    first_assessed = dict(session.execute(select(AssessmentRow.ad_id,
                                                 func.min(AssessmentRow.created_at))
                                          .group_by(AssessmentRow.ad_id)).all())
    query = (select(AdRow.id, AdRow.revision_of, AdRow.redaction, ScanRow.started_at,
                    AdRow.fetched_at, AdLinkRow.duplicate_of)
             .outerjoin(ScanRow, ScanRow.id == AdRow.first_seen_scan)
             .outerjoin(AdLinkRow, AdLinkRow.ad_id == AdRow.id)
             .where(AdRow.redaction.is_(None) | (AdRow.redaction == "contacts")))
    plan = PurgePlan()
    for ad_id, first, redaction, scanned_at, fetched_at, original in session.execute(query):
        item = queue.get(ad_id) or (queue.get(first) if first else None) \
            or (queue.get(original) if original else None)
        state: State
        if item is None:
            if ad_id in flagged:
                plan.kept["open"] += 1
                continue
            state = "unflagged"
            since = scanned_at or fetched_at or first_assessed.get(ad_id)
        elif item.state == "dismiss":
            state, since = "dismissed", item.decided_at
        elif item.state in ("confirm", "escalate"):
            if item.closed_at is None:
                plan.kept["case_not_closed"] += 1
                continue
            state, since = "closed", item.closed_at
        else:
            plan.kept["open"] += 1
            continue
        if since is None:
            plan.kept["undated"] += 1
        elif since + timedelta(days=policy.text_days(state)) <= now:
            plan.text[state].append(ad_id)
        elif redaction is None and since + timedelta(days=policy.contacts_days(state)) <= now:
            plan.contacts[state].append(ad_id)
        else:
            plan.kept["not_due"] += 1
    return plan


def purge(session: Session, policy: RetentionPolicy, *, actor: str,
          now: datetime | None = None, dry_run: bool = False) -> Purge:
    """Apply `policy` at `now` (default: the current time). With `dry_run` nothing is
    changed and nothing audited; otherwise one 'data.purge' audit row with the counts
    (when anything was due)."""
    now = now or utc_now()
    plan = plan_purge(session, policy, now)
    rows = RedactionCounts()
    if not dry_run:
        for state in STATES:
            rows.add(redact_ads(session, plan.text[state], scope="text", kind="retention",
                                now=now))
            rows.add(redact_ads(session, plan.contacts[state], scope="contacts",
                                kind="contacts", now=now))
    done = Purge(plan, rows, dry_run)
    if not dry_run and rows.ads:
        record_audit(session, actor, "data.purge", None, after={
            **done.as_dict(), "policy": policy.model_dump(exclude={"schedule"})})
    return done


def close_case(session: Session, ad_id: str, *, actor: str, now: datetime | None = None) -> None:
    """Close the case of a confirmed or escalated ad (its retention clock starts); the
    caller checks that `actor` may close cases. Audited ('case.close'). A new decision on
    the ad reopens it."""
    item = session.get(QueueItemRow, ad_id)
    if item is None:
        raise CaseError(f"ad {ad_id!r} is not in the review queue")
    if item.state not in ("confirm", "escalate"):
        raise CaseError(f"ad {ad_id!r} is {item.state}: only a confirmed or escalated case "
                        "is closed")
    if item.closed_at is not None:
        raise CaseError(f"the case of ad {ad_id!r} was closed on {item.closed_at:%Y-%m-%d} "
                        f"by {item.closed_by}")
    now = now or utc_now()
    session.execute(update(QueueItemRow).where(QueueItemRow.ad_id == ad_id)
                    .values(closed_at=now, closed_by=actor))
    record_audit(session, actor, "case.close", f"ad:{ad_id}", after={"state": item.state})
