"""Turn raw source records into `Ad`s."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from corpora.language import resolve_language
from corpora.normalize import normalize_text
from corpora.records import Ad, stable_ad_id


class RecordError(ValueError):
    """A raw record cannot become an Ad; the message says which field and why."""


_OPTIONAL_STR = ("url", "source", "country", "title", "raw_ref")


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
    if normalise:
        text = normalize_text(text).text
    if not text.strip():
        raise RecordError("field 'text' is empty")
    ad_id = data.get("id")
    if ad_id is None or ad_id == "":
        ad_id = stable_ad_id(text)
    elif not isinstance(ad_id, (str, int)):
        raise RecordError(f"field 'id' must be a string, got {type(ad_id).__name__}")
    fields: dict[str, Any] = {"id": str(ad_id), "text": text}
    for name in _OPTIONAL_STR:
        value = data.get(name)
        if value is not None and value != "":
            fields[name] = str(value)
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


def _parse_time(name: str, value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise RecordError(f"field '{name}' is not an ISO 8601 date: {value!r}") from exc
