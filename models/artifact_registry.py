"""Which registered artifact version of each trained model is the default, with history.

Artifacts live in `<root>/<name>/<version>/` (models.artifacts); this module keeps
`<root>/registry.json`: per artifact name, a stack of the versions that were made default,
newest last, and the promotion gate's decision on each candidate. The top of the stack is
the default every detector factory loads (`default_artifact`). Promoting pushes a version;
rolling back pops the top, so the previous default is in use again and the popped version
stays registered (nothing is deleted). With no default recorded for a name, the latest
registered artifact is its default (homes trained before the registry existed, and the
first `centinela train`).

Artifacts registered by one training run share their version tag (an ensemble and its
TF-IDF part) and move together: promoting `indicators.ensemble` at V also promotes every
other name that has a V folder, and rolling it back pops them too.

Changes are planned (`plan_promote`, `plan_rollback`), then applied under a file lock with
an atomic replace, so a reader never sees half a file. This layer knows no database: the
caller records each change in the audit log (evaluation.retrain does).
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from models.artifacts import (
    Artifact,
    ArtifactError,
    NoTrainedModelError,
    latest_artifact,
    load_artifact,
)

SCHEMA = "centinela.model-registry.v1"
REGISTRY_FILE = "registry.json"

Action = Literal["promote", "rollback"]


class RegistryError(ArtifactError):
    """A registry change that cannot be made; the message says why."""


@dataclass(frozen=True)
class RegistryChange:
    """A planned change of the default of `name` (and the names moving with it)."""

    action: Action
    name: str
    version: str  # the default after the change
    previous: str | None  # the default before
    moved: tuple[str, ...] = ()  # other names whose default moves with it


@dataclass(frozen=True)
class RegisteredVersion:
    """One registered artifact version as `centinela models list` shows it."""

    artifact: Artifact
    is_default: bool
    was_default: bool
    decision: dict[str, Any] | None = None

    @property
    def version(self) -> str:
        return self.artifact.meta.version


@dataclass
class _State:
    defaults: dict[str, list[str]] = field(default_factory=dict)
    decisions: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"schema": SCHEMA, "defaults": self.defaults,
                           "decisions": self.decisions}, indent=2, sort_keys=True,
                          ensure_ascii=False) + "\n"


class ModelRegistry:
    """The registry file of one models folder (`models.artifacts.models_root(home)`)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.path = self.root / REGISTRY_FILE

    # reading -----------------------------------------------------------------------------
    def _read(self) -> _State:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return _State()
        except (OSError, ValueError) as exc:
            raise RegistryError(f"{self.path}: cannot be read ({exc}); restore it from a "
                                "backup, or move it away to start over (defaults are then "
                                "the latest artifacts)") from exc
        if data.get("schema") != SCHEMA:
            raise RegistryError(f"{self.path}: not a Centinela model registry ({SCHEMA})")
        return _State(defaults={k: list(v) for k, v in data.get("defaults", {}).items()},
                      decisions=data.get("decisions", {}))

    def default_version(self, name: str) -> str | None:
        """The version recorded as default for `name` (None: none recorded)."""
        stack = self._read().defaults.get(name)
        return stack[-1] if stack else None

    def default_artifact(self, name: str) -> Artifact | None:
        """The default artifact of `name` (its files verified), else the latest registered,
        else None."""
        version = self.default_version(name)
        if version is None:
            return latest_artifact(self.root, name)
        return load_artifact(self.root / name / version)

    def versions(self, name: str) -> list[RegisteredVersion]:
        """Every registered version of `name`, oldest first, with its role and decision."""
        folder = self.root / name
        if not folder.is_dir():
            return []
        state = self._read()
        found = [load_artifact(sub, verify=False) for sub in folder.iterdir()
                 if sub.is_dir() and not sub.name.startswith(".")
                 and (sub / "meta.json").is_file()]
        found.sort(key=lambda a: (a.meta.created_at, a.meta.version))
        stack = state.defaults.get(name, [])
        current = stack[-1] if stack else (found[-1].meta.version if found else None)
        return [RegisteredVersion(a, a.meta.version == current, a.meta.version in stack[:-1],
                                  state.decisions.get(name, {}).get(a.meta.version))
                for a in found]

    def names(self) -> list[str]:
        """The artifact names that have a folder under the root."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir()
                      if p.is_dir() and not p.name.startswith("."))

    # planning ----------------------------------------------------------------------------
    def plan_promote(self, name: str, version: str) -> RegistryChange:
        """Make `version` of `name` the default. Raises RegistryError when it is not
        registered, its files do not match their hashes, or it is the default already."""
        folder = self.root / name / version
        try:
            load_artifact(folder)
        except ArtifactError as exc:
            raise RegistryError(f"cannot promote {name} {version}: {exc}") from exc
        stack = self._read().defaults.get(name, [])
        if stack:
            previous: str | None = stack[-1]
        else:
            latest = latest_artifact(self.root, name)
            previous = latest.meta.version if latest else None
            previous = None if previous == version else previous
        if stack and previous == version:
            raise RegistryError(f"{name} {version} is the default already")
        moved = tuple(other for other in self.names()
                      if other != name and (self.root / other / version / "meta.json").is_file())
        return RegistryChange("promote", name, version, previous, moved)

    def plan_rollback(self, name: str) -> RegistryChange:
        """Make the previous default of `name` the default again."""
        stack = self._read().defaults.get(name, [])
        if len(stack) < 2:
            raise RegistryError(f"{name} has no previous default to roll back to")
        moved = tuple(other for other, versions in self._read().defaults.items()
                      if other != name and versions and versions[-1] == stack[-1])
        return RegistryChange("rollback", name, stack[-2], stack[-1], moved)

    def pin_default(self, name: str) -> Artifact | None:
        """The default of `name`, recorded explicitly when it was implicit (the latest),
        so that registering a newer artifact does not make that one the default."""
        with self._locked() as state:
            stack = state.defaults.get(name)
            if not stack:
                latest = latest_artifact(self.root, name)
                if latest is None:
                    return None
                state.defaults[name] = [latest.meta.version]
        return self.default_artifact(name)

    # writing -----------------------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[_State]:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".registry.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                state = self._read()
                yield state
                self._write(state)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, state: _State) -> None:
        descriptor, staging = tempfile.mkstemp(dir=self.root, prefix=".registry-")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                out.write(state.to_json())
                out.flush()
                os.fchmod(out.fileno(), 0o644)  # mkstemp makes 0600; as readable as the models
                os.fsync(out.fileno())
            os.replace(staging, self.path)
        except BaseException:
            Path(staging).unlink(missing_ok=True)
            raise

    def apply(self, change: RegistryChange) -> None:
        """Apply a planned change. Raises RegistryError if the default moved meanwhile."""
        with self._locked() as state:
            stack = state.defaults.get(change.name, [])
            if change.action == "promote":
                if stack and stack[-1] != change.previous:
                    raise RegistryError(f"the default of {change.name} changed meanwhile "
                                        f"({stack[-1]}); plan the change again")
                for name in (change.name, *change.moved):
                    pushed = state.defaults.setdefault(name, [])
                    if not pushed and change.previous is not None and \
                            (self.root / name / change.previous / "meta.json").is_file():
                        pushed.append(change.previous)  # the implicit default, made explicit
                    pushed.append(change.version)
            else:
                if not stack or stack[-1] != change.previous:
                    raise RegistryError(f"the default of {change.name} changed meanwhile; "
                                        "plan the rollback again")
                for name in (change.name, *change.moved):
                    state.defaults[name].pop()

    def undo(self, change: RegistryChange) -> None:
        """Revert an applied change (when recording it failed)."""
        with self._locked() as state:
            for name in (change.name, *change.moved):
                stack = state.defaults.setdefault(name, [])
                if change.action == "promote":
                    if stack and stack[-1] == change.version:
                        stack.pop()
                elif change.previous is not None:
                    stack.append(change.previous)

    def record_decision(self, name: str, version: str, decision: dict[str, Any]) -> None:
        """Keep the promotion gate's decision on a candidate (shown by `models list`)."""
        with self._locked() as state:
            state.decisions.setdefault(name, {})[version] = decision


def find_artifact(name: str, root: Path, path: Path | None = None) -> Artifact:
    """The artifact at `path`, else the default of `name` in `root`'s model registry
    (the promoted version, else the latest registered); `NoTrainedModelError` when
    there is none."""
    if path is not None:
        return load_artifact(Path(path))
    found = ModelRegistry(root).default_artifact(name)
    if found is None:
        raise NoTrainedModelError(
            f"no trained {name} model under {root}; run `centinela train` first")
    return found
