"""The compiled rules are kept in the data folder, keyed by what they are made from."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from corpora.records import Ad
from corpora.taxonomy import load_taxonomy
from models.nlp import blank
from models.rules.detector import build_rules_detector
from models.rules.lexicon import (
    PATTERNS_DIR,
    PatternFileError,
    cached_lexicon,
    lexicon_from_json,
    lexicon_to_json,
    load_lexicon,
)

ADS = [
    Ad(id="1", lang="es", text="Viaje pagado a Europa, sin papeles, te guardamos el pasaporte."),
    Ad(id="2", lang="es", text="No cobramos inscripción. Cajero para tienda, sueldo de ley."),
    Ad(id="3", lang="pt", text="Vaga urgente no exterior, passagem paga e sem experiência."),
]


def _hits(detector):
    return [[(h.id, h.score, [(e.start, e.end) for e in h.evidence]) for h in hits]
            for hits in detector.detect_hits(ADS)]


def _copy_patterns(tmp_path: Path) -> Path:
    folder = tmp_path / "patterns"
    shutil.copytree(PATTERNS_DIR, folder)
    return folder


@pytest.mark.parametrize("lang", ["es", "pt"])
def test_a_compiled_lexicon_survives_json_unchanged(lang):
    lexicon = load_lexicon(lang, load_taxonomy(), blank(lang).tokenizer)
    assert lexicon_from_json(lexicon_to_json(lexicon)) == lexicon


def test_second_build_reads_the_cache_and_finds_the_same(tmp_path, monkeypatch):
    home, patterns = tmp_path / "home", _copy_patterns(tmp_path)
    first = build_rules_detector(patterns, home=home)
    cached = sorted((home / "cache").glob("rules-*.json"))
    assert [p.name.split("-")[1] for p in cached] == ["es", "pt"]

    def no_compiling(*args, **kwargs):
        raise AssertionError("compiled again although the cache is current")

    monkeypatch.setattr("models.rules.lexicon.load_lexicon", no_compiling)
    second = build_rules_detector(patterns, home=home)
    assert _hits(second) == _hits(first) and any(_hits(first))


def test_an_edited_pattern_file_is_compiled_again(tmp_path):
    home, patterns = tmp_path / "home", _copy_patterns(tmp_path)
    build_rules_detector(patterns, home=home)
    es = patterns / "es.yaml"
    text = es.read_text("utf-8")
    assert "\n  URGENCY:\n" in text
    es.write_text(text.replace("\n  URGENCY:\n", "\n  URGENCY:\n    - phrase: zzgato azulzz\n", 1),
                  "utf-8")
    detector = build_rules_detector(patterns, home=home)
    [hits] = detector.detect_hits([Ad(id="x", lang="es", text="Ven ya, zzgato azulzz.")])
    assert [h.id for h in hits] == ["URGENCY"]
    assert len(list((home / "cache").glob("rules-es-*.json"))) == 2


def test_an_unreadable_cache_file_is_compiled_again(tmp_path, caplog):
    home, patterns = tmp_path / "home", _copy_patterns(tmp_path)
    expected = _hits(build_rules_detector(patterns, home=home))
    for path in (home / "cache").glob("rules-*.json"):
        path.write_text('{"lang": "es", "rules": [', "utf-8")
    assert _hits(build_rules_detector(patterns, home=home)) == expected
    assert "unreadable" in caplog.text


def test_a_cache_folder_that_cannot_be_written_still_builds(tmp_path):
    blocked = tmp_path / "home"
    blocked.write_text("a file where the folder would be", "utf-8")
    assert _hits(build_rules_detector(_copy_patterns(tmp_path), home=blocked))


def test_an_invalid_token_pattern_is_an_error_on_compiling(tmp_path):
    folder = tmp_path / "patterns"
    folder.mkdir()
    head = "lang: {lang}\nindicators:\n  URGENCY:\n"
    (folder / "es.yaml").write_text(
        head.format(lang="es") + "    - pattern: [{LOWER: ya, OP: '%'}]\n", "utf-8")
    (folder / "pt.yaml").write_text(head.format(lang="pt") + "    - phrase: urgente\n", "utf-8")
    with pytest.raises(PatternFileError, match="indicators.URGENCY rule 1"):
        cached_lexicon("es", load_taxonomy(), blank("es").tokenizer, folder / "es.yaml",
                       tmp_path / "cache")
    assert not list((tmp_path / "cache").glob("*.json"))
