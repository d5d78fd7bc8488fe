"""Load and validate the indicator taxonomy (corpora/taxonomy.yaml).

The taxonomy file is the only place indicator ids are listed; label order everywhere
comes from `Taxonomy.ids`. Loading an official IC-TIP code list is a data change only:
`Taxonomy.with_ictip_codes(path)` fills the `code` of every matching hint.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from corpora.records import Strength
from corpora.yamlload import load_yaml

TAXONOMY_PATH = Path(__file__).with_name("taxonomy.yaml")
_ID_RE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")


class TaxonomyError(ValueError):
    """The taxonomy file or an IC-TIP code list is not valid; the message says where."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IctipHint(_Strict):
    unit: Literal["event", "victim", "perpetrator", "reporting entity"]
    variable: str
    label: str
    code: str | None = None
    code_status: Literal["inferred-label", "official"] = "inferred-label"

    @model_validator(mode="after")
    def _code_matches_status(self) -> IctipHint:
        if (self.code is None) != (self.code_status == "inferred-label"):
            raise ValueError("an IC-TIP hint has a code exactly when its code_status is 'official'")
        return self


class IloItem(_Strict):
    dimension: str
    item: str
    grade: Strength


class Indicator(_Strict):
    id: str
    strength: Strength
    name: dict[str, str]
    definition: dict[str, str]
    ictip: list[IctipHint]
    ilo_2009: IloItem | None = None
    htcds: str | None = None

    @field_validator("id")
    @classmethod
    def _id_format(cls, value: str) -> str:
        if not _ID_RE.match(value):
            raise ValueError(f"indicator id {value!r} is not UPPER_SNAKE")
        return value


class Taxonomy(_Strict):
    version: str
    languages: list[str]
    indicators: list[Indicator]

    @model_validator(mode="after")
    def _check(self) -> Taxonomy:
        seen: set[str] = set()
        for ind in self.indicators:
            if ind.id in seen:
                raise ValueError(f"duplicate indicator id {ind.id}")
            seen.add(ind.id)
            for field in ("name", "definition"):
                missing = set(self.languages) - set(getattr(ind, field))
                if missing:
                    raise ValueError(f"{ind.id}: {field} is missing languages {sorted(missing)}")
            if not ind.ictip:
                raise ValueError(f"{ind.id}: at least one IC-TIP hint is needed")
        return self

    @property
    def ids(self) -> tuple[str, ...]:
        """Indicator ids in file order: the label order used everywhere."""
        return tuple(ind.id for ind in self.indicators)

    def get(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise TaxonomyError(f"unknown indicator id {indicator_id!r}; known: {', '.join(self.ids)}")

    def strengths(self, ids: Sequence[str]) -> list[Strength]:
        """The strength of each of `ids`, in order."""
        return [self.get(indicator_id).strength for indicator_id in ids]

    def check_ids(self, ids: list[str] | set[str], where: str) -> None:
        """Raise a TaxonomyError naming `where` if any id is not in the taxonomy."""
        unknown = sorted(set(ids) - set(self.ids))
        if unknown:
            raise TaxonomyError(f"{where}: unknown indicator ids {unknown}")

    def with_ictip_codes(self, path: Path) -> Taxonomy:
        """A copy with official IC-TIP codes from a YAML/JSON list of
        `{unit, variable, label, code}` rows; every row must match a hint."""
        try:
            rows = load_yaml(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise TaxonomyError(f"{path}: cannot read IC-TIP code list: {exc}") from exc
        if not isinstance(rows, list):
            raise TaxonomyError(f"{path}: expected a list of {{unit, variable, label, code}}")
        codes: dict[tuple[str, str, str], str] = {}
        for n, row in enumerate(rows, 1):
            if not isinstance(row, dict) or not {"unit", "variable", "label", "code"} <= row.keys():
                raise TaxonomyError(f"{path}: row {n} needs unit, variable, label and code")
            codes[(row["unit"], row["variable"], row["label"])] = str(row["code"])
        known = {(h.unit, h.variable, h.label) for ind in self.indicators for h in ind.ictip}
        unknown = sorted(set(codes) - known)
        if unknown:
            raise TaxonomyError(f"{path}: rows match no hint in the taxonomy: {unknown}")
        indicators = [
            ind.model_copy(update={"ictip": [
                h.model_copy(update={"code": codes[key], "code_status": "official"})
                if (key := (h.unit, h.variable, h.label)) in codes else h
                for h in ind.ictip
            ]})
            for ind in self.indicators
        ]
        return self.model_copy(update={"indicators": indicators})


def parse_taxonomy(text: str, where: str = "taxonomy") -> Taxonomy:
    """Validate taxonomy YAML text; errors name `where` and what is wrong."""
    try:
        data = load_yaml(text)
        return Taxonomy.model_validate(data)
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{where}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'file'}: {err['msg']}" for err in exc.errors()
        )
        raise TaxonomyError(f"{where}: {problems}") from exc


@cache
def load_taxonomy(path: Path = TAXONOMY_PATH) -> Taxonomy:
    """Load the taxonomy file (cached per path)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise TaxonomyError(f"{path}: cannot read taxonomy: {exc}") from exc
    return parse_taxonomy(text, str(path))
