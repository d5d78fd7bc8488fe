"""Settings, read once at the entry point and passed down (never at import time)."""

from __future__ import annotations

import os
import secrets
import stat
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from corpora.entities.pseudonyms import MIN_KEY_BYTES

if TYPE_CHECKING:
    from annotation.retention import RetentionPolicy

DEFAULT_MODEL = "indicators.ensemble.v2"
SECRET_FILE = "secret.key"
CONFIG_FILE = "centinela.toml"


class SettingsError(ValueError):
    """A setting cannot be used as it is; the message says which and what to do."""


@dataclass(frozen=True)
class Settings:
    """Where Centinela keeps its data and which model it uses.

    CENTINELA_HOME   folder for the default database, models and reports
                     (default: the user's data dir, e.g. ~/.local/share/centinela)
    CENTINELA_DB     SQLAlchemy URL (default: sqlite:///<home>/centinela.db);
                     postgresql+psycopg://user@host/db for teams
    CENTINELA_MODEL  detector name for detect and scan (default: indicators.ensemble.v2,
                     trained by `centinela train`, which `make run` does; without the
                     `semantic` extra, use indicators.ensemble.v1); a trained detector
                     loads the version its model registry names as default
                     (<home>/models/registry.json: `centinela models list`)
    CENTINELA_SECRET key for contact pseudonyms (HMAC) and the web app's sign-in form,
                     at least 16 characters; when unset, a random key is made once for
                     this install in <home>/secret.key (mode 0600) and used from then on
    CENTINELA_ALLOW_LOOPBACK=1  lets scans fetch from loopback addresses (tests, local
                     mirrors); private and metadata addresses stay refused
    CENTINELA_CONFIG the settings file (default: <home>/centinela.toml, optional); its
                     `[retention]` table is the retention policy (annotation.retention)
    """

    home: Path
    db_url: str
    model: str
    secret_from_env: str | None = field(default=None, repr=False)
    allow_loopback: bool = False
    config_path: Path | None = None
    config_required: bool = False

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = default_home(env)
        db_url = env.get("CENTINELA_DB") or f"sqlite:///{home / 'centinela.db'}"
        return cls(
            home=home,
            db_url=db_url,
            model=env.get("CENTINELA_MODEL") or DEFAULT_MODEL,
            secret_from_env=env.get("CENTINELA_SECRET") or None,
            allow_loopback=env.get("CENTINELA_ALLOW_LOOPBACK", "") == "1",
            config_path=Path(env["CENTINELA_CONFIG"]) if env.get("CENTINELA_CONFIG")
            else home / CONFIG_FILE,
            config_required=bool(env.get("CENTINELA_CONFIG")),
        )

    @cached_property
    def retention(self) -> RetentionPolicy:
        """The `[retention]` table of the settings file (defaults where a key or the file
        is missing). Raises SettingsError naming the file and the key that is wrong."""
        from pydantic import ValidationError

        from annotation.retention import RetentionPolicy

        table = read_settings_file(self.config_path, self.config_required).get("retention", {})
        try:
            return RetentionPolicy.model_validate(table)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"]) or "[retention]"
            raise SettingsError(f"{self.config_path}: [retention] {where}: {error['msg']}") \
                from None

    @cached_property
    def secret(self) -> bytes:
        """The install's key (HMAC pseudonyms, signing): CENTINELA_SECRET, else the random
        key in <home>/secret.key, made the first time it is needed. Raises SettingsError for
        a key that is too short or a key file that others may read."""
        if self.secret_from_env is not None:
            key = self.secret_from_env.encode("utf-8")
            if len(key) < MIN_KEY_BYTES:
                raise SettingsError(
                    f"CENTINELA_SECRET has {len(key)} bytes; use at least {MIN_KEY_BYTES} "
                    "random characters (e.g. the output of `python -c \"import secrets; "
                    "print(secrets.token_hex(32))\"`), or unset it to use a generated key")
            return key
        return load_or_create_secret(self.home / SECRET_FILE)


def default_home(environ: Mapping[str, str] | None = None) -> Path:
    """CENTINELA_HOME, else the user's data dir (e.g. ~/.local/share/centinela).
    Read when called, never at import."""
    env = os.environ if environ is None else environ
    if env.get("CENTINELA_HOME"):
        return Path(env["CENTINELA_HOME"])
    from platformdirs import user_data_dir

    return Path(user_data_dir("centinela", appauthor=False))


def read_settings_file(path: Path | None, required: bool = False) -> dict[str, object]:
    """The settings file as a dict (empty when there is none and none is required)."""
    if path is None or (not required and not path.exists()):
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"{path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc})") from None


def load_or_create_secret(path: Path) -> bytes:
    """The key kept in `path`, made (64 random hex digits, mode 0600) if there is none.

    Two processes starting at once get the same key: the file appears whole, by a hard
    link from a private temporary file, or not at all.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, staging = tempfile.mkstemp(dir=path.parent, prefix=".secret-")  # 0600
        try:
            os.write(descriptor, (secrets.token_hex(32) + "\n").encode("ascii"))
            os.fsync(descriptor)
            os.close(descriptor)
            try:
                os.link(staging, path)
            except FileExistsError:
                pass  # another process made it first: use theirs
        finally:
            os.unlink(staging)
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise SettingsError(
            f"{path} may be read by other users (mode {stat.S_IMODE(path.stat().st_mode):o}); "
            f"run: chmod 600 {path}")
    key = path.read_text(encoding="ascii").strip().encode("ascii")
    if len(key) < MIN_KEY_BYTES:
        raise SettingsError(f"{path} holds no usable key; move it away and a new one is made "
                            "(contacts already stored keep pseudonyms of the old key)")
    return key
