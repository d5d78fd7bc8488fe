"""The seed corpus on disk: hand-written labelled ads and their stored train/dev/test split.

Layout under the corpus root (default `corpora/seed/`):

- `ads/*.jsonl`: the hand-written ads, one `LabelledAd` per line;
- `augmented/*.jsonl`: machine-made variants, if the folder ever exists; loaded only on
  request and flagged, so they never count as hand-written data;
- `splits.json`: the stored split (written by `centinela corpus split`, never moved once
  results are reported).

Loading never stops at a bad line: every problem names its file and line, and the good
records still load.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from corpora.records import LabelledAd
from corpora.sources.jsonl import read_jsonl

SEED_DIR = Path(__file__).with_name("seed")
SPLITS_PATH = SEED_DIR / "splits.json"
ADS_FOLDER = "ads"
AUGMENTED_FOLDER = "augmented"
SPLIT_NAMES: tuple[str, ...] = ("train", "dev", "test")


class CorpusError(ValueError):
    """The corpus or its splits file cannot be used as asked; the message says where and why."""


class SplitsExistError(CorpusError):
    """A splits file is already there and overwriting it was not asked for."""


@dataclass(frozen=True)
class CorpusEntry:
    """One loaded ad and where it came from (`augmented` for machine-made variants)."""

    ad: LabelledAd
    path: Path
    line: int
    augmented: bool = False

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class LoadProblem:
    """A line that could not become a LabelledAd."""

    location: str
    message: str


@dataclass
class Corpus:
    """The loaded ads, the lines that failed, and the files read."""

    entries: list[CorpusEntry] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    @property
    def ads(self) -> list[LabelledAd]:
        """The hand-written ads (augmented ones excluded), in file and line order."""
        return [entry.ad for entry in self.entries if not entry.augmented]

    @property
    def augmented(self) -> list[LabelledAd]:
        return [entry.ad for entry in self.entries if entry.augmented]

    def gaps(self, wanted: Iterable[str], limit: int = 5) -> str | None:
        """Why some of the `wanted` ad ids have no ad here (unreadable lines with their
        file, line and cause; files with no ad), or None when every one is here."""
        have = {entry.ad.id for entry in self.entries}
        missing = [ad_id for ad_id in dict.fromkeys(wanted) if ad_id not in have]
        if not missing:
            return None
        shown = ", ".join(missing[:limit]) + (" ..." if len(missing) > limit else "")
        parts = [f"{len(missing)} ads named by the splits are not in the corpus ({shown})"]
        if self.problems:
            lines = "; ".join(f"{p.location}: {p.message}" for p in self.problems[:limit])
            more = f" and {len(self.problems) - limit} more" if len(self.problems) > limit else ""
            parts.append(f"unreadable lines: {lines}{more}")
        used = {entry.path for entry in self.entries}
        bad = {p.location.rpartition(":")[0] for p in self.problems}
        if empty := [f.name for f in self.files if f not in used and str(f) not in bad]:
            parts.append(f"files with no ad: {', '.join(empty)}")
        return "; ".join(parts) + ". A corpus file may be missing, empty or cut short: " \
                                  "run `centinela corpus check`"


def load_corpus(root: Path = SEED_DIR, *, include_augmented: bool = False) -> Corpus:
    """Read `root/ads/*.jsonl` (and `root/augmented/*.jsonl` when asked) in name order.

    A line that is not JSON, or not a valid LabelledAd, becomes a LoadProblem naming
    `file:line` and the field at fault; the other lines still load.
    """
    root = Path(root)
    ads_dir = root / ADS_FOLDER
    if not ads_dir.is_dir():
        raise CorpusError(f"{ads_dir}: no such folder; the corpus root needs an '{ADS_FOLDER}/'")
    corpus = Corpus()
    folders = [(ads_dir, False)]
    if include_augmented and (root / AUGMENTED_FOLDER).is_dir():
        folders.append((root / AUGMENTED_FOLDER, True))
    for folder, augmented in folders:
        for path in sorted(folder.glob("*.jsonl")):
            corpus.files.append(path)
            _load_file(path, augmented, corpus)
    return corpus


def load_labelled_file(path: Path) -> Corpus:
    """Read one JSONL file of labelled ads (e.g. a second annotator's labels)."""
    corpus = Corpus(files=[Path(path)])
    _load_file(Path(path), False, corpus)
    return corpus


def _load_file(path: Path, augmented: bool, corpus: Corpus) -> None:
    with path.open("rb") as stream:
        for record in read_jsonl(stream, str(path)):
            if record.error is not None:
                corpus.problems.append(LoadProblem(record.location, record.error))
                continue
            try:
                ad = LabelledAd.model_validate(record.data)
            except ValidationError as exc:
                corpus.problems.append(LoadProblem(record.location, _describe(exc, record.data)))
                continue
            corpus.entries.append(CorpusEntry(ad, path, record.position, augmented))


def _describe(exc: ValidationError, data: dict[str, Any] | None) -> str:
    ad_id = (data or {}).get("id")
    prefix = f"ad {ad_id!r}: " if isinstance(ad_id, str) and ad_id else ""
    return prefix + "; ".join(
        f"{'.'.join(str(part) for part in err['loc']) or 'record'}: {err['msg']}"
        for err in exc.errors())


def batch_of(ad_id: str) -> str:
    """The writer's batch an ad id belongs to: `es-4-0012` -> `es-4`."""
    return ad_id.rsplit("-", 1)[0]


@dataclass(frozen=True)
class Splits:
    """A stored train/dev/test assignment of ad ids, with how it was made.

    `waves` names the writing waves of the corpus and the batches (file stems such as
    `es-4`) each one holds. A later wave gets its own train/dev/test split and leaves the
    earlier waves' assignment untouched, so every wave keeps a test split of its own.
    """

    seed: int
    method: str
    ratios: dict[str, float]
    near_duplicate_threshold: float
    ids: dict[str, list[str]]
    waves: dict[str, list[str]] = field(default_factory=dict)

    def wave_of(self, ad_id: str) -> str | None:
        """The wave whose batches hold this ad id, or None when no wave lists it."""
        batch = batch_of(ad_id)
        return next((wave for wave, batches in self.waves.items() if batch in batches), None)

    def split_ids(self, name: str, wave: str | None = None) -> list[str]:
        """The ids of one split, optionally of one wave only."""
        if wave is not None and wave not in self.waves:
            raise CorpusError(f"no wave {wave!r} in the splits; waves: {sorted(self.waves)}")
        return [ad_id for ad_id in self.ids[name] if wave is None or self.wave_of(ad_id) == wave]

    def splits_by_id(self) -> dict[str, list[str]]:
        """Each id mapped to every split that lists it (more than one is an error)."""
        where: dict[str, list[str]] = {}
        for name in SPLIT_NAMES:
            for ad_id in self.ids[name]:
                where.setdefault(ad_id, []).append(name)
        return where

    def to_json(self) -> dict[str, Any]:
        return {"seed": self.seed, "method": self.method, "ratios": self.ratios,
                "near_duplicate_threshold": self.near_duplicate_threshold,
                "waves": self.waves, **{name: self.ids[name] for name in SPLIT_NAMES}}


def read_splits(path: Path = SPLITS_PATH) -> Splits:
    """Read a splits file; a missing or malformed file is a CorpusError naming it."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CorpusError(f"{path}: no splits file; make one with `centinela corpus split`") \
            from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise CorpusError(f"{path}: cannot read splits: {exc}") from exc
    missing = [key for key in ("seed", "method", "ratios", *SPLIT_NAMES)
               if not isinstance(data, dict) or key not in data]
    if missing:
        raise CorpusError(f"{path}: missing keys {missing}")
    for name in SPLIT_NAMES:
        if not isinstance(data[name], list) or not all(isinstance(i, str) for i in data[name]):
            raise CorpusError(f"{path}: '{name}' must be a list of ad ids")
    ratios = data["ratios"]
    if not isinstance(ratios, dict) or set(ratios) != set(SPLIT_NAMES):
        raise CorpusError(f"{path}: 'ratios' must give {list(SPLIT_NAMES)}")
    ids = {name: list(data[name]) for name in SPLIT_NAMES}
    waves = data.get("waves")
    if waves is None:  # a file from before waves: one wave, every batch it lists
        waves = {"1": sorted({batch_of(i) for name in SPLIT_NAMES for i in ids[name]})}
    if not isinstance(waves, dict) or not all(
            isinstance(b, list) and all(isinstance(x, str) for x in b) for b in waves.values()):
        raise CorpusError(f"{path}: 'waves' must map wave names to lists of batch names")
    return Splits(seed=int(data["seed"]), method=str(data["method"]),
                  ratios={name: float(ratios[name]) for name in SPLIT_NAMES},
                  near_duplicate_threshold=float(data.get("near_duplicate_threshold", 0.5)),
                  ids=ids, waves={str(k): list(v) for k, v in waves.items()})


def write_splits(splits: Splits, path: Path = SPLITS_PATH, *, force: bool = False) -> Path:
    """Write a splits file. An existing file is kept unless `force`: the test split must not
    move once results have been reported on it."""
    path = Path(path)
    if path.exists() and not force:
        raise SplitsExistError(
            f"{path} already exists; the test split must not move once results are reported. "
            "Overwrite only if no result has been reported on it (--force).")
    if not math.isclose(sum(splits.ratios.values()), 1.0, abs_tol=1e-9):
        raise CorpusError(f"split ratios must sum to 1, got {splits.ratios}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(splits.to_json(), ensure_ascii=False, indent=1) + "\n",
                    encoding="utf-8")
    return path
