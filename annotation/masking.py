"""Contact details in text shown to people or exported: masked on screen, pseudonymised in
exports. The contacts are the ones `corpora.entities` finds (phones, e-mails, handles),
so a contact masked here is the one the store links ads by, with the same pseudonym.
"""

from __future__ import annotations

from corpora.entities import CONTACT_KINDS, extract_entities
from corpora.records import Entity

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
    return _replace(text, find_contact_details(text, country),
                    lambda entity: f"[{MASK_LABELS[entity.kind]}]")


def pseudonymise_contacts(text: str, key: bytes, country: str | None = None) -> str:
    """`text` with each contact detail replaced by its kind and HMAC pseudonym, like
    '[phone:3f9a...]': the pseudonym the store links ads by, never the value."""
    return _replace(text, find_contact_details(text, country, key),
                    lambda entity: f"[{entity.kind}:{entity.pseudonym}]")


def _replace(text: str, entities: list[Entity], label) -> str:  # type: ignore[no-untyped-def]
    parts, position = [], 0
    for entity in entities:
        parts += [text[position:entity.span.start], label(entity)]
        position = entity.span.end
    parts.append(text[position:])
    return "".join(parts)
