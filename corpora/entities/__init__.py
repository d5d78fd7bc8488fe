"""Entities in ad text: phone numbers, e-mails, URLs, social handles and money amounts.

    entities = extract_entities(ad.text, country=ad.country, key=install_key)

Spans point into the exact text given (the stored `Ad.text`). Contacts (phones, e-mails,
handles) carry an HMAC pseudonym for linking ads; URLs and amounts carry none. A WhatsApp
link is a phone; t.me, Instagram and TikTok links are handles. Nothing here logs or
stores anything: what to keep is the store's decision (annotation/store/entities.py).
"""

from __future__ import annotations

from corpora.records import Entity, Evidence

__all__ = ["CONTACT_KINDS", "contact_pseudonym", "extract_entities"]

CONTACT_KINDS: frozenset[str] = frozenset({"phone", "email", "handle"})


def extract_entities(text: str, *, country: str | None = None,
                     key: bytes | None = None) -> list[Entity]:
    """Every entity in `text`, in text order, never two on one character.

    `country` (ISO 3166 alpha-2) is the region of phone numbers written without their
    country code and of a bare "$" or "pesos". Contacts get a pseudonym when `key` is
    given.
    """
    from corpora.entities.contacts import find_contacts, handle_name
    from corpora.entities.money import find_money
    from corpora.entities.phones import find_phones, parse_phone
    from corpora.entities.pseudonyms import pseudonymise

    found: list[tuple[str, int, int, str]] = []  # (kind, start, end, normalised)
    for contact in find_contacts(text):
        if contact.kind == "whatsapp":
            e164 = parse_phone(contact.normalised, country, international=True)
            kind, normalised = ("phone", e164) if e164 else ("url", text[contact.start:contact.end])
            found.append((kind, contact.start, contact.end, normalised))
        else:
            found.append((contact.kind, contact.start, contact.end, contact.normalised))
    taken = [(start, end) for _, start, end, _ in found]
    found.extend(("phone", phone.start, phone.end, phone.e164)
                 for phone in find_phones(text, country, taken))
    taken = [(start, end) for _, start, end, _ in found]
    found.extend(("money", money.start, money.end, money.normalised)
                 for money in find_money(text, country)
                 if not any(money.start < end and start < money.end for start, end in taken))
    entities = []
    for kind, start, end, normalised in sorted(found, key=lambda item: item[1]):
        pseudonym = None
        if key is not None and kind in CONTACT_KINDS:
            linked = handle_name(normalised) if kind == "handle" else normalised
            pseudonym = pseudonymise(kind, linked, key)
        entities.append(Entity(kind=kind, value=text[start:end], normalised=normalised,
                               pseudonym=pseudonym, span=Evidence.from_text(text, start, end)))
    return entities


def contact_pseudonym(value: str, key: bytes, country: str | None = None) -> tuple[str, str]:
    """(kind, pseudonym) of a contact typed by a person (a phone, an e-mail or an @handle),
    to find the ads that hold it without storing or searching raw values. Raises
    ValueError when `value` is none of these."""
    from corpora.entities.contacts import handle_name
    from corpora.entities.phones import parse_phone
    from corpora.entities.pseudonyms import pseudonymise

    value = value.strip()
    entities = [e for e in extract_entities(value, country=country, key=key)
                if e.kind in CONTACT_KINDS]
    if len(entities) == 1 and entities[0].pseudonym:
        return entities[0].kind, entities[0].pseudonym
    if value.startswith("@"):
        return "handle", pseudonymise("handle", handle_name(f"x:{value.lower()}"), key)
    if e164 := parse_phone(value, country, international=value.startswith("+")):
        return "phone", pseudonymise("phone", e164, key)
    raise ValueError("not a phone number, an e-mail address or an @handle")
