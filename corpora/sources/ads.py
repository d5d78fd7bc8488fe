"""Raw source records → `Ad`s, with a per-record reason when a record cannot become one.

Every path that turns records into ads (`centinela detect`, the scan flow, the benchmark,
the real-ads loader of the evaluation) goes through `build_ads`, so a bad record is
reported the same way everywhere and never stops the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, NamedTuple

from pydantic import ValidationError

from corpora.language import resolve_language
from corpora.normalize import normalize_text
from corpora.records import Ad, stable_ad_id
from corpora.sources.record import SourceRecord


class RecordError(ValueError):
    """A raw record cannot become an Ad; the message says which field and why."""


class BuiltAd(NamedTuple):
    """One record and what became of it: an ad, or the reason it could not be one."""

    record: SourceRecord
    ad: Ad | None
    problem: str | None


_OPTIONAL_STR = ("url", "source", "country", "title", "raw_ref")
_TEXT_FIELDS = ("id", "source", "url", "country", "title", "text", "raw_ref")


def build_ads(records: Iterable[SourceRecord], *, normalise: bool = True,
              default_source: str = "unknown") -> Iterator[BuiltAd]:
    """One `BuiltAd` per record, in order (see `ad_from_record` for the options).

    A record without a `raw_ref` gets its location (file:line). Problems never carry the
    record's text: they may be logged.
    """
    for record in records:
        if record.data is None:
            yield BuiltAd(record, None, record.error or "unreadable record")
            continue
        data = record.data if "raw_ref" in record.data \
            else {**record.data, "raw_ref": record.location}
        try:
            ad = ad_from_record(data, normalise=normalise, default_source=default_source)
        except RecordError as exc:
            yield BuiltAd(record, None, str(exc))
            continue
        except Exception as exc:  # a parser or library fault on one record stops no others
            yield BuiltAd(record, None, f"could not read this record ({type(exc).__name__})")
            continue
        if normalise and (reason := find_unstorable_text(ad)):
            yield BuiltAd(record, None, reason)  # normalised ads are for the store
        else:
            yield BuiltAd(record, ad, None)


def ad_from_record(data: dict[str, Any], *, normalise: bool = True,
                   default_source: str = "unknown") -> Ad:
    """Build an Ad from a raw record with at least `text`.

    With `normalise`, the stored text is the clean text (see corpora.normalize); without
    it the text is kept exactly as given (as `centinela detect` needs, since its offsets
    point into the input). A missing id becomes a stable hash of the text.
    """
    text = data.get("text")
    if text is None:
        raise RecordError("missing field 'text'")
    if not isinstance(text, str):
        raise RecordError(f"field 'text' must be a string, got {type(text).__name__}")
    _check_unicode("text", text)
    if normalise:
        text = normalize_text(text).text
    if not text.strip():
        raise RecordError("field 'text' is empty")
    ad_id = data.get("id")
    if ad_id is None or ad_id == "":
        ad_id = stable_ad_id(text)
    elif isinstance(ad_id, bool) or not isinstance(ad_id, (str, int)):
        raise RecordError(f"field 'id' must be a string or an integer, got {type(ad_id).__name__}")
    fields: dict[str, Any] = {"id": str(ad_id), "text": text}
    for name in _OPTIONAL_STR:
        value = data.get(name)
        if value is not None and value != "":
            fields[name] = str(value)
    for name in ("id", *_OPTIONAL_STR):
        if name in fields:
            _check_unicode(name, fields[name])
    fields.setdefault("source", default_source)
    declared = data.get("lang")
    fields["lang"] = resolve_language(declared if isinstance(declared, str) else None, text)
    for name in ("published_at", "fetched_at"):
        value = data.get(name)
        if value:
            fields[name] = _parse_time(name, value)
    try:
        return Ad(**fields)
    except ValidationError as exc:
        raise RecordError("; ".join(e["msg"] for e in exc.errors())) from exc


def find_unstorable_text(ad: Ad) -> str | None:
    """Why an ad cannot be stored as it is, or None.

    PostgreSQL refuses NUL characters in text, and no database takes a lone surrogate
    (what a JSON escape like "\\ud800" decodes to); SQLite is held to the same rules so
    that a file scans the same everywhere.
    """
    for name in _TEXT_FIELDS:
        value = getattr(ad, name)
        if value is None:
            continue
        if "\x00" in value:
            return f"field '{name}' contains a NUL character"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"field '{name}' is not valid Unicode (a lone surrogate)"
    return None


def _check_unicode(name: str, value: str) -> None:
    """Refuse lone surrogates (what a JSON escape like "\\ud800" decodes to): no database
    stores them, no UTF-8 output can carry them, and language identification fails on them."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise RecordError(f"field '{name}' is not valid Unicode (a lone surrogate at "
                          f"character {exc.start})") from None


def _parse_time(name: str, value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise RecordError(f"field '{name}' is not an ISO 8601 date: {value!r}") from exc
