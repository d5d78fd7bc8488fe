"""E-mail addresses, URLs and social handles in ad text.

- E-mails, also written "nombre arroba dominio punto com" or "nome [at] dominio [dot] br";
  normalised to lower case.
- URLs (http(s)://... or www....). A WhatsApp link (wa.me/NUMBER, api.whatsapp.com/
  send?phone=NUMBER) is a phone, not a URL; t.me/NAME, instagram.com/NAME and
  tiktok.com/@NAME are handles.
- Handles written "@name" after a platform's name ("IG: @x", "tiktok @x", "telegram @x"),
  or alone. A handle is normalised to "platform:@name" (platform "unknown" when not
  said); its pseudonym is taken on "@name" alone, so one name used on two platforms
  links the ads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, urlsplit

ContactKind = Literal["email", "url", "handle", "whatsapp"]


@dataclass(frozen=True)
class FoundContact:
    """A contact at `start:end`: `normalised` is an e-mail, URL, "platform:@name", or for
    `whatsapp` the digits of the number (to be parsed as a phone)."""

    kind: ContactKind
    start: int
    end: int
    normalised: str


_AT = r"(?:@|\s*[\[(]\s*(?:at|arroba)\s*[\])]\s*|\s+arroba\s+)"
_DOT = r"(?:\.|\s*[\[(]\s*(?:dot|punto|ponto)\s*[\])]\s*|\s+(?:punto|ponto|dot)\s+)"
_EMAIL = re.compile(
    r"(?<![\w.+-])([a-z0-9][\w.+-]*)" + _AT +
    r"((?:[a-z0-9-]+" + _DOT + r")+[a-z]{2,24})(?![\w-])", re.IGNORECASE)
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'()\[\]{}]+|"
                  r"\b(?:wa\.me|t\.me|instagram\.com|tiktok\.com|api\.whatsapp\.com)/[^\s<>\"'()\[\]{}]+",
                  re.IGNORECASE)
_URL_TRAILING = ".,;:!?¡¿*"
_HANDLE = re.compile(r"(?<![\w@.])@([a-z0-9_](?:[a-z0-9_.]{0,28}[a-z0-9_])?)(?![\w@])",
                     re.IGNORECASE)
_PLATFORM_CUE = re.compile(
    r"\b(ig|insta|instagram|tik\s?tok|tt|telegram|telegrama|tg|twitter|x|facebook|fb)\b"
    r"[\s:.\-=>➡️👉]*$", re.IGNORECASE)
_CUE_PLATFORMS = {"ig": "instagram", "insta": "instagram", "instagram": "instagram",
                  "tiktok": "tiktok", "tik tok": "tiktok", "tt": "tiktok",
                  "telegram": "telegram", "telegrama": "telegram", "tg": "telegram",
                  "twitter": "x", "x": "x", "facebook": "facebook", "fb": "facebook"}
_URL_PLATFORMS = {"t.me": "telegram", "telegram.me": "telegram", "instagram.com": "instagram",
                  "tiktok.com": "tiktok"}
_NOT_HANDLES = frozenset({"joinchat", "share", "p", "reel", "reels", "explore", "s", "video",
                          "accounts", "stories"})


def find_contacts(text: str) -> list[FoundContact]:
    """E-mails, then URLs, then handles (never overlapping one another), in text order."""
    found: list[FoundContact] = []
    for match in _EMAIL.finditer(text):
        domain = re.sub(_DOT, ".", match.group(2), flags=re.IGNORECASE)
        found.append(FoundContact("email", match.start(), match.end(),
                                  f"{match.group(1)}@{domain}".lower()))
    for match in _URL.finditer(text):
        start, end = match.start(), match.end()
        while end > start and text[end - 1] in _URL_TRAILING:
            end -= 1
        if _overlaps(start, end, found):
            continue
        found.append(_classify_url(text[start:end], start, end))
    for match in _HANDLE.finditer(text):
        if _overlaps(match.start(), match.end(), found):
            continue
        cue = _PLATFORM_CUE.search(text[max(0, match.start() - 24):match.start()])
        platform = "unknown"
        if cue:
            platform = _CUE_PLATFORMS.get(re.sub(r"\s+", " ", cue.group(1).lower()), "unknown")
        found.append(FoundContact("handle", match.start(), match.end(),
                                  f"{platform}:@{match.group(1).lower()}"))
    return sorted(found, key=lambda contact: contact.start)


def handle_name(normalised: str) -> str:
    """The "@name" part of a normalised handle (what its pseudonym is taken on)."""
    return normalised.split(":", 1)[-1]


def _classify_url(url: str, start: int, end: int) -> FoundContact:
    parts = urlsplit(url if "://" in url else f"https://{url}")
    host = (parts.hostname or "").removeprefix("www.")
    path = parts.path.strip("/")
    if host == "wa.me" and path.lstrip("+").isdigit():
        return FoundContact("whatsapp", start, end, path.lstrip("+"))
    if host in ("api.whatsapp.com", "web.whatsapp.com", "whatsapp.com"):
        phone = parse_qs(parts.query).get("phone", [""])[0].lstrip("+ ")
        if phone.isdigit():
            return FoundContact("whatsapp", start, end, phone)
    if host in _URL_PLATFORMS and path:
        name = path.split("/")[0].lstrip("@").lower()
        if name and not name.startswith("+") and name not in _NOT_HANDLES \
                and re.fullmatch(r"[a-z0-9_.]{1,30}", name):
            return FoundContact("handle", start, end, f"{_URL_PLATFORMS[host]}:@{name}")
    normalised = f"{parts.scheme}://{host}{parts.path}" + (f"?{parts.query}" if parts.query else "")
    return FoundContact("url", start, end, normalised)


def _overlaps(start: int, end: int, found: list[FoundContact]) -> bool:
    return any(start < other.end and other.start < end for other in found)
