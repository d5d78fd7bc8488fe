"""Contact details in text shown to people: masked on screen (exports pseudonymise them
with corpora.formats.redaction). The contacts are the ones `corpora.entities` finds
(phones, e-mails, handles): a contact masked here is one the store links ads by.

Seeing contacts in clear, or finding ads by a contact, is for a role that may unmask
(`contacts.unmask`) and needs a stated reason; `unmask_contacts` and `lookup_contact`
are the only ways (the web app and the CLI call them), and each writes an audit row with
the reason and never the values.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from annotation.accounts import require
from annotation.store.ads import load_ad
from annotation.store.audit import record_audit
from annotation.store.entities import find_ads_by_pseudonym
from corpora.entities import CONTACT_KINDS, contact_pseudonym, extract_entities
from corpora.records import Ad, Entity

MASK_LABELS: dict[str, str] = {"phone": "phone hidden", "email": "e-mail hidden",
                               "handle": "handle hidden"}


def find_contact_details(text: str, country: str | None = None,
                         key: bytes | None = None) -> list[Entity]:
    """The phones, e-mail addresses and handles in `text`, in order (with pseudonyms when
    `key` is given); `country` is the region of numbers written without a country code."""
    return [entity for entity in extract_entities(text, country=country, key=key)
            if entity.kind in CONTACT_KINDS]


def mask_contacts(text: str, country: str | None = None) -> str:
    """`text` with each contact detail replaced by a label such as '[phone hidden]'."""
    parts, position = [], 0
    for entity in find_contact_details(text, country):
        parts += [text[position:entity.span.start], f"[{MASK_LABELS[entity.kind]}]"]
        position = entity.span.end
    parts.append(text[position:])
    return "".join(parts)


class UnmaskError(ValueError):
    """An unmask or lookup that cannot be done: no reason stated, no such ad, or a value
    that is not a contact."""


def unmask_contacts(session: Session, ad_id: str, *, user: str, reason: str,
                    via: str) -> Ad:
    """The ad whose contact details `user` will see in clear. Their role must allow
    `contacts.unmask` (else annotation.accounts.PermissionDenied) and `reason` must say
    why (else UnmaskError). Audited: 'contact.unmask' on the ad, with the reason, how many
    contacts and `via` (web or cli), never the values."""
    name = require(session, user, "contacts.unmask").name
    reason = _stated(reason)
    ad = load_ad(session, ad_id)
    if ad is None:
        raise UnmaskError(f"no ad with id {ad_id!r}")
    record_audit(session, name, "contact.unmask", f"ad:{ad_id}", after={
        "reason": reason, "contacts": len(find_contact_details(ad.text, ad.country)),
        "via": via})
    return ad


def lookup_contact(session: Session, value: str, *, user: str, reason: str, key: bytes,
                   country: str | None = None) -> list[str]:
    """The ids of the stored ads that hold the contact `value` (a phone, an e-mail or an
    @handle), found by its HMAC pseudonym under `key`. Same rights and reason as
    `unmask_contacts`; audited as 'contact.lookup' with the pseudonym's first 12 hex
    digits (never the value) and how many ads were found."""
    name = require(session, user, "contacts.unmask").name
    reason = _stated(reason)
    try:
        kind, pseudonym = contact_pseudonym(value, key, country)
    except ValueError as exc:
        raise UnmaskError(str(exc)) from None
    ad_ids = sorted(find_ads_by_pseudonym(session, [pseudonym]).get(pseudonym, set()))
    record_audit(session, name, "contact.lookup", f"contact:{kind}:{pseudonym[:12]}",
                 after={"reason": reason, "ads": len(ad_ids)})
    return ad_ids


def _stated(reason: str) -> str:
    if not reason.strip():
        raise UnmaskError("state why you need the contact details (the reason goes to the "
                          "audit log)")
    return reason.strip()
