"""Contact details in text shown to people: masked on screen (exports pseudonymise them
with corpora.formats.redaction). The contacts are the ones `corpora.entities` finds
(phones, e-mails, handles): a contact masked here is one the store links ads by.
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
    parts, position = [], 0
    for entity in find_contact_details(text, country):
        parts += [text[position:entity.span.start], f"[{MASK_LABELS[entity.kind]}]"]
        position = entity.span.end
    parts.append(text[position:])
    return "".join(parts)
