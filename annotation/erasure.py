"""Erasure on request: a person asks that their ad, or every ad with their phone number,
e-mail or handle, be removed. Thin shells (`centinela erase`) call these functions.

- `erase_ad`: the ad's text, title and URL go, with every revision of it (other texts
  its source sent under the same id) (annotation.store.redaction, scope text, notes about
  it emptied), and its contact details are also filled in every other stored ad that
  holds them and removed from every note.
- `erase_contact`: the contact is found through its HMAC pseudonym (the raw value is
  never stored, so it is never searched for); every ad holding it is erased as above.

Each erasure writes one audit row ('data.erase') with the stated reason and counts only,
never content. Run `annotation.store.compact_store` afterwards (the CLI does) so that the
database files keep no old copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from annotation.store.audit import record_audit
from annotation.store.entities import find_ads_by_pseudonym
from annotation.store.redaction import RedactionCounts, redact_ads, scrub_notes
from annotation.store.tables import AdEntityRow, AdRow
from corpora.entities import contact_pseudonym
from corpora.records import utc_now

# Tables whose rows an erasure may rewrite (for compacting PostgreSQL afterwards).
ERASED_TABLES = ("ads", "assessments", "indicator_hits", "review_decisions", "annotations",
                 "adjudications", "audit_log")


class ErasureError(ValueError):
    """The request cannot be carried out as given; the message says why."""


@dataclass(frozen=True)
class Erasure:
    """What an erasure removed: ads erased in full, other ads that lost a shared contact,
    and the rows rewritten (counts only)."""

    ads_erased: int
    ads_contacts_removed: int
    counts: RedactionCounts
    notes_scrubbed: int

    def as_dict(self) -> dict[str, int]:
        return {"ads_erased": self.ads_erased, "ads_contacts_removed": self.ads_contacts_removed,
                **self.counts.as_dict(), "notes_scrubbed": self.notes_scrubbed}


def erase_ad(session: Session, ad_id: str, *, actor: str, reason: str, key: bytes,
             now: datetime | None = None) -> Erasure:
    """Erase one stored ad (all its revisions) and its contact details everywhere; raises
    ErasureError for an unknown ad or an empty reason."""
    _check_reason(reason)
    row = session.get(AdRow, ad_id)
    if row is None:
        raise ErasureError(f"no ad with id {ad_id!r}")
    first = row.revision_of or row.id  # every text the source sent under this id goes
    revisions = sorted(session.scalars(select(AdRow.id).where(
        (AdRow.id == first) | (AdRow.revision_of == first))))
    erasure = _erase(session, revisions, key, now or utc_now())
    record_audit(session, actor, "data.erase", f"ad:{ad_id}",
                 after={"reason": reason.strip(), **erasure.as_dict()})
    return erasure


def erase_contact(session: Session, value: str, *, actor: str, reason: str, key: bytes,
                  country: str | None = None, now: datetime | None = None) -> Erasure:
    """Erase every stored ad holding the contact `value` (a phone number, an e-mail or an
    @handle; `country` is the region of a number written without its country code).
    Raises ErasureError when `value` is not a contact or the reason is empty."""
    _check_reason(reason)
    try:
        kind, pseudonym = contact_pseudonym(value, key, country)
    except ValueError as exc:
        raise ErasureError(str(exc)) from None
    ad_ids = sorted(find_ads_by_pseudonym(session, [pseudonym]).get(pseudonym, set()))
    erasure = _erase(session, ad_ids, key, now or utc_now(), extra_pseudonyms={pseudonym})
    record_audit(session, actor, "data.erase", f"contact:{kind}:{pseudonym[:12]}",
                 after={"reason": reason.strip(), **erasure.as_dict()})
    return erasure


def _erase(session: Session, ad_ids: list[str], key: bytes, now: datetime, *,
           extra_pseudonyms: set[str] = frozenset()) -> Erasure:  # type: ignore[assignment]
    pseudonyms = set(extra_pseudonyms) | set(session.scalars(
        select(AdEntityRow.pseudonym).where(AdEntityRow.ad_id.in_(ad_ids),
                                            AdEntityRow.pseudonym.is_not(None))))
    counts = redact_ads(session, ad_ids, scope="text", kind="erasure", now=now,
                        clear_notes=True)
    others = set().union(*find_ads_by_pseudonym(session, pseudonyms).values()) - set(ad_ids) \
        if pseudonyms else set()
    shared = redact_ads(session, sorted(others), scope="contacts", kind="contacts", now=now,
                        pseudonyms=pseudonyms)
    counts.add(shared)
    notes = scrub_notes(session, pseudonyms, key) if pseudonyms else 0
    return Erasure(ads_erased=len(ad_ids), ads_contacts_removed=shared.ads, counts=counts,
                   notes_scrubbed=notes)


def _check_reason(reason: str) -> None:
    if not reason.strip():
        raise ErasureError("state the reason for the erasure (e.g. the request's reference)")
