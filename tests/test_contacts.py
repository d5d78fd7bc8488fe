"""Contact details found for masking and pseudonymising (corpora/contacts.py, and the
ad text segments of annotation/web/highlight.py)."""

from __future__ import annotations

import pytest

from annotation.web.highlight import mask_contacts, segment_text
from corpora.contacts import find_contacts, pseudonym, pseudonymise_contacts
from corpora.records import Evidence

SECRET = "k" * 32


@pytest.mark.parametrize(("text", "expected"), [
    ("WhatsApp +52 55 5550 0123.", [("phone", "+52 55 5550 0123")]),
    ("Liga já (11) 99999-0147!", [("phone", "(11) 99999-0147")]),
    ("Escribe a rh@empresa.example.com o a @vagas_br", [("email", "rh@empresa.example.com"),
                                                       ("handle", "@vagas_br")]),
    ("cel 55 5550 0123 y 3001234567", [("phone", "55 5550 0123"), ("phone", "3001234567")]),
    # Ordinary numbers are not phones.
    ("Sueldo de 10.000.000 pesos", []),
    ("Inicio 2026-01-31, cierre 31/01/2026", []),
    ("Pago de USD 2.000 a 3.000 al mes, 8 horas", []),
    ("Vagas: 12 pessoas, idade 18-25", []),
])
def test_contacts_are_found(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(c.kind, text[c.start:c.end]) for c in find_contacts(text)] == expected


def test_pseudonyms_are_stable_secret_and_ignore_formatting() -> None:
    same = pseudonym("phone", "+52 55 5550 0123", SECRET)
    assert same == pseudonym("phone", "+52-55-5550-0123", SECRET)
    assert same != pseudonym("phone", "+52 55 5550 0123", "another secret value")
    assert same.startswith("phone:") and "5550" not in same
    assert pseudonym("email", "RH@Empresa.example.com", SECRET) == pseudonym(
        "email", "rh@empresa.example.com", SECRET)
    text = pseudonymise_contacts("Llama al +52 55 5550 0123 o rh@empresa.example.com.", SECRET)
    assert "5550" not in text and "rh@" not in text and text.count("[") == 2


def test_masking_hides_contacts_inside_and_outside_evidence() -> None:
    text = "Informes por WhatsApp +52 55 5550 0123 hoy."
    start = text.index("WhatsApp")
    evidence = {"CONTACT_INFORMAL": [Evidence.from_text(text, start, start + 25)]}
    segments = segment_text(text, evidence, ["CONTACT_INFORMAL"], mask=True)
    assert "".join(s.text for s in segments) == "Informes por WhatsApp  hoy."
    (masked,) = [s for s in segments if s.masked]
    assert masked.masked == "phone" and masked.indicators == ("CONTACT_INFORMAL",)
    plain = segment_text(text, evidence, ["CONTACT_INFORMAL"], mask=False)
    assert "".join(s.text for s in plain) == text
    assert [s.text for s in plain if s.indicators] == ["WhatsApp +52 55 5550 0123"]
    assert mask_contacts(text) == "Informes por WhatsApp [phone hidden] hoy."


def test_overlapping_evidence_is_cut_into_segments() -> None:
    text = "pasaje pagado y pasaporte"
    evidence = {"TRAVEL_PAID": [Evidence.from_text(text, 0, 13)],
                "DOCS_HANDLED": [Evidence.from_text(text, 7, 25)]}
    segments = segment_text(text, evidence, ["TRAVEL_PAID", "DOCS_HANDLED"], mask=False)
    assert [(s.text, s.indicators) for s in segments] == [
        ("pasaje ", ("TRAVEL_PAID",)), ("pagado", ("TRAVEL_PAID", "DOCS_HANDLED")),
        (" y pasaporte", ("DOCS_HANDLED",))]
