"""Entities: phone tables for es and pt (plain, split, emoji, spelled out), e-mails, URLs,
handles, money, and HMAC pseudonyms. Every number is a reserved example (Mexico City
55 5550 01xx, São Paulo (11) 99999-01xx)."""

from __future__ import annotations

import pytest

from corpora.entities import contact_pseudonym, extract_entities
from corpora.entities.money import parse_amount
from corpora.entities.pseudonyms import pseudonymise

KEY = b"test-key-0123456789abcdef"
MX = "+525555500123"
BR = "+5511999990147"

PHONES_ES = [
    ("Informes al 55 5550 0123.", MX),
    ("Llama al +52 55 5550 0123", MX),
    ("Tel: 55-5550-0123 de 9 a 18 h", MX),
    ("tel 55.5550.0123", MX),
    ("Whats 55 55 50 01 23", MX),
    ("WhatsApp +52 1 55 5550 0123", MX),
    ("marca al 55🔥5550🔥0123 ya", MX),
    ("5️⃣5️⃣5️⃣5️⃣5️⃣0️⃣0️⃣1️⃣2️⃣3️⃣", MX),
    ("llámame: cinco cinco cinco cinco cinco cero cero uno dos tres", MX),
    ("al cincuenta y cinco, cincuenta y cinco, cincuenta, cero uno, veintitrés", MX),
    ("escribe a wa.me/5215555500123", MX),
    ("https://api.whatsapp.com/send?phone=525555500123&text=hola", MX),
    ("5 5 5 5 5 0 0 1 2 3", MX),
]
PHONES_PT = [
    ("Ligue (11) 99999-0147", BR),
    ("Zap: 11 99999 0147", BR),
    ("WhatsApp +55 11 99999-0147", BR),
    ("11.99999.0147 falar com Ana", BR),
    ("chama no onze nove nove nove nove nove zero um quatro sete", BR),
    ("Contato: onze, nove nove nove nove nove, zero, um, quatro, sete", BR),
    ("zap 11 9️⃣9️⃣9️⃣9️⃣9️⃣ 0️⃣1️⃣4️⃣7️⃣", BR),
    ("11👉99999👉0147", BR),
    ("https://wa.me/5511999990147", BR),
]
NOT_PHONES = [
    ("Sueldo de 15000 pesos, 8 horas diarias, 2 días de descanso", "MX"),
    ("Edad 18 a 25 años, estatura 1.65", "MX"),
    ("Fecha de inicio 2025-01-06, turno 7 a 15", "MX"),
    ("Salário de R$ 2.500,00 mais comissão, 44 horas semanais", "BR"),
    ("Vaga 1234 5678: código da vaga", "BR"),
    ("un trabajo de dos a tres horas y media", "MX"),
]


def phones(text: str, country: str) -> list[tuple[str, str]]:
    return [(e.value, e.normalised) for e in extract_entities(text, country=country, key=KEY)
            if e.kind == "phone"]


@pytest.mark.parametrize(("text", "e164"), PHONES_ES)
def test_spanish_phones_are_found_however_written(text: str, e164: str) -> None:
    found = phones(text, "MX")
    assert [number for _, number in found] == [e164]
    assert found[0][0] in text


@pytest.mark.parametrize(("text", "e164"), PHONES_PT)
def test_portuguese_phones_are_found_however_written(text: str, e164: str) -> None:
    assert [number for _, number in phones(text, "BR")] == [e164]


@pytest.mark.parametrize(("text", "country"), NOT_PHONES)
def test_amounts_ages_dates_and_codes_are_not_phones(text: str, country: str) -> None:
    assert phones(text, country) == []


def test_without_a_country_only_international_numbers_are_found() -> None:
    assert [n for _, n in phones("Llama al 55 5550 0123 o +55 11 99999-0147", None)] == [BR]


def test_contacts_urls_and_handles() -> None:
    text = ("Escribe a rh@empleos.example.org o a modelos arroba ejemplo punto com. "
            "Vacantes: https://empleos.example.org/vacantes. IG: @agencia_modelos, "
            "tiktok.com/@agencia.mx, Telegram t.me/vagas_exterior, tg @vagas2 y @otra_cuenta.")
    found = [(e.kind, e.normalised) for e in extract_entities(text, country="MX", key=KEY)]
    assert found == [
        ("email", "rh@empleos.example.org"),
        ("email", "modelos@ejemplo.com"),
        ("url", "https://empleos.example.org/vacantes"),
        ("handle", "instagram:@agencia_modelos"),
        ("handle", "tiktok:@agencia.mx"),
        ("handle", "telegram:@vagas_exterior"),
        ("handle", "telegram:@vagas2"),
        ("handle", "unknown:@otra_cuenta"),
    ]


def test_spans_point_into_the_text_and_never_overlap() -> None:
    text = ("Ganá USD 3.000 al mes 💰 WhatsApp https://wa.me/5215555500123 o 55🔥5550🔥0124, "
            "mail contato [at] vagas [dot] com [dot] br")
    entities = extract_entities(text, country="MX", key=KEY)
    assert [e.kind for e in entities] == ["money", "phone", "phone", "email"]
    for entity in entities:
        assert text[entity.span.start:entity.span.end] == entity.value == entity.span.text
    ends = [(e.span.start, e.span.end) for e in entities]
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(ends, ends[1:]))


@pytest.mark.parametrize(("text", "country", "normalised"), [
    ("Ganarás USD 3.000 al mes", "CO", ["3000 USD/month"]),
    ("Salário de R$ 5 mil por mês", "BR", ["5000 BRL/month"]),
    ("2.500 euros mensuales libres", "ES", ["2500 EUR/month"]),
    ("Pago de $800 semanales", "MX", ["800 MXN/week"]),
    ("Pago de $800 semanales", "EC", ["800 USD/week"]),
    ("sueldo diario de 50 soles", "PE", ["50 PEN/day"]),
    ("€1500/mes y 15 € la hora", "ES", ["1500 EUR/month", "15 EUR/hour"]),
    ("Ganhe 300 reais por dia", "BR", ["300 BRL/day"]),
    ("pagamos US$ 2,500.50 mensais", "BR", ["2500.5 USD/month"]),
    ("1.5 millones de pesos quincenales", "CO", ["1500000 COP/fortnight"]),
    ("Sueldo 15000 pesos", None, ["15000 ?"]),
    ("8 horas, 3 días, 18 a 25 años, 1.65 m", "MX", []),
])
def test_money_amounts_with_currency_and_period(text: str, country: str | None,
                                                normalised: list[str]) -> None:
    found = [e for e in extract_entities(text, country=country) if e.kind == "money"]
    assert [e.normalised for e in found] == normalised
    assert all(e.pseudonym is None for e in found)


@pytest.mark.parametrize(("written", "value"), [
    ("3.000", 3000), ("3,000", 3000), ("3,50", 3.5), ("1.500,50", 1500.5),
    ("1,500.50", 1500.5), ("12 000", 12000), ("800", 800)])
def test_amounts_are_read_with_either_decimal_separator(written: str, value: float) -> None:
    assert parse_amount(written) == value


def test_pseudonyms_link_one_contact_however_written_and_depend_on_the_key() -> None:
    written = ["55 5550 0123", "+52 1 55 5550 0123", "cinco cinco cinco cinco cinco cero "
               "cero uno dos tres", "wa.me/5215555500123"]
    pseudonyms = {e.pseudonym for text in written
                  for e in extract_entities(text, country="MX", key=KEY)}
    assert len(pseudonyms) == 1
    [pseudonym] = pseudonyms
    assert len(pseudonym) == 64 and MX[1:] not in pseudonym
    assert pseudonym == pseudonymise("phone", MX, KEY)
    assert pseudonym != pseudonymise("phone", MX, b"another-key-0123456789")
    assert pseudonymise("email", "a@b.example", KEY) != pseudonymise("handle", "a@b.example", KEY)
    # One name on two platforms links the ads; the platform stays in `normalised`.
    [ig] = extract_entities("IG @agencia_x", key=KEY)
    [tg] = extract_entities("t.me/agencia_x", key=KEY)
    assert ig.pseudonym == tg.pseudonym and ig.normalised != tg.normalised
    with pytest.raises(ValueError, match="at least 16 bytes"):
        pseudonymise("phone", MX, b"short")


def test_contact_pseudonym_finds_a_typed_contact() -> None:
    [stored] = extract_entities("Llama al 55 5550 0123", country="MX", key=KEY)
    assert contact_pseudonym("+52 55 5550 0123", KEY) == ("phone", stored.pseudonym)
    assert contact_pseudonym("5555500123", KEY, country="MX") == ("phone", stored.pseudonym)
    [handle] = extract_entities("IG: @Agencia_X", key=KEY)
    assert contact_pseudonym("@agencia_x", KEY) == ("handle", handle.pseudonym)
    with pytest.raises(ValueError):
        contact_pseudonym("hola", KEY)
