"""`indicators.rules.v3`: v2 and the vocabulary of third-party retellings
(patterns/vocabulary/<lang>-3.yaml). The es and pt tables are in vocabulary_v3_es.py and
vocabulary_v3_pt.py; v2's quiet cases must stay quiet in v3."""

from __future__ import annotations

import pytest

from tests import test_vocabulary as v2_cases
from tests import vocabulary_v3_es, vocabulary_v3_pt

FIRES = vocabulary_v3_es.FIRES + vocabulary_v3_pt.FIRES
QUIET = vocabulary_v3_es.QUIET + vocabulary_v3_pt.QUIET + v2_cases.QUIET


@pytest.fixture(scope="module")
def rules_v3():
    from models.registry import load_detector

    return load_detector("indicators.rules.v3")


_hits = v2_cases._hits


@pytest.mark.parametrize(("lang", "country", "text", "indicator", "piece"), FIRES,
                         ids=[f"{c[0]}-{c[3]}-{i}" for i, c in enumerate(FIRES)])
def test_v3_vocabulary_fires(rules_v3, lang: str, country: str, text: str, indicator: str,
                             piece: str) -> None:
    assert rules_v3.ref.version == "3"
    v2_cases.assert_fires(rules_v3, lang, country, text, indicator, piece)


@pytest.mark.parametrize(("lang", "country", "text", "indicator"), QUIET,
                         ids=[f"{c[0]}-{c[3]}-{i}" for i, c in enumerate(QUIET)])
def test_v3_vocabulary_stays_quiet(rules_v3, lang: str, country: str, text: str,
                                   indicator: str) -> None:
    assert indicator not in _hits(rules_v3, lang, country, text)


def test_v3_adds_to_v2_without_changing_it(rules_v3) -> None:
    from models.registry import load_detector

    v2 = load_detector("indicators.rules.v2")
    missed_by_v2 = [case for case in FIRES if case[3] not in _hits(v2, *case[:3])]
    assert missed_by_v2, "every v3 case is already found by v2: the tables test nothing new"
    assert (v2.ref.version, rules_v3.ref.version) == ("2", "3")
    assert v2.ref.sha256 != rules_v3.ref.sha256


def test_lists_from_shares_a_sibling_files_lists(tmp_path) -> None:
    """A vocabulary file's `lists_from` takes a sibling's lists; a change to the sibling
    changes the compiled cache key of the file that uses it."""
    from models.nlp import blank
    from models.rules.lexicon import PatternFileError, lexicon_cache_key, load_lexicon
    from corpora.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    (tmp_path / "es.yaml").write_text(
        "lang: es\nlists:\n  papers: [pasaporte, papeles]\n", encoding="utf-8")
    user = tmp_path / "es-3.yaml"
    user.write_text("lang: es\nlists_from: es.yaml\nindicators:\n  DOCS_HANDLED:\n"
                    "    - pattern: [{LOWER: tramitamos}, {LIST: papers}]\n", encoding="utf-8")
    lexicon = load_lexicon("es", taxonomy, blank("es").tokenizer, user)
    (rule,) = [r for r in lexicon.rules if r.indicator == "DOCS_HANDLED"]
    assert "papeles" in str(rule.tokens)
    key = lexicon_cache_key(user, taxonomy)
    (tmp_path / "es.yaml").write_text(
        "lang: es\nlists:\n  papers: [pasaporte, papeles, visa]\n", encoding="utf-8")
    assert lexicon_cache_key(user, taxonomy) != key
    (tmp_path / "es.yaml").unlink()
    with pytest.raises(PatternFileError, match="lists_from es.yaml"):
        load_lexicon("es", taxonomy, blank("es").tokenizer, user)


def test_entries_of_several_words_inline_match_as_a_sequence(tmp_path) -> None:
    """`LOWER: {IN: [...]}` entries of several words match as that many tokens, like a
    list's (they once compiled to one token that could never match)."""
    from corpora.taxonomy import load_taxonomy
    from models.risk import load_risk_policy
    from models.rules.detector import RulesDetector
    from models.rules.lexicon import PatternFileError

    (tmp_path / "es.yaml").write_text(
        "lang: es\nindicators:\n  DOCS_HANDLED:\n    - pattern: [{LOWER: {IN: [visa, \"visa de"
        " trabajo\"]}}, {LOWER: {IN: [incluida, \"por nuestra cuenta\"]}, OP: \"?\"},"
        " {LOWER: garantizada}]\n", encoding="utf-8")
    (tmp_path / "pt.yaml").write_text("lang: pt\n", encoding="utf-8")
    detector = RulesDetector(load_taxonomy(), load_risk_policy(), tmp_path)
    for text, found in [("visa de trabajo incluida garantizada", True),
                        ("visa por nuestra cuenta garantizada", True),
                        ("visa de trabajo garantizada", True),
                        ("trabajo garantizada", False)]:
        hits = _hits(detector, "es", "MX", text)
        assert ("DOCS_HANDLED" in hits) is found, text
    (tmp_path / "es.yaml").write_text(
        "lang: es\nindicators:\n  DOCS_HANDLED:\n    - pattern: [{LOWER: {IN: [\"visa de"
        " trabajo\"]}, OP: \"+\"}]\n", encoding="utf-8")
    with pytest.raises(PatternFileError, match="several words"):
        RulesDetector(load_taxonomy(), load_risk_policy(), tmp_path)
