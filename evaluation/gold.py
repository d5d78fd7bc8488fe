"""Gold files: labelled texts in the corpus schema, from anywhere, for `evaluate --gold`.

A gold file is JSON Lines with the fields of a corpus ad (`id`, `lang`, `text`,
`indicators`, `evidence`, `risk`; `country` optional). Other fields (`source_url`,
`quote`, `note`, a `kind` or `source` outside the corpus's lists) are not part of the
labels: they are kept only as grouping values for `--by`. Evidence is either corpus spans
(`{start, end, text}`) or plain strings, each an exact substring of the text (its first
occurrence is the span).

Grouping fields: `--by FIELD` splits the figures by the values of any string field of the
records (`quote`, `lang`, `country`, ...), and for the corpus also by `wave` and `batch`.
A field with a different value on most records (an id, a note) is not a grouping: it would
only copy record contents into the report, so it is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from corpora.corpus import CorpusError, Splits, batch_of
from corpora.records import Ad, Evidence, LabelledAd, Risk
from corpora.sources.jsonl import read_jsonl
from corpora.taxonomy import Taxonomy

MISSING = "(missing)"
NOT_GROUPED = frozenset({"text", "evidence", "indicators", "id"})
MAX_GROUPS = 30


class GoldAd(BaseModel):
    """One gold record: the labels an evaluation needs, extra fields ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    lang: Literal["es", "pt"]
    country: str | None = None
    text: str
    indicators: list[str] = []
    evidence: dict[str, list[Evidence]] = {}
    risk: Risk

    @field_validator("evidence", mode="before")
    @classmethod
    def _spans(cls, value: Any, info: Any) -> Any:
        text = info.data.get("text")
        if not isinstance(value, dict) or not isinstance(text, str):
            return value
        out = {}
        for indicator, spans in value.items():
            out[indicator] = [_span(text, indicator, s) if isinstance(s, str) else s
                              for s in (spans if isinstance(spans, list) else [spans])]
        return out

    @model_validator(mode="after")
    def _check(self) -> GoldAd:
        for indicator, spans in self.evidence.items():
            if indicator not in self.indicators:
                raise ValueError(f"evidence for {indicator}, which is not in indicators")
            for span in spans:
                if self.text[span.start:span.end] != span.text:
                    raise ValueError(f"{indicator}: evidence {span.start}-{span.end} does not "
                                     "match the text there")
        return self

    def to_ad(self) -> Ad:
        return Ad(id=self.id, source="gold", lang=self.lang, country=self.country,
                  text=self.text)


def _span(text: str, indicator: str, phrase: str) -> Evidence:
    start = text.find(phrase)
    if start < 0 or not phrase:
        raise ValueError(f"{indicator}: evidence is not a substring of the text")
    return Evidence.from_text(text, start, start + len(phrase))


@dataclass
class GoldSet:
    """The gold records of one or more files, with each record's string fields."""

    ads: list[GoldAd] = field(default_factory=list)
    fields: list[dict[str, str]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        return {"split": "gold", "gold_files": [str(p) for p in self.files],
                "ads": len(self.ads), "bad_lines": 0,
                "by_lang": {lang: sum(a.lang == lang for a in self.ads) for lang in ("es", "pt")},
                "gold_high": {lang: sum(a.lang == lang and a.risk == "high" for a in self.ads)
                              for lang in ("es", "pt")}}


def load_gold(paths: Sequence[Path], taxonomy: Taxonomy) -> GoldSet:
    """Read gold files; any bad line is a CorpusError naming `file:line` and why (a gold
    set with a silently dropped record would give figures on a different set)."""
    gold = GoldSet()
    seen: dict[str, str] = {}
    problems: list[str] = []
    for path in map(Path, paths):
        gold.files.append(path.resolve())
        try:
            stream = path.open("rb")
        except OSError as exc:
            raise CorpusError(f"{path}: cannot read gold file: {exc}") from exc
        with stream:
            for record in read_jsonl(stream, str(path)):
                if record.error is not None:
                    problems.append(f"{record.location}: {record.error}")
                    continue
                try:
                    ad = GoldAd.model_validate(record.data)
                except ValidationError as exc:
                    problems.append(f"{record.location}: " + "; ".join(
                        f"{'.'.join(map(str, e['loc'])) or 'record'}: {e['msg']}"
                        for e in exc.errors()))
                    continue
                unknown = sorted(set(ad.indicators) - set(taxonomy.ids))
                if unknown:
                    problems.append(f"{record.location}: unknown indicator ids {unknown}")
                    continue
                if ad.id in seen:
                    problems.append(f"{record.location}: id {ad.id!r} already at {seen[ad.id]}")
                    continue
                seen[ad.id] = record.location
                gold.ads.append(ad)
                gold.fields.append({k: v for k, v in record.data.items()
                                    if isinstance(v, str) and k not in NOT_GROUPED})
    if problems:
        shown = "\n  ".join(problems[:10])
        more = f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise CorpusError(f"{len(problems)} bad gold record(s):\n  {shown}{more}")
    if not gold.ads:
        raise CorpusError("the gold files hold no record")
    return gold


def corpus_fields(ads: Sequence[LabelledAd], splits: Splits) -> list[dict[str, str]]:
    """The grouping fields of corpus ads: their string fields plus `wave` and `batch`."""
    return [{"lang": ad.lang, "country": ad.country, "source": ad.source, "kind": ad.kind,
             "risk": ad.risk, "batch": batch_of(ad.id), "wave": splits.wave_of(ad.id) or MISSING}
            for ad in ads]


def group_values(fields: Sequence[dict[str, str]], names: Sequence[str]) -> dict[str, list[str]]:
    """Per `--by` field, each record's value (MISSING where it has none). A field that no
    record has, or one with more than MAX_GROUPS values or a value for nearly every record
    (not a grouping), is a CorpusError."""
    out = {}
    known = sorted({k for f in fields for k in f})
    for name in names:
        if name in NOT_GROUPED or not any(name in f for f in fields):
            raise CorpusError(f"cannot split by {name!r}: grouping fields here are "
                              f"{', '.join(known) or 'none'}")
        values = [f.get(name, MISSING) for f in fields]
        distinct = len(set(values))
        if distinct > 1 and distinct > min(MAX_GROUPS, len(values) / 2):
            raise CorpusError(f"cannot split by {name!r}: it has {distinct} different values "
                              f"among {len(values)} records; it is not a grouping field")
        out[name] = values
    return out
