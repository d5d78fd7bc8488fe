"""Settings, read once at the entry point and passed down (never at import time)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MODEL = "indicators.ensemble.v1"


@dataclass(frozen=True)
class Settings:
    """Where Centinela keeps its data and which model it uses.

    CENTINELA_HOME   folder for the default database, models and reports
                     (default: the user's data dir, e.g. ~/.local/share/centinela)
    CENTINELA_DB     SQLAlchemy URL (default: sqlite:///<home>/centinela.db);
                     postgresql+psycopg://user@host/db for teams
    CENTINELA_MODEL  detector name for detect and scan (default: indicators.ensemble.v1,
                     trained from the bundled corpus on first use)
    CENTINELA_SECRET key for contact pseudonyms (HMAC); set it in production
    CENTINELA_ALLOW_LOOPBACK=1  lets scans fetch from loopback addresses (tests, local
                     mirrors); private and metadata addresses stay refused
    """

    home: Path
    db_url: str
    model: str
    secret: str
    allow_loopback: bool = False

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        from models.artifacts import default_home

        env = os.environ if environ is None else environ
        home = default_home(env)
        db_url = env.get("CENTINELA_DB") or f"sqlite:///{home / 'centinela.db'}"
        return cls(
            home=home,
            db_url=db_url,
            model=env.get("CENTINELA_MODEL") or DEFAULT_MODEL,
            secret=env.get("CENTINELA_SECRET") or "centinela-development-key",
            allow_loopback=env.get("CENTINELA_ALLOW_LOOPBACK", "") == "1",
        )
