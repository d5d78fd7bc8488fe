"""Language id: es, pt, or und (never Spanish by default)."""

from __future__ import annotations

import pytest

from corpora.language import detect_language, resolve_language


@pytest.mark.parametrize(("text", "lang"), [
    ("Se busca cajera con experiencia para tienda en el centro, turno mañana.", "es"),
    ("Procuramos vendedora com experiência, carteira assinada e vale-transporte.", "pt"),
    ("We are hiring warehouse staff, apply online today.", "und"),
    ("Nous recrutons des serveurs pour la saison d'été à Lyon.", "und"),
    ("", "und"),
])
def test_detects_es_pt_or_und(text, lang):
    assert detect_language(text) == lang


def test_declared_language_is_trusted_for_es_pt_and_und_otherwise():
    assert resolve_language("es-MX", "texto cualquiera") == "es"
    assert resolve_language("PT_br", "qualquer") == "pt"
    assert resolve_language("en", "Se busca cajera con experiencia") == "und"
    assert resolve_language(None, "Se busca cajera con experiencia en tienda") == "es"
