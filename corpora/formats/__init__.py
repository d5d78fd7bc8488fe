"""Labelled ads in and out of other annotation tools, with round trips that lose nothing.

| format | module | unit | file |
|---|---|---|---|
| `labelstudio` | `labelstudio.py` | one task per ad: every trainer's annotation, the model's pre-annotation | one JSON array; `labelstudio.xml` is the matching labelling config |
| `doccano` | `doccano.py` | one line per annotation (an ad with no annotation: one unlabelled line) | JSONL |
| `docbin` | `docbin.py` | one spaCy `Doc` per annotation, spans in `doc.spans["sc"]`, indicators in `doc.cats` | `.spacy` |
| `datasets` | `hfdataset.py` | one row per annotation, with explicit `datasets.Features` | Parquet |

Every format carries `AnnotatedAd` records (corpora/records.py). Offsets are Python string
indices into the ad text (Unicode code points; Label Studio and doccano count the same
way), and every span read back is checked against the text. Reading never stops at a bad
task or line: each problem names its place and the rest still loads.

Exports pseudonymise contacts by default (`redaction.py`): phones, e-mails and handles
become their HMAC pseudonym under the install key, and spans move with the text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from corpora.records import Ad, AnnotatedAd, Annotation, Evidence
from corpora.taxonomy import Taxonomy, load_taxonomy


class FormatError(ValueError):
    """A file cannot be read in the format asked for; the message says where and why."""


@dataclass(frozen=True)
class FormatProblem:
    """A task, line or document that could not become an AnnotatedAd."""

    location: str
    message: str


@dataclass
class ReadResult:
    """What a file held: the ads read and the problems met on the way."""

    items: list[AnnotatedAd] = field(default_factory=list)
    problems: list[FormatProblem] = field(default_factory=list)


@dataclass(frozen=True)
class ExchangeFormat:
    name: str
    suffix: str
    write: Callable[[Sequence[AnnotatedAd], Path, Taxonomy], int]
    read: Callable[[Path, Taxonomy, str | None], ReadResult]


def _formats() -> dict[str, ExchangeFormat]:
    from corpora.formats import docbin, doccano, hfdataset, labelstudio

    return {
        "labelstudio": ExchangeFormat("labelstudio", ".json", labelstudio.write_labelstudio,
                                      labelstudio.read_labelstudio),
        "doccano": ExchangeFormat("doccano", ".jsonl", doccano.write_doccano,
                                  doccano.read_doccano),
        "docbin": ExchangeFormat("docbin", ".spacy", docbin.write_docbin, docbin.read_docbin),
        "datasets": ExchangeFormat("datasets", ".parquet", hfdataset.write_parquet,
                                   hfdataset.read_parquet),
    }


FORMAT_NAMES: tuple[str, ...] = ("labelstudio", "doccano", "docbin", "datasets")


def exchange_format(name: str) -> ExchangeFormat:
    formats = _formats()
    if name not in formats:
        raise FormatError(f"unknown format {name!r}; use one of {', '.join(FORMAT_NAMES)}")
    return formats[name]


def write_annotated(items: Sequence[AnnotatedAd], path: Path, fmt: str, *,
                    key: bytes | None, raw_contacts: bool = False,
                    taxonomy: Taxonomy | None = None) -> int:
    """Write `items` to `path` in format `fmt`; returns how many records were written.

    Contacts are pseudonymised with the install `key` (see `redaction.py`) unless
    `raw_contacts` is asked for (the caller audits that).
    """
    if not raw_contacts:
        if key is None:
            raise ValueError("exports pseudonymise contacts: pass the install key, or ask "
                             "for raw contacts explicitly")
        from corpora.formats.redaction import pseudonymise_annotated

        items = [pseudonymise_annotated(item, key) for item in items]
    return exchange_format(fmt).write(items, Path(path), taxonomy or load_taxonomy())


def read_annotated(path: Path, fmt: str, *, taxonomy: Taxonomy | None = None,
                   annotator: str | None = None) -> ReadResult:
    """Read `path` in format `fmt`. `annotator` names whoever labelled a file that does not
    say (a doccano export, a DocBin made elsewhere)."""
    path = Path(path)
    if not path.exists():
        raise FormatError(f"{path}: no such file")
    return exchange_format(fmt).read(path, taxonomy or load_taxonomy(), annotator)


def check_indicators(ids: Sequence[str], taxonomy: Taxonomy) -> None:
    """Raise ValueError naming ids that are not in the taxonomy."""
    unknown = sorted(set(ids) - set(taxonomy.ids))
    if unknown:
        raise ValueError(f"unknown indicator ids {unknown}")


def ad_fields(item: AnnotatedAd) -> dict[str, Any]:
    """The ad's fields other than its text, JSON-ready (what a format keeps as metadata)."""
    return item.ad.model_dump(mode="json", exclude={"text", "content_hash"})


def make_annotation(ad: Ad, annotator: str | None, indicators: Sequence[str],
                    evidence: dict[str, list[Evidence]], risk: str | None,
                    created_at: str | None, taxonomy: Taxonomy) -> Annotation | None:
    """Labels read from a file as an Annotation; None for an ad nobody labelled yet.
    ValueError when the labels are incomplete (no risk, nobody named) or unknown."""
    marked = list(dict.fromkeys([*indicators, *evidence]))  # a span marks its indicator
    check_indicators(marked, taxonomy)
    if risk is None:
        if marked:
            raise ValueError("labelled but no risk")
        return None
    if not annotator:
        raise ValueError("nothing says who labelled it; pass an annotator name")
    when = {"created_at": datetime.fromisoformat(created_at)} if created_at else {}
    return Annotation(ad_id=ad.id, annotator=str(annotator), indicators=marked,
                      evidence=evidence, risk=risk, **when)


class AdCollector:
    """Rows read one annotation at a time, joined per ad id in first-seen order."""

    def __init__(self) -> None:
        self._ads: dict[str, Ad] = {}
        self._annotations: dict[str, list[Annotation]] = {}

    def add(self, ad: Ad, annotation: Annotation | None) -> None:
        """Add one row; ValueError when the ad id came earlier with another text."""
        known = self._ads.setdefault(ad.id, ad)
        if known.text != ad.text:
            raise ValueError(f"ad {ad.id!r} appears earlier with another text")
        self._annotations.setdefault(ad.id, [])
        if annotation is not None:
            self._annotations[ad.id].append(annotation)

    def items(self) -> list[AnnotatedAd]:
        return [AnnotatedAd(ad=ad, annotations=self._annotations[ad_id])
                for ad_id, ad in self._ads.items()]
