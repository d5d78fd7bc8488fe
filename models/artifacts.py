"""Model artifacts: saved as plain arrays (JSON and `.npz`, `write_arrays`) or safetensors
(torch), never pickle; skops files of models saved before still load (`load_skops`).

A registered artifact is a folder `<root>/<name>/<version>/` holding the model files and a
`meta.json` with name, version, the sha256 of the training data and of each file,
metrics, and an overall `sha256` (of the files' hashes) that every assessment records.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from collections.abc import Sequence
from typing import Any

import numpy as np

from corpora.records import LabelledAd, hash_text


class ArtifactError(RuntimeError):
    """An artifact is missing, incomplete, or its files do not match their hashes."""


class NoTrainedModelError(ArtifactError):
    """No trained artifact is registered yet (loading never trains: `centinela train`)."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class ArtifactMeta:
    name: str
    version: str
    sha256: str
    files: dict[str, str]
    training_data_sha256: str
    created_at: str
    metrics: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class Artifact:
    path: Path
    meta: ArtifactMeta

    def file(self, name: str) -> Path:
        return self.path / name


def hash_training_data(train: Sequence[LabelledAd], dev: Sequence[LabelledAd] | None = None
                       ) -> str:
    """sha256 of what a model learned from: ids, texts and gold indicators per split."""
    rows = [[split, ad.id, hash_text(ad.text), sorted(ad.indicators), ad.risk]
            for split, ads in (("train", train), ("dev", dev or []))
            for ad in sorted(ads, key=lambda a: a.id)]
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode("utf-8")).hexdigest()


def new_version() -> str:
    """An artifact version name that sorts by creation time (microseconds keep it unique)."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def models_root(home: Path) -> Path:
    """Where a Centinela home (`pipelines.settings.Settings.home`) keeps registered models."""
    return Path(home) / "models"


def cache_root(home: Path) -> Path:
    """Where a Centinela home keeps what can be made again (compiled rules, embeddings)."""
    return Path(home) / "cache"


def save_artifact(root: Path, name: str, version: str, write_files, *,
                  training_data_sha256: str, metrics: dict[str, Any] | None = None,
                  config: dict[str, Any] | None = None) -> Artifact:
    """Register a new artifact: `write_files(folder)` writes the model files into a fresh
    folder; hashes and meta.json are computed here. The folder appears atomically."""
    target = Path(root) / name / version
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=target.parent))
    try:
        write_files(staging)
        files = {p.name: sha256_file(p) for p in sorted(staging.iterdir()) if p.is_file()}
        if not files:
            raise ArtifactError(f"{name} {version}: no model files were written")
        overall = hashlib.sha256("".join(f"{k}:{v}\n" for k, v in files.items()).encode())
        meta = ArtifactMeta(
            name=name, version=version, sha256=overall.hexdigest(), files=files,
            training_data_sha256=training_data_sha256,
            created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            metrics=metrics or {}, config=config or {},
        )
        (staging / "meta.json").write_text(meta.to_json(), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Artifact(target, meta)


def load_artifact(path: Path, *, verify: bool = True) -> Artifact:
    """Read an artifact folder; with `verify`, every file must match its sha256."""
    meta_path = Path(path) / "meta.json"
    try:
        meta = ArtifactMeta(**json.loads(meta_path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise ArtifactError(f"{path}: not a model artifact ({exc})") from exc
    if verify:
        for name, expected in meta.files.items():
            file = Path(path) / name
            if not file.is_file() or sha256_file(file) != expected:
                raise ArtifactError(f"{file}: missing or does not match its sha256 in meta.json")
    return Artifact(Path(path), meta)


def latest_artifact(root: Path, name: str) -> Artifact | None:
    """The most recently created artifact registered under `name`, if any."""
    folder = Path(root) / name
    if not folder.is_dir():
        return None
    candidates = []
    for sub in folder.iterdir():
        if sub.is_dir() and not sub.name.startswith(".") and (sub / "meta.json").is_file():
            candidates.append(load_artifact(sub, verify=False))
    if not candidates:
        return None
    newest = max(candidates, key=lambda a: (a.meta.created_at, a.meta.version))
    return load_artifact(newest.path)


def write_arrays(folder: Path, stem: str, spec: dict[str, Any],
                 arrays: dict[str, np.ndarray], indent: int | None = None) -> None:
    """A model as `<stem>.json` (`spec`: its format, settings, labels) and `<stem>.npz`
    (its numbers), which `read_arrays` reads back without running any code."""
    (Path(folder) / f"{stem}.json").write_text(
        json.dumps(spec, ensure_ascii=False, indent=indent), encoding="utf-8")
    with (Path(folder) / f"{stem}.npz").open("wb") as fh:
        np.savez(fh, **arrays)


def read_arrays(folder: Path, stem: str, expected_format: str
                ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """`<stem>.json` and the float arrays of `<stem>.npz` (never pickles)."""
    json_path, npz_path = Path(folder) / f"{stem}.json", Path(folder) / f"{stem}.npz"
    try:
        spec = json.loads(json_path.read_text(encoding="utf-8"))
        with np.load(npz_path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"{json_path}: cannot read the model ({exc}); retrain it with "
                            "`centinela train`") from None
    if not isinstance(spec, dict) or spec.get("format") != expected_format:
        raise ArtifactError(f"{json_path}: not a {expected_format} file; retrain with "
                            "`centinela train`")
    if any(a.dtype.kind != "f" for a in arrays.values()):
        raise ArtifactError(f"{npz_path}: holds arrays that are not numbers")
    return spec, arrays


def save_skops(obj: Any, path: Path) -> None:
    import skops.io as sio

    sio.dump(obj, path)


# The only types outside skops's own safe list that our models hold, by exact name (see
# `centinela train`). Nothing else loads: no builtins such as eval, exec, getattr or
# __import__, no other function of our packages, no reduce of an arbitrary callable.
TRUSTED_SKOPS_TYPES = frozenset({
    "corpora.normalize.fold_text",
    "models.ensemble.semantic.SemanticEnsembleModel",
    "models.ensemble.train.EnsembleModel",
    "models.semantic.model.SemanticModel",
    "models.tfidf.estimator.MultiLabelLinearClassifier",
    "models.tfidf.model.TfidfIndicatorModel",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
})


def load_skops(path: Path, trusted: frozenset[str] = TRUSTED_SKOPS_TYPES) -> Any:
    """Load a skops file holding only skops's safe types and the `trusted` ones (exact
    names); a file with any other type is refused, naming it, before anything is built."""
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # a damaged or hand-made file: refuse it, never guess
        raise ArtifactError(f"{path}: not a readable skops file ({exc})") from exc
    refused = sorted(set(untrusted) - trusted)
    if refused:
        raise ArtifactError(f"{path}: refusing to load untrusted types {refused}")
    return sio.load(path, trusted=untrusted)
