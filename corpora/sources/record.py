"""What every source yields: one raw record or one error, with its location."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SourceRecord:
    """A raw record (`data`) or the reason it could not be read (`error`).

    `where` names the input (file path, feed or page URL, `<stdin>`) and `position` the
    line, row or entry number (1-based; 0 when the input is one page or the whole
    source), so a person can find the bad record.
    """

    where: str
    position: int
    data: dict[str, Any] | None = None
    error: str | None = None

    @property
    def location(self) -> str:
        return f"{self.where}:{self.position}" if self.position else self.where
