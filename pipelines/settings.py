"""Settings, read once at the entry point and passed down (never at import time)."""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MODEL = "indicators.ensemble.v1"
SECRET_FILE = "secret.key"


@dataclass(frozen=True)
class Settings:
    """Where Centinela keeps its data and which model it uses.

    CENTINELA_HOME   folder for the default database, models and reports
                     (default: the user's data dir, e.g. ~/.local/share/centinela)
    CENTINELA_DB     SQLAlchemy URL (default: sqlite:///<home>/centinela.db);
                     postgresql+psycopg://user@host/db for teams
    CENTINELA_MODEL  detector name for detect and scan (default: indicators.ensemble.v1,
                     trained from the bundled corpus on first use)
    CENTINELA_SECRET key for contact pseudonyms (HMAC) and the web app's sign-in form
                     (default: a random key made once per install, kept in
                     <home>/secret.key, readable by its owner only)
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
            secret=env.get("CENTINELA_SECRET") or load_or_create_secret(home / SECRET_FILE),
            allow_loopback=env.get("CENTINELA_ALLOW_LOOPBACK", "") == "1",
        )


def load_or_create_secret(path: Path) -> str:
    """The key in `path`, made there first (random, mode 0600) if the file does not exist.

    Two processes starting at once agree: the file is created exclusively, and the loser
    reads the winner's key.
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # the winner may not have written it yet
            if key := path.read_text(encoding="ascii").strip():
                return key
            time.sleep(0.01)
        raise RuntimeError(f"{path} is empty: delete it to make a new key") from None
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        return load_or_create_secret(path)
    key = secrets.token_urlsafe(32)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key + "\n")
    return key
