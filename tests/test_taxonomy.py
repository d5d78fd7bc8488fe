"""The taxonomy file: 14 ids with three languages and IC-TIP hints; clear loader errors."""

from __future__ import annotations

import pytest
import yaml

from corpora.taxonomy import TAXONOMY_PATH, TaxonomyError, load_taxonomy, parse_taxonomy

RAW = yaml.safe_load(TAXONOMY_PATH.read_text(encoding="utf-8"))


def _text(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True)


def test_taxonomy_has_fourteen_unique_ids_in_contract_form(taxonomy):
    assert len(taxonomy.ids) == 14
    assert len(set(taxonomy.ids)) == 14
    assert all(i.isupper() for i in taxonomy.ids)


def test_every_indicator_has_three_languages_and_inferred_hints(taxonomy):
    for ind in taxonomy.indicators:
        assert set(ind.name) >= {"es", "pt", "en"}
        assert set(ind.definition) >= {"es", "pt", "en"}
        for hint in ind.ictip:
            assert hint.code is None and hint.code_status == "inferred-label"


def test_strengths_follow_the_contract(taxonomy):
    strong = {i.id for i in taxonomy.indicators if i.strength == "strong"}
    assert strong == {"FEE_OR_DEBT", "DOCS_HANDLED", "MINOR_TARGET", "SECRECY",
                      "IRREGULAR_MIGRATION"}


def test_duplicate_id_is_an_error():
    data = RAW | {"indicators": RAW["indicators"] + [RAW["indicators"][0]]}
    with pytest.raises(TaxonomyError, match="duplicate indicator id PAY_UNREALISTIC"):
        parse_taxonomy(_text(data), "dup.yaml")


def test_missing_language_is_an_error():
    first = dict(RAW["indicators"][0], name={"es": "x", "en": "y"})
    data = RAW | {"indicators": [first] + RAW["indicators"][1:]}
    with pytest.raises(TaxonomyError, match=r"missing\.yaml: .*missing languages \['pt'\]"):
        parse_taxonomy(_text(data), "missing.yaml")


def test_badly_formed_id_and_unknown_field_are_errors():
    first = dict(RAW["indicators"][0], id="pay-unrealistic")
    with pytest.raises(TaxonomyError, match="not UPPER_SNAKE"):
        parse_taxonomy(_text(RAW | {"indicators": [first]}), "bad.yaml")
    first = dict(RAW["indicators"][0], colour="red")
    with pytest.raises(TaxonomyError, match="colour"):
        parse_taxonomy(_text(RAW | {"indicators": [first]}), "bad.yaml")


def test_invalid_yaml_names_the_file():
    with pytest.raises(TaxonomyError, match="broken.yaml: not valid YAML"):
        parse_taxonomy("indicators: [", "broken.yaml")


def test_unknown_ids_are_reported(taxonomy):
    with pytest.raises(TaxonomyError, match=r"patterns.yaml: unknown indicator ids \['FEES'\]"):
        taxonomy.check_ids(["FEES", "URGENCY"], "patterns.yaml")
    with pytest.raises(TaxonomyError, match="unknown indicator id 'NOPE'"):
        taxonomy.get("NOPE")


def test_official_code_list_is_a_data_change(taxonomy, tmp_path):
    codes = tmp_path / "codes.yaml"
    codes.write_text(yaml.safe_dump([
        {"unit": "event", "variable": "means", "label": "debt bondage", "code": "1.2.3"}]))
    updated = taxonomy.with_ictip_codes(codes)
    hint = updated.get("FEE_OR_DEBT").ictip[0]
    assert (hint.code, hint.code_status) == ("1.2.3", "official")
    assert taxonomy.get("FEE_OR_DEBT").ictip[0].code is None  # the original is unchanged


def test_code_list_rows_must_match_a_hint(taxonomy, tmp_path):
    codes = tmp_path / "codes.yaml"
    codes.write_text(yaml.safe_dump([
        {"unit": "event", "variable": "means", "label": "no such label", "code": "9"}]))
    with pytest.raises(TaxonomyError, match="match no hint"):
        taxonomy.with_ictip_codes(codes)


def test_loader_is_cached_and_reads_the_shipped_file():
    assert load_taxonomy() is load_taxonomy()
