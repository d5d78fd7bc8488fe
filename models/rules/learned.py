"""Rule data learned from trainers: phrases accepted on the new-wording page, published as
a new rules version after the shipped ones (`indicators.rules.v1` to `v3`): `v4`, `v5`...

A version is one YAML file, `<CENTINELA_HOME>/rules/indicators.rules.v<N>.yaml`, written
once and never edited (a change is the next version). It holds every phrase published so
far, each with its provenance: who accepted it for which indicator and when, the ads it
was found in (ids only, never their text), its G2 and the version it first appeared in.
The detector `indicators.rules.v<N>` is the latest shipped version's pattern files
(`models.rules.detector.VERSIONS`) plus these phrases, each a `phrase:` rule of its indicator, with
the same negation handling as every rule.

`publish` checks a new version before keeping it: the file must load, and each new phrase
must fire for its indicator on at least one of the ads it was found in; otherwise the file
is removed and the error names the phrase.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from corpora.records import Ad
from corpora.taxonomy import load_taxonomy
from corpora.yamlload import load_yaml
from models.artifacts import cache_root
from models.rules.detector import LANGS, LATEST_SHIPPED, NAME, VERSIONS, RulesDetector
from models.rules.lexicon import PATTERNS_DIR

_FILE = re.compile(rf"^{re.escape(NAME)}\.v(\d+)\.yaml$")


class LearnedRulesError(ValueError):
    """A learned rules version that cannot be published or loaded; the message says why."""


@dataclass(frozen=True)
class LearnedPhrase:
    """An accepted phrase with its provenance. `examples` are texts of ads it was found in,
    used only to check a new version (never written to the file)."""

    phrase_id: int
    lang: str
    phrase: str
    indicator: str
    accepted_by: str
    accepted_at: str  # ISO 8601, UTC
    ads: list[str]
    llr: float
    since: int | None = None  # the version it was first published in
    examples: list[Ad] = field(default_factory=list, compare=False)


@dataclass(frozen=True)
class LearnedVersion:
    version: int
    path: Path
    published_by: str
    published_at: str
    phrases: list[LearnedPhrase]

    @property
    def name(self) -> str:
        return f"{NAME}.v{self.version}"


def rules_dir(home: Path) -> Path:
    return Path(home) / "rules"


def published_versions(home: Path | None) -> list[int]:
    """The learned versions published under `home`, oldest first (none without one)."""
    if home is None:
        return []
    folder = rules_dir(home)
    if not folder.is_dir():
        return []
    return sorted(int(m[1]) for p in folder.iterdir() if (m := _FILE.match(p.name)))


def load_version(version: int, home: Path) -> LearnedVersion:
    path = rules_dir(home) / f"{NAME}.v{version}.yaml"
    # a file numbered like a shipped version (published when fewer were shipped) still
    # loads here, so that the next version carries its phrases forward
    if not path.is_file():
        raise LearnedRulesError(
            f"no learned rules version {NAME}.v{version} in {rules_dir(home)}; published: "
            + (", ".join(f"v{n}" for n in published_versions(home)) or "none"))
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
        phrases = [LearnedPhrase(**{k: v for k, v in item.items()})
                   for item in data["phrases"]]
        if data["version"] != version:
            raise ValueError(f"the file says version {data['version']}")
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise LearnedRulesError(f"{path}: not a learned rules file: {exc}") from exc
    return LearnedVersion(version, path, data["published_by"], data["published_at"], phrases)


def extra_rules(learned: LearnedVersion) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """lang -> indicator -> pattern-file rules, one `phrase:` rule per learned phrase."""
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for p in learned.phrases:
        out.setdefault(p.lang, {}).setdefault(p.indicator, []).append(
            {"phrase": p.phrase, "note": f"learned phrase {p.phrase_id}, accepted by "
                                         f"{p.accepted_by} (v{p.since})"})
    return out


def build_learned_rules_detector(version: int, home: Path,
                                 patterns_dir: Path | None = None) -> RulesDetector:
    """`indicators.rules.v<version>`: the latest shipped patterns plus that version's
    phrases."""
    from models.risk import load_risk_policy

    learned = load_version(version, home)
    return RulesDetector(load_taxonomy(), load_risk_policy(), patterns_dir or PATTERNS_DIR,
                         version=str(version), files=VERSIONS[LATEST_SHIPPED],
                         extra=extra_rules(learned), extra_files=[learned.path],
                         cache_dir=cache_root(home))


def publish(phrases: Sequence[LearnedPhrase], *, actor: str, home: Path,
            patterns_dir: Path | None = None) -> LearnedVersion:
    """Write the next version: the latest one's phrases plus `phrases` (those not in it
    yet), checked as the module says. Raises LearnedRulesError when there is nothing new
    or a phrase is unfit."""
    taxonomy = load_taxonomy()
    versions = published_versions(home)
    previous = load_version(versions[-1], home).phrases if versions else []
    known = {p.phrase_id for p in previous}
    version = (versions[-1] if versions else int(LATEST_SHIPPED)) + 1
    new = [p for p in dict((p.phrase_id, p) for p in phrases).values() if p.phrase_id not in known]
    if not new:
        raise LearnedRulesError("no accepted phrase left to publish")
    for p in new:
        if p.lang not in LANGS:
            raise LearnedRulesError(f"phrase {p.phrase_id}: language {p.lang!r} has no rules")
        if p.indicator not in taxonomy.ids:
            raise LearnedRulesError(f"phrase {p.phrase_id}: unknown indicator {p.indicator!r}")
        if not p.phrase.strip():
            raise LearnedRulesError(f"phrase {p.phrase_id} is empty")
    stamped = [*previous, *(_since(p, version) for p in new)]
    folder = rules_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{NAME}.v{version}.yaml"
    published_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    document = {
        "name": NAME, "version": version, "base": f"{NAME}.v{LATEST_SHIPPED}",
        "published_by": actor, "published_at": published_at,
        "phrases": [{k: v for k, v in asdict(p).items() if k != "examples"} for p in stamped],
    }
    header = (f"# {NAME}.v{version}: the shipped patterns ({NAME}.v{LATEST_SHIPPED}) plus phrases "
              "trainers accepted.\n# Written by `centinela wording publish`; never edit it: "
              "publishing again writes the next version.\n")
    try:
        with path.open("x", encoding="utf-8") as out:  # never over an existing version
            out.write(header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    except FileExistsError:
        raise LearnedRulesError(f"{path} exists already; versions are never rewritten") \
            from None
    try:
        _check(build_learned_rules_detector(version, home, patterns_dir), new)
    except Exception:
        path.unlink()
        raise
    return load_version(version, home)


def _since(phrase: LearnedPhrase, version: int) -> LearnedPhrase:
    values = asdict(phrase)
    values.update(since=version, examples=phrase.examples)
    return LearnedPhrase(**values)


def _check(detector: RulesDetector, new: Sequence[LearnedPhrase]) -> None:
    for p in new:
        if not p.examples:
            raise LearnedRulesError(f"phrase {p.phrase_id} ({p.phrase!r}): no example ad to "
                                    "test it on")
        hits = detector.detect_hits(p.examples)
        if not any(hit.id == p.indicator for ad_hits in hits for hit in ad_hits):
            raise LearnedRulesError(
                f"phrase {p.phrase_id} ({p.phrase!r}) does not fire for {p.indicator} on any "
                "of the ads it was found in (a negation or an exclusion stops it); dismiss it "
                "or accept a longer phrase")

