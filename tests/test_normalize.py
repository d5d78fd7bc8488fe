"""Normalisation keeps an exact map back to the original text."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from corpora.normalize import fold_text, normalize_text

TRICKY = st.text(
    alphabet=st.sampled_from(list("abc ÁéñÇã\u0301\u00a0\u200b\x00\t\r\n.,¿!😀𝗕𝗼½x")), max_size=60)


def test_cleans_spaces_zero_width_and_compatibility_letters():
    text = "  \u200bGANA\u00a0\u00a0𝗠𝗨𝗖𝗛𝗢\r\n\r\n\r\n\r\nya  "
    assert normalize_text(text).text == "GANA MUCHO\n\nya"


def test_drops_control_characters():
    assert normalize_text("pasa\x00porte\x1b ok\x85").text == "pasaporte ok"


def test_composes_decomposed_accents():
    assert normalize_text("Gana\u0301 pasaporte").text == "Ganá pasaporte"


def test_clean_text_is_a_fixed_point():
    clean = normalize_text("Hola  mundo\u00a0!").text
    again = normalize_text(clean)
    assert again.text == clean and not again.changed


@settings(max_examples=600, deadline=None)
@given(TRICKY)
def test_every_clean_word_maps_to_an_original_span_holding_it(text):
    norm = normalize_text(text)
    assert normalize_text(norm.text).text == norm.text
    for match in re.finditer(r"[a-z]+", norm.text):
        start, end = norm.to_original(match.start(), match.end())
        assert 0 <= start <= end <= len(text)
        assert match.group() in normalize_text(text[start:end]).text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_fold_keeps_length(text):
    assert len(fold_text(text)) == len(text)


def test_fold_lowercases_and_strips_accents():
    assert fold_text("ÁRBOL Ñandú AÇÃO ¿Qué?") == "arbol nandu acao ¿que?"
