"""Phone numbers in ad text, with `phonenumbers` (Google's libphonenumber).

Two passes: libphonenumber's own matcher (numbers written the usual ways, valid for the
ad's region), then the digit runs it cannot see (digits as words, split by emojis or odd
spacing, keycap emojis; see corpora.entities.spelled), each kept only if it parses as a
valid number. Numbers are normalised to E.164. The region is the ad's country (ISO 3166
alpha-2); without one, only numbers written with their country code are found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from corpora.entities.spelled import NUMBER_WORDS, digit_runs

# Mobile prefixes that WhatsApp links and old habits keep after the country code and
# libphonenumber does not take: Mexico's "1" (dropped in 2019), Argentina's "9".
_MOBILE_PREFIXES = {"52": "1", "54": "9"}
_MIN_DIGITS = 8
_DIGIT = re.compile(r"\d")
_WORDS = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class FoundPhone:
    """A phone number at `start:end` of the text, normalised to E.164."""

    start: int
    end: int
    e164: str


def find_phones(text: str, region: str | None,
                taken: Iterable[tuple[int, int]] = ()) -> list[FoundPhone]:
    """Every valid phone number in `text`, in order, outside the `taken` spans."""
    digits = len(_DIGIT.findall(text))
    if digits < _MIN_DIGITS and digits + _count_number_words(text) < _MIN_DIGITS:
        return []
    import phonenumbers

    spans = list(taken)
    found: list[FoundPhone] = []
    region = (region or "").upper() or None
    if region and digits >= _MIN_DIGITS - 1:
        matcher = phonenumbers.PhoneNumberMatcher(text, region,
                                                  leniency=phonenumbers.Leniency.VALID)
        for match in matcher:
            if not _overlaps(match.start, match.end, spans):
                found.append(FoundPhone(match.start, match.end, _e164(match.number)))
                spans.append((match.start, match.end))
    for run in digit_runs(text, _MIN_DIGITS):
        if _overlaps(run.start, run.end, spans):
            continue
        plus = text[max(0, run.start - 1):run.start] == "+"
        if e164 := parse_phone(run.digits, region, international=plus):
            start = run.start - 1 if plus else run.start
            found.append(FoundPhone(start, run.end, e164))
            spans.append((start, run.end))
    return sorted(found, key=lambda phone: phone.start)


def parse_phone(digits: str, region: str | None, *, international: bool = False) -> str | None:
    """The E.164 form of a number given as digits, or None if it is not a valid number.

    Tried as a national number of `region`, then (or only, if `international`) with its
    country code, also without a legacy mobile prefix (52 1..., 54 9...).
    """
    import phonenumbers

    digits = "".join(ch for ch in digits if ch.isdigit())
    candidates: list[tuple[str, str | None]] = []
    if region and not international:
        candidates.append((digits, region))
    candidates.append(("+" + digits, None))
    for code, prefix in _MOBILE_PREFIXES.items():
        if digits.startswith(code + prefix):
            candidates.append(("+" + code + digits[len(code) + 1:], None))
    for number, number_region in candidates:
        try:
            parsed = phonenumbers.parse(number, number_region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return _e164(parsed)
    return None


def _e164(number: object) -> str:
    import phonenumbers

    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < other_end and other_start < end for other_start, other_end in spans)



def _count_number_words(text: str) -> int:
    """A quick count of words that may stand for digits, before reading them exactly."""
    return sum(1 for word in _WORDS.findall(text.lower()) if word in NUMBER_WORDS)
