"""Contact details in an ad's text (phones, e-mail addresses, social-media handles), found
to mask them on screen and to pseudonymise them in exports.

The patterns err on the side of finding too much: masking a number that was not a phone
costs a reviewer a click, leaking a real person's phone costs far more. A pseudonym is an
HMAC of the normalised value under the install's secret, so one contact gets the same
pseudonym in every ad and export, and nobody without the secret can reverse it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Literal

ContactKind = Literal["phone", "email", "handle"]
PSEUDONYM_CHARS = 12
MASK_LABELS: dict[str, str] = {"phone": "phone hidden", "email": "e-mail hidden",
                               "handle": "handle hidden"}

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{1,28}[A-Za-z0-9_])?")
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d ().\-]{5,}\d(?!\w)")
# Dates and amounts with thousands separators look like digit runs too.
_NOT_PHONE = re.compile(r"^(?:\d{4}-\d{2}-\d{2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|"
                        r"\d{1,3}(?:[.,]\d{3})+)$")
_MIN_PHONE_DIGITS, _MAX_PHONE_DIGITS = 8, 15


@dataclass(frozen=True)
class Contact:
    """One contact detail: its kind and where it is (end-exclusive offsets)."""

    kind: ContactKind
    start: int
    end: int


def find_contacts(text: str) -> list[Contact]:
    """Phones, e-mail addresses and handles in `text`, in order, never overlapping."""
    found: list[Contact] = [Contact("email", m.start(), m.end()) for m in _EMAIL.finditer(text)]
    found += [Contact("handle", m.start(), m.end()) for m in _HANDLE.finditer(text)]
    for match in _PHONE.finditer(text):
        digits = sum(char.isdigit() for char in match[0])
        if _MIN_PHONE_DIGITS <= digits <= _MAX_PHONE_DIGITS and not _NOT_PHONE.match(match[0]):
            found.append(Contact("phone", match.start(), match.end()))
    kept: list[Contact] = []
    for contact in sorted(found, key=lambda c: (c.start, -c.end)):
        if not kept or contact.start >= kept[-1].end:
            kept.append(contact)
    return kept


def pseudonym(kind: ContactKind, value: str, secret: str) -> str:
    """A stable pseudonym for a contact, like 'phone:3f9a0c1b2d4e'."""
    if kind == "phone":
        normalised = "".join(char for char in value if char.isdigit())
    else:
        normalised = value.strip().lower()
    digest = hmac.new(secret.encode("utf-8"), f"{kind}:{normalised}".encode("utf-8"),
                      hashlib.sha256).hexdigest()
    return f"{kind}:{digest[:PSEUDONYM_CHARS]}"


def pseudonymise_contacts(text: str, secret: str) -> str:
    """`text` with every contact detail replaced by its pseudonym in brackets."""
    parts, position = [], 0
    for contact in find_contacts(text):
        parts += [text[position:contact.start],
                  f"[{pseudonym(contact.kind, text[contact.start:contact.end], secret)}]"]
        position = contact.end
    parts.append(text[position:])
    return "".join(parts)
