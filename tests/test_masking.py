"""Contact details masked on screen (annotation/masking.py), and an ad's text cut into
highlighted segments (annotation/web/highlight.py)."""

from __future__ import annotations

from annotation.masking import find_contact_details, mask_contacts
from annotation.web.highlight import segment_text
from corpora.records import Evidence

TEXT = "Informes por WhatsApp +52 55 5550 0123 o a rh@empresa.example.com hoy."


def test_contacts_are_masked_with_their_kind() -> None:
    assert mask_contacts(TEXT, "MX") == ("Informes por WhatsApp [phone hidden] o a "
                                         "[e-mail hidden] hoy.")
    assert mask_contacts("Sueldo de 10.000.000 pesos, inicio 2026-01-31.", "CO") == (
        "Sueldo de 10.000.000 pesos, inicio 2026-01-31.")


def test_masking_hides_contacts_inside_and_outside_evidence() -> None:
    start = TEXT.index("WhatsApp")
    evidence = {"CONTACT_INFORMAL": [Evidence.from_text(TEXT, start, start + 25)]}
    hidden = find_contact_details(TEXT, "MX")
    segments = segment_text(TEXT, evidence, ["CONTACT_INFORMAL"], hidden)
    assert "".join(s.text for s in segments) == "Informes por WhatsApp  o a  hoy."
    assert [(s.masked, s.indicators) for s in segments if s.masked] == [
        ("phone", ("CONTACT_INFORMAL",)), ("email", ())]
    plain = segment_text(TEXT, evidence, ["CONTACT_INFORMAL"])
    assert "".join(s.text for s in plain) == TEXT
    assert [s.text for s in plain if s.indicators] == ["WhatsApp +52 55 5550 0123"]


def test_overlapping_evidence_is_cut_into_segments() -> None:
    text = "pasaje pagado y pasaporte"
    evidence = {"TRAVEL_PAID": [Evidence.from_text(text, 0, 13)],
                "DOCS_HANDLED": [Evidence.from_text(text, 7, 25)]}
    segments = segment_text(text, evidence, ["TRAVEL_PAID", "DOCS_HANDLED"])
    assert [(s.text, s.indicators) for s in segments] == [
        ("pasaje ", ("TRAVEL_PAID",)), ("pagado", ("TRAVEL_PAID", "DOCS_HANDLED")),
        (" y pasaporte", ("DOCS_HANDLED",))]
