"""The rules engine: pattern-file errors, exact offsets on messy text, negation scope,
amounts, countries, and planned matching equal to spaCy's Matcher over whole ads."""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import pytest

from corpora.normalize import normalize_text
from corpora.records import Ad
from models.rules.detector import LANGS, build_rules_detector
from models.rules.lexicon import PATTERNS_DIR, PatternFileError, amount_in, value_of_amount

from tests.test_rules_cases import FIRES, ORDINARY, QUIET

MINIMAL = """lang: {lang}
negation:
  cues: [no, não, sin, sem]
  window: 4
  breaks: [".", ","]
indicators:
{body}
"""


def _patterns(tmp_path: Path, es_body: str, pt_body: str = "  URGENCY:\n    - phrase: urgente\n",
              es_head: str = "") -> Path:
    folder = tmp_path / "patterns"
    folder.mkdir()
    (folder / "es.yaml").write_text(es_head + MINIMAL.format(lang="es", body=es_body), "utf-8")
    (folder / "pt.yaml").write_text(MINIMAL.format(lang="pt", body=pt_body), "utf-8")
    return folder


def _hits(detector, text: str, lang: str = "es", country: str | None = None) -> dict:
    [hits] = detector.detect_hits([Ad(id="t", lang=lang, text=text, country=country)])
    return {hit.id: [ev.text for ev in hit.evidence] for hit in hits}


# --- pattern-file errors name the file, the indicator and the rule -------------------------

def test_unknown_indicator_id_names_file_and_id(tmp_path):
    folder = _patterns(tmp_path, "  FEE_OR_DEBTS:\n    - phrase: cuota de inscripción\n")
    with pytest.raises(PatternFileError) as err:
        build_rules_detector(folder)
    assert str(folder / "es.yaml") in str(err.value)
    assert "indicators.FEE_OR_DEBTS" in str(err.value) and "unknown indicator" in str(err.value)


def test_rule_with_phrase_and_pattern_names_file_and_rule(tmp_path):
    body = ("  URGENCY:\n    - phrase: urgente\n"
            "    - phrase: salida inmediata\n      pattern: [{LOWER: salida}]\n")
    with pytest.raises(PatternFileError) as err:
        build_rules_detector(_patterns(tmp_path, body))
    assert "es.yaml" in str(err.value) and "indicators.URGENCY rule 2" in str(err.value)


def test_bad_yaml_names_the_file(tmp_path):
    folder = _patterns(tmp_path, "  URGENCY:\n    - phrase: urgente\n")
    (folder / "es.yaml").write_text("lang: es\nindicators: [unclosed\n", "utf-8")
    with pytest.raises(PatternFileError) as err:
        build_rules_detector(folder)
    assert str(folder / "es.yaml") in str(err.value)


@pytest.mark.parametrize(("rule", "says"), [
    ("pattern: [{LOWR: salida}]", "not a valid token pattern"),
    ("pattern: [{CURRENCY: [q]}]", "CURRENCY goes with AMOUNT_MIN"),
    ("phrase: urgente\n      negatable: maybe", "negatable"),
    ("phrase: urgente\n      not_followed_by: hoy", "not_followed_by"),
    ("pattern: salida", "list of token mappings"),
])
def test_invalid_rules_name_file_and_rule(tmp_path, rule, says):
    body = f"  URGENCY:\n    - phrase: urgente\n    - {rule}\n"
    with pytest.raises(PatternFileError) as err:
        build_rules_detector(_patterns(tmp_path, body))
    assert "es.yaml" in str(err.value) and "URGENCY rule 2" in str(err.value)
    assert says in str(err.value)


def test_wrong_lang_is_an_error(tmp_path):
    folder = _patterns(tmp_path, "  URGENCY:\n    - phrase: urgente\n")
    shutil.copy(folder / "pt.yaml", folder / "es.yaml")
    with pytest.raises(PatternFileError, match="'lang' must be 'es'"):
        build_rules_detector(folder)


# --- evidence offsets are exact on messy input ---------------------------------------------

def _bold(text: str) -> str:
    """Mathematical sans-serif bold letters, as social posts write them."""
    out = []
    for ch in text:
        if "a" <= ch <= "z":
            out.append(chr(0x1D5EE + ord(ch) - ord("a")))
        elif "A" <= ch <= "Z":
            out.append(chr(0x1D5D4 + ord(ch) - ord("A")))
        else:
            out.append(ch)
    return "".join(out)


MESSY = [
    ("nbsp", "Meseras ya.\u00a0Pasaje\u00a0pagado hasta Monterrey", "TRAVEL_PAID",
     "Pasaje\u00a0pagado"),
    ("zero-width", "Hola \u200bpa\u200bsaje pagado\u200d y más", "TRAVEL_PAID",
     "pa\u200bsaje pagado"),
    ("crlf", "Trabajo en bar.\r\n\r\n\r\nSalida inmediata\r\nInfo al privado", "URGENCY",
     "Salida inmediata"),
    ("bold", f"{_bold('Señoritas de 18 a 25 años')}, buena presencia", "APPEARANCE_REQ",
     _bold("Señoritas de 18 a 25 años")),
    ("decomposed", unicodedata.normalize("NFD", "Tramitamos tu pasaporte en una semana"),
     "DOCS_HANDLED", unicodedata.normalize("NFD", "Tramitamos tu pasaporte")),
    ("tabs and spaces", "Se   descuenta\tde tu primer sueldo", "FEE_OR_DEBT",
     "Se   descuenta\tde tu primer sueldo"),
    ("emoji", "💰💰 Gana hasta 3.000 dólares 💰 al mes", "PAY_UNREALISTIC",
     "Gana hasta 3.000 dólares"),
]


@pytest.mark.parametrize(("text", "indicator", "evidence"),
                         [m[1:] for m in MESSY], ids=[m[0] for m in MESSY])
def test_evidence_offsets_point_into_the_exact_input(rules_detector, text, indicator, evidence):
    [hits] = rules_detector.detect_hits([Ad(id="t", lang="es", text=text)])
    hit = next(h for h in hits if h.id == indicator)
    for ev in hit.evidence:
        assert text[ev.start:ev.end] == ev.text
    assert evidence in [ev.text for ev in hit.evidence]


def test_und_ads_get_no_hits_and_stay_low(rules_detector):
    text = "Pasaje pagado, se descuenta de tu primer sueldo. Guardamos tu pasaporte."
    ad = Ad(id="und", lang="und", text=text)
    assert rules_detector.detect_hits([ad]) == [[]]
    [assessment] = rules_detector.assess([ad])
    assert assessment.hits == [] and assessment.risk == "low"


def test_detect_hits_keeps_input_order_across_languages(rules_detector):
    ads = [Ad(id="1", lang="pt", text="Passagem paga"), Ad(id="2", lang="und", text="x"),
           Ad(id="3", lang="es", text="Pasaje pagado")]
    hits = rules_detector.detect_hits(ads)
    assert [[h.evidence[0].text for h in ad_hits] for ad_hits in hits] == [
        ["Passagem paga"], [], ["Pasaje pagado"]]


# --- negation scope ------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "fires"), [
    ("No cobramos cuota de inscripción", False),
    ("No cobramos inscripción, examen médico ni cuota de inscripción", False),  # one list
    ("Sin experiencia, pasaje pagado", True),  # a comma ends "sin"
    ("No pedimos experiencia y te pagamos el pasaje", True),  # "y" starts a new clause
    ("No te preocupes: pasaje pagado", True),
    ("El pasaje no está pagado", False),  # cue inside the match
    ("No es urgente", False),
])
def test_negation_scope(rules_detector, text, fires):
    indicator = "FEE_OR_DEBT" if "inscripción" in text else (
        "URGENCY" if "urgente" in text else "TRAVEL_PAID")
    assert (indicator in _hits(rules_detector, text)) is fires


def test_portuguese_e_is_a_break_but_accented_e_is_not(rules_detector):
    assert "TRAVEL_PAID" in _hits(rules_detector, "Não cobramos taxa e passagem paga", "pt")
    assert "URGENCY" not in _hits(rules_detector, "Não é urgente", "pt")


def test_pseudo_negation_does_not_negate(rules_detector):
    assert "MINOR_TARGET" in _hits(rules_detector, "No importa si eres menor de edad")


def test_negatable_before_only_looks_before(rules_detector):
    assert "NO_REQUIREMENTS" in _hits(rules_detector, "Sin experiencia")
    assert "NO_REQUIREMENTS" not in _hits(rules_detector, "No aceptamos personas sin experiencia")


# --- amounts, countries, context words -----------------------------------------------------

@pytest.mark.parametrize(("token", "value"), [
    ("3.000", 3000), ("9,500", 9500), ("15mil", 15000), ("1,5", 1.5), ("q3,500", 3500),
    ("r$", None), ("us$1,200", 1200), ("s/250", 250), ("abc", None),
])
def test_value_of_amount(token, value):
    assert value_of_amount(token) == value


def test_amount_in_counts_multipliers_and_number_words():
    words = {"dos": 2, "un": 1}
    multipliers = {"mil": 1000, "millones": 1_000_000, "palo": 1_000_000}
    assert amount_in(["4", "mil", "dolares"], words, multipliers) == 4000
    assert amount_in(["dos", "mil"], words, multipliers) == 2000
    assert amount_in(["un", "palo"], words, multipliers) == 1_000_000
    assert amount_in(["gana", "mucho"], words, multipliers) is None


def test_pay_in_local_money_needs_the_country(rules_detector):
    text = "Gana $35,000 a la semana empacando"
    assert "PAY_UNREALISTIC" in _hits(rules_detector, text, country="MX")
    assert "PAY_UNREALISTIC" not in _hits(rules_detector, "Gana $350 a la semana", country="MX")
    assert "PAY_UNREALISTIC" not in _hits(rules_detector, text)  # no country: no judgement


def test_dollars_are_no_lure_where_they_are_the_local_money(rules_detector):
    text = "Call center: pago en dólares cada quincena"
    assert "PAY_UNREALISTIC" in _hits(rules_detector, text, country="MX")
    assert "PAY_UNREALISTIC" not in _hits(rules_detector, text, country="SV")


def test_context_words_drop_a_match(rules_detector):
    assert "FEE_OR_DEBT" not in _hits(rules_detector, "La empresa paga el curso de inglés")
    assert "FEE_OR_DEBT" in _hits(rules_detector, "Debes pagar el curso de inglés")
    assert "HOSTESS_MODELING" not in _hits(rules_detector, "Acompañante para adulto mayor")


def test_address_or_site_lifts_informal_contact(rules_detector):
    assert "CONTACT_INFORMAL" in _hits(rules_detector, "Info solo por WhatsApp")
    assert "CONTACT_INFORMAL" not in _hits(
        rules_detector, "Info solo por WhatsApp o en www.empresa.example")
    assert "CONTACT_INFORMAL" not in _hits(
        rules_detector, "Info solo por WhatsApp. Entrevistas en Av. Juárez 120")


# --- pattern-file extensions ---------------------------------------------------------------

def test_abbreviations_lemmas_and_ages_expand_at_load(tmp_path):
    head = "abbreviations:\n  que: [q, k]\nnumbers:\n  quince: 15\n"
    body = ("  URGENCY:\n    - pattern: [{LOWER: que}, {LOWER: urge}]\n"
            "  TRAVEL_PAID:\n    - pattern: [{LEMMA: pagar}, {LOWER: pasaje}]\n"
            "  MINOR_TARGET:\n    - pattern: [{LOWER: desde}, {AGE: [14, 16]}]\n")
    detector = build_rules_detector(_patterns(tmp_path, body, es_head=head))
    assert _hits(detector, "Q URGE") == {"URGENCY": ["Q URGE"]}
    assert _hits(detector, "pagaremos pasaje") == {"TRAVEL_PAID": ["pagaremos pasaje"]}
    assert _hits(detector, "desde quince") == {"MINOR_TARGET": ["desde quince"]}
    assert _hits(detector, "desde trece") == {}


# --- planned matching is spaCy's Matcher over whole ads ------------------------------------

def _case_texts(lang: str) -> list[str]:
    texts = [t for by_lang in FIRES.values() for t, _ in by_lang[lang]]
    texts += [t for by_lang in QUIET.values() for t in by_lang[lang]]
    texts += [t for l, t in ORDINARY if l == lang]
    texts.append(" ".join(texts))  # one long ad with many candidates
    return texts


@pytest.mark.parametrize("lang", LANGS)
def test_planned_matching_equals_exhaustive_matching(rules_detector, lang):
    rules = rules_detector.languages[lang]
    texts = [normalize_text(t).text for t in _case_texts(lang)]
    countries = ["MX" if lang == "es" else "BR"] * len(texts)
    planned = rules.find(texts, countries)
    exhaustive = rules.find(texts, countries, exhaustive=True)
    assert [{k: sorted(v) for k, v in f.items()} for f in planned] == \
        [{k: sorted(v) for k, v in f.items()} for f in exhaustive]


def test_shipped_pattern_files_load(rules_detector):
    assert {p.name for p in PATTERNS_DIR.glob("*.yaml")} == {f"{lang}.yaml" for lang in LANGS}
    for lang in LANGS:
        assert len(rules_detector.languages[lang].lexicon.rules) > 100


def test_a_repeated_key_is_an_error_not_an_overwrite(tmp_path):
    body = "  URGENCY:\n    - phrase: urgente\n      negatable: false\n      negatable: true\n"
    with pytest.raises(PatternFileError) as err:
        build_rules_detector(_patterns(tmp_path, body))
    assert "es.yaml" in str(err.value) and "duplicate key 'negatable'" in str(err.value)
