"""Telegram Desktop exports of a channel or group ("Export chat history", JSON format).

The export is one JSON document (`result.json`) with the chat's `name`, `type` and `id`
and a `messages` array; it is read as a stream (ijson), so a large export is never held in
memory. Each message with text becomes one record: `id` is `<chat id>:<message id>`,
`published_at` the message time in UTC, `title` the chat's name. Formatted text (bold,
links, mentions) is joined into plain text; a link whose target is not shown
(`text_link`) gets its address in brackets after the linked words, since recruiters hide
WhatsApp numbers there. Service messages (joins, pins) and messages without text
(a photo alone) are passed over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO

from corpora.sources import SourceError
from corpora.sources.record import SourceRecord


def read_telegram(stream: BinaryIO, where: str,
                  skip: Callable[[str], bool] = lambda message_id: False,
                  ) -> Iterator[SourceRecord]:
    """Yield one record per text message of a Telegram Desktop JSON export.

    Raises SourceError, before any record, when the file is not a single-chat export.
    A message that cannot be read is an error record (its position is its number in
    the export); broken JSON gives one error record where it broke, and stops there.
    `skip(id)` leaves out messages already done (a resumed scan).
    """
    import ijson

    chat = _chat_header(stream, where)
    stream.seek(0)
    chat_id = str(chat.get("id", "")) or "chat"
    title = chat.get("name") if isinstance(chat.get("name"), str) else None
    position = 0
    try:
        for message in ijson.items(stream, "messages.item", use_float=True):
            position += 1
            record = parse_message(message, chat_id, title, where, position)
            if record is None or (record.data is not None and skip(record.data["id"])):
                continue
            yield record
    except ijson.JSONError as exc:
        yield SourceRecord(where, position + 1, error=(
            f"broken JSON after message {position}, reading stopped "
            f"({str(exc).splitlines()[0]})"))


def parse_message(message: Any, chat_id: str, title: str | None, where: str,
                  position: int) -> SourceRecord | None:
    """The record of one exported message, or None for a service or text-less message."""
    if not isinstance(message, dict):
        return SourceRecord(where, position, error="message is not a JSON object")
    if message.get("type", "message") != "message":
        return None
    try:
        text = message_text(message.get("text", ""))
    except ValueError as exc:
        return SourceRecord(where, position, error=str(exc))
    if not text.strip():
        return None
    message_id = message.get("id")
    if not isinstance(message_id, (int, str)) or message_id == "":
        return SourceRecord(where, position, error="message has no id")
    data: dict[str, Any] = {"id": f"{chat_id}:{message_id}", "text": text}
    if title:
        data["title"] = title
    if when := _message_time(message):
        data["published_at"] = when
    return SourceRecord(where, position, data=data)


def message_text(value: Any) -> str:
    """Plain text of an exported `text` field: a string, or a list of strings and
    {type, text[, href]} parts."""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise ValueError(f"'text' is a {type(value).__name__}, not text or a list of parts")
    parts = []
    for part in value:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, dict) and isinstance(part.get("text"), str):
            parts.append(part["text"])
            href = part.get("href")
            if part.get("type") == "text_link" and isinstance(href, str) \
                    and href not in part["text"]:
                parts.append(f" ({href})")
        else:
            raise ValueError("'text' has a part that is neither text nor {type, text}")
    return "".join(parts)


def _chat_header(stream: BinaryIO, where: str) -> dict[str, Any]:
    import ijson

    header: dict[str, Any] = {}
    key = None
    try:
        for prefix, event, value in ijson.parse(stream):
            if prefix == "" and event == "map_key":
                key = value
                if key == "messages":
                    return header
                if key == "chats":
                    break
            elif prefix == key and event in ("string", "number"):
                header[str(key)] = value
    except ijson.JSONError as exc:
        detail = str(exc).splitlines()[0]
        raise SourceError(f"{where}: not a Telegram export (broken JSON: {detail})") from None
    if key == "chats":
        raise SourceError(f"{where}: a full-account Telegram export; export the channel "
                          "alone (its menu: Export chat history, format JSON)")
    raise SourceError(f"{where}: not a Telegram chat export (no 'messages' array)")


def _message_time(message: dict[str, Any]) -> str | None:
    unix = message.get("date_unixtime")
    if isinstance(unix, str) and unix.isdigit():
        return datetime.fromtimestamp(int(unix), tz=UTC).isoformat()
    date = message.get("date")
    return date if isinstance(date, str) and date else None
