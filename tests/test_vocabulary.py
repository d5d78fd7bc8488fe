"""The vocabulary of real offers in `indicators.rules.v2` (patterns/vocabulary/*.yaml).

Tables written by us, the way pay, paid travel, destinations, lodging and food are said in
recruiters' pitches, one-line notices and third-party summaries in Latin America, Spain,
Brazil and Portugal (not copied from any real ad nor from the seed corpus):

- FIRES: (lang, country, text, indicator, piece the evidence must contain);
- QUIET: (lang, country, text, indicator that must not fire): the ad's own country and
  money, a candidate paying their own ticket, negations, everyday benefits.
"""

from __future__ import annotations

import pytest

from corpora.normalize import fold_text
from corpora.records import Ad

FIRES = [
    # money: foreign currency, amounts in words, "mil", per day/week/month, ranges
    ("es", "MX", "Le dijeron que ganaría dos mil dólares al mes", "PAY_UNREALISTIC",
     "dos mil dólares"),
    ("es", "CO", "el sueldo era de 1.500 euros limpios", "PAY_UNREALISTIC", "1.500 euros"),
    ("es", "HN", "pagan 600 dólares semanales, trabajo en restaurante", "PAY_UNREALISTIC",
     "600 dólares semanales"),
    ("es", "GT", "ganarías entre 2 mil y 3 mil euros", "PAY_UNREALISTIC", "3 mil euros"),
    ("es", "VE", "te pagan 80 dólares por día", "PAY_UNREALISTIC", "80 dólares por día"),
    ("es", "PE", "cobrarías 1200 euros al mes, pasaje pagado", "PAY_UNREALISTIC",
     "1200 euros"),
    ("es", "ES", "salario de 3.000 dólares mensuales en el barco", "PAY_UNREALISTIC",
     "3.000 dólares"),
    ("es", "CO", "Trabajo en el exterior y pagan muy bien", "PAY_UNREALISTIC",
     "pagan muy bien"),
    ("es", "PY", "Buen sueldo en Europa, pasaje incluido", "PAY_UNREALISTIC", "Buen sueldo"),
    ("pt", "BR", "Disseram que ela ganharia mil euros por mês", "PAY_UNREALISTIC",
     "mil euros por mês"),
    ("pt", "BR", "o salário era de 2.000 dólares", "PAY_UNREALISTIC", "2.000 dólares"),
    ("pt", "AO", "receberiam 500 euros por semana", "PAY_UNREALISTIC", "500 euros por semana"),
    ("pt", "BR", "Vaga no Japão, salário de 300 mil ienes", "PAY_UNREALISTIC", "ienes"),
    ("pt", "BR", "Trabalho no exterior, paga muito bem, passagem inclusa", "PAY_UNREALISTIC",
     "paga muito bem"),
    ("pt", "MZ", "ótimo salário na Europa, com passagem", "PAY_UNREALISTIC", "ótimo salário"),
    # paid travel: any verb that pays, any person and tense, and the nouns
    ("es", "MX", "Le pagaban el pasaje de avión", "TRAVEL_PAID", "pagaban el pasaje"),
    ("es", "HN", "la agencia costearía el viaje", "TRAVEL_PAID", "costearía el viaje"),
    ("es", "CO", "nosotros te cubrimos los vuelos", "TRAVEL_PAID", "cubrimos los vuelos"),
    ("es", "EC", "le adelantaron los boletos", "TRAVEL_PAID", "adelantaron los boletos"),
    ("es", "PE", "ellos corrían con los gastos del pasaje", "TRAVEL_PAID",
     "corrían con los gastos del pasaje"),
    ("es", "BO", "el patrón se hace cargo del pasaje", "TRAVEL_PAID", "cargo del pasaje"),
    ("es", "DO", "con boletos financiados por la empresa", "TRAVEL_PAID",
     "boletos financiados"),
    ("es", "AR", "me prometieron los pasajes aéreos", "TRAVEL_PAID",
     "prometieron los pasajes aéreos"),
    ("pt", "BR", "a empresa bancava as passagens", "TRAVEL_PAID", "bancava as passagens"),
    ("pt", "BR", "eles custeariam a viagem", "TRAVEL_PAID", "custeariam a viagem"),
    ("pt", "BR", "ofereceram passagem aérea e hospedagem", "TRAVEL_PAID",
     "ofereceram passagem aérea"),
    ("pt", "AO", "a agência adiantou os bilhetes de avião", "TRAVEL_PAID",
     "adiantou os bilhetes de avião"),
    ("pt", "BR", "com passagens custeadas pelo dono", "TRAVEL_PAID", "passagens custeadas"),
    ("pt", "BR", "o patrão arcava com as passagens", "TRAVEL_PAID", "arcava com as passagens"),
    # destinations named plainly, mining regions, "over there"
    ("es", "MX", "Trabajo en España para meseras", "ABROAD_VAGUE", "Trabajo en España"),
    ("es", "HN", "oportunidad de trabajar en Estados Unidos", "ABROAD_VAGUE",
     "Estados Unidos"),
    ("es", "CO", "vacantes para Japón en fábrica", "ABROAD_VAGUE", "vacantes para Japón"),
    ("es", "VE", "te llevan a trabajar allá en Trinidad", "ABROAD_VAGUE", "allá en Trinidad"),
    ("es", "PE", "chamba en las minas de Madre de Dios", "ABROAD_VAGUE", "chamba en las minas"),
    ("es", "AR", "trabajo afuera, todo en regla", "ABROAD_VAGUE", "trabajo afuera"),
    ("es", "PY", "empleo fuera del país, cama adentro", "ABROAD_VAGUE", "fuera del país"),
    ("pt", "BR", "vagas na Espanha para cuidadoras", "ABROAD_VAGUE", "vagas na Espanha"),
    ("pt", "BR", "trabalho lá fora com tudo pago", "ABROAD_VAGUE", "trabalho lá fora"),
    ("pt", "BR", "serviço em garimpo no Pará", "ABROAD_VAGUE", "garimpo"),
    ("pt", "AO", "oportunidade de trabalhar em Portugal", "ABROAD_VAGUE", "Portugal"),
    ("pt", "BR", "emprego fora do país para moças", "ABROAD_VAGUE", "fora do país"),
    # lodging and food in a short list
    ("es", "GT", "casa y comida", "HOUSING_CONTROL", "casa y comida"),
    ("es", "CO", "Ofrecemos techo y comida", "HOUSING_CONTROL", "techo y comida"),
    ("es", "MX", "hospedaje, alimentación y transporte", "HOUSING_CONTROL",
     "hospedaje, alimentación"),
    ("pt", "BR", "moradia e alimentação por conta da fazenda", "HOUSING_CONTROL",
     "moradia e alimentação"),
    ("pt", "BR", "casa e comida garantidas", "HOUSING_CONTROL", "casa e comida"),
    ("pt", "BR", "alimentação e alojamento no local", "HOUSING_CONTROL",
     "alimentação e alojamento"),
    # informal posts: a deadline of today or a superlative of scarcity, applying by
    # private messages, nobody back home finding out
    ("pt", "BR", "Vagas limitadíssimas, inscrições só hoje pelo link", "URGENCY", "só hoje"),
    ("pt", "BR", "Diarista pra hoje no centro, chama no zap", "URGENCY", "pra hoje"),
    ("es", "MX", "Cupos limitadísimos para la temporada", "URGENCY", "limitadísimos"),
    ("pt", "BR", "Interessadas manda um direct pra gente", "CONTACT_INFORMAL",
     "manda um direct"),
    ("es", "AR", "Chicas para atención al público, mandá un dm", "CONTACT_INFORMAL",
     "mandá un dm"),
    ("pt", "BR", "Casa no litoral, ninguém da sua cidade fica sabendo", "SECRECY",
     "ninguém da sua cidade fica sabendo"),
    ("pt", "BR", "Ninguém em casa vai saber onde você trabalha", "SECRECY",
     "Ninguém em casa vai saber"),
    ("es", "PE", "Trabajo en otra ciudad, nadie de tu pueblo se va a enterar", "SECRECY",
     "nadie de tu pueblo se va a enterar"),
]

QUIET = [
    # statutory and benefit deductions, and an office's own service, are no fee nor papers
    ("pt", "BR", "Salário de R$ 2.400, com INSS e vale-transporte descontados do salário conforme a lei.",
     "FEE_OR_DEBT"),
    ("pt", "BR", "Plano odontológico opcional com valor descontado em folha.", "FEE_OR_DEBT"),
    ("pt", "BR", "Escritório contábil: cuidamos da documentação fiscal dos nossos clientes.",
     "DOCS_HANDLED"),
    # "hoje em dia" is no deadline; a negated channel is none
    ("pt", "BR", "Salário bom pra hoje em dia, com carteira assinada", "URGENCY"),
    ("pt", "BR", "A vaga não é só pra hoje: contrato de 12 meses", "URGENCY"),
    ("pt", "BR", "Não atendemos por direct, só pelo site da empresa", "CONTACT_INFORMAL"),
    ("es", "CL", "No respondemos por inbox, postula en la web de la empresa",
     "CONTACT_INFORMAL"),
    ("pt", "BR", "Ninguém sai sem treinamento: a gente ensina tudo", "SECRECY"),
    ("es", "MX", "Nadie entra sin capacitación, te enseñamos todo", "SECRECY"),
    # the ad's own country and money are no lure
    ("es", "ES", "Camarero en Madrid, 1.400 euros al mes, contrato indefinido",
     "PAY_UNREALISTIC"),
    ("es", "ES", "Trabajo en España para cocinero con experiencia", "ABROAD_VAGUE"),
    ("es", "EC", "Bodeguero, sueldo de 600 dólares mensuales más beneficios", "PAY_UNREALISTIC"),
    ("pt", "PT", "Trabalho em Portugal, 900 euros por mês", "PAY_UNREALISTIC"),
    ("pt", "BR", "Vaga em São Paulo, salário de R$ 3.000 por mês", "PAY_UNREALISTIC"),
    ("pt", "BR", "Vaga de auxiliar no Brasil todo", "ABROAD_VAGUE"),
    # a bare claim that pay is good, with no travel or abroad in the ad
    ("es", "AR", "Excelente sueldo y buen clima laboral, zona Palermo", "PAY_UNREALISTIC"),
    ("pt", "BR", "Ótimo salário e plano de saúde, vaga em Campinas", "PAY_UNREALISTIC"),
    # the candidate pays, or nobody does
    ("es", "MX", "El candidato debe pagar su pasaje hasta la planta", "TRAVEL_PAID"),
    ("es", "CO", "No cubrimos los vuelos ni el hospedaje", "TRAVEL_PAID"),
    ("pt", "BR", "O candidato deve pagar a passagem até a obra", "TRAVEL_PAID"),
    ("pt", "BR", "Não custeamos passagens", "TRAVEL_PAID"),
    # everyday benefits and words
    ("pt", "BR", "Benefícios: vale-transporte e vale-alimentação", "HOUSING_CONTROL"),
    ("es", "AR", "Vendedor con disponibilidad para viajar a Chile", "ABROAD_VAGUE"),
    ("es", "MX", "Restaurante de comida casera busca cocinera", "HOUSING_CONTROL"),
    ("es", "CO", "sin alojamiento ni comida", "HOUSING_CONTROL"),
    # statutory deductions and a wage are no fee; office paperwork is no papers handled;
    # a travel agent's task and a daily shuttle are no paid trip; a slogan is no deadline
    ("es", "ES", "Los impuestos se descuentan del salario.", "FEE_OR_DEBT"),
    ("es", "ES", "Los operarios cobran 1.300 euros al mes.", "FEE_OR_DEBT"),
    ("es", "AR", "Asistente administrativo: gestionar la documentación de la empresa.",
     "DOCS_HANDLED"),
    ("es", "AR", "Manejo de agenda y compra de pasajes aéreos para los directivos.",
     "TRAVEL_PAID"),
    ("pt", "BR", "Benefícios: fretado de ida e volta para a fábrica.", "TRAVEL_PAID"),
    ("pt", "BR", "Experiência em agências de viagem e venda de passagens aéreas.",
     "TRAVEL_PAID"),
    ("pt", "BR", "Tecnologia que traz o amanhã para hoje.", "URGENCY"),
]


@pytest.fixture(scope="module")
def rules_v2():
    from models.registry import load_detector

    return load_detector("indicators.rules.v2")


def _hits(detector, lang: str, country: str, text: str) -> dict:
    (hits,) = detector.detect_hits([Ad(id="t", lang=lang, country=country, text=text)])
    return {hit.id: hit for hit in hits}


@pytest.mark.parametrize(("lang", "country", "text", "indicator", "piece"), FIRES,
                         ids=[f"{c[0]}-{c[3]}-{i}" for i, c in enumerate(FIRES)])
def test_vocabulary_fires(rules_v2, lang: str, country: str, text: str, indicator: str,
                          piece: str) -> None:
    assert_fires(rules_v2, lang, country, text, indicator, piece)


def assert_fires(detector, lang: str, country: str, text: str, indicator: str,
                 piece: str) -> None:
    """`indicator` is found in `text`, by `detector` itself, with evidence that holds
    `piece` and points at the exact text."""
    hits = _hits(detector, lang, country, text)
    assert indicator in hits, f"{indicator} not found in {text!r}: {sorted(hits)}"
    evidence = " | ".join(ev.text for ev in hits[indicator].evidence)
    assert fold_text(piece) in fold_text(evidence), evidence
    for ev in hits[indicator].evidence:
        assert text[ev.start:ev.end] == ev.text
    assert hits[indicator].detector == f"indicators.rules.v{detector.ref.version}"


@pytest.mark.parametrize(("lang", "country", "text", "indicator"), QUIET,
                         ids=[f"{c[0]}-{c[3]}-{i}" for i, c in enumerate(QUIET)])
def test_vocabulary_stays_quiet(rules_v2, lang: str, country: str, text: str,
                                indicator: str) -> None:
    assert indicator not in _hits(rules_v2, lang, country, text)


def test_v1_is_unchanged_by_the_vocabulary(rules_detector, rules_v2) -> None:
    text = "Le pagaban el pasaje y le dijeron que ganaría dos mil dólares al mes"
    assert "TRAVEL_PAID" not in _hits(rules_detector, "es", "MX", text)
    assert {"TRAVEL_PAID", "PAY_UNREALISTIC"} <= set(_hits(rules_v2, "es", "MX", text))
    assert rules_detector.ref.version == "1" and rules_v2.ref.version == "2"
    assert rules_detector.ref.sha256 != rules_v2.ref.sha256


def test_lists_context_and_except_expand_at_load(tmp_path) -> None:
    from models.rules.detector import build_rules_v2_detector
    from models.rules.lexicon import PatternFileError

    folder = tmp_path / "patterns"
    (folder / "vocabulary").mkdir(parents=True)
    for lang in ("es", "pt"):
        (folder / f"{lang}.yaml").write_text(
            f"lang: {lang}\nindicators:\n  URGENCY:\n    - phrase: urgente\n", "utf-8")
    (folder / "vocabulary" / "pt.yaml").write_text("lang: pt\n", "utf-8")
    vocabulary = """lang: es
conjugations:
  ar: [aba, aban, ó]
lists:
  places:
    "ES": [España, "Islas Baleares"]
    "JP": [Japón]
  context: [pasaje, "fuera del país"]
indicators:
  ABROAD_VAGUE:
    - pattern: [{LOWER: trabajo}, {LOWER: en}, {LIST: places}]
  PAY_UNREALISTIC:
    - pattern: [{LOWER: buen}, {LOWER: sueldo}]
      in_ad: ["@context"]
  TRAVEL_PAID:
    - pattern: [{LEMMA: chambear, EXCEPT: [chambeó]}, {LOWER: pasaje}]
"""
    (folder / "vocabulary" / "es.yaml").write_text(vocabulary, "utf-8")
    detector = build_rules_v2_detector(folder)

    def found(text: str, country: str = "MX") -> set[str]:
        return set(_hits(detector, "es", country, text))

    assert found("trabajo en Japón") == {"ABROAD_VAGUE"}
    assert found("trabajo en islas baleares") == {"ABROAD_VAGUE"}
    assert found("trabajo en España", country="ES") == set()  # its own country
    assert found("trabajo en Japón", country="ES") == {"ABROAD_VAGUE"}
    assert found("buen sueldo") == set()
    assert found("buen sueldo, pasaje") == {"PAY_UNREALISTIC"}
    assert found("buen sueldo, trabajo fuera del país") == {"PAY_UNREALISTIC"}
    assert found("buen sueldo, fuera de horario") == set()  # every word of the phrase
    assert found("chambeaban pasaje") == {"TRAVEL_PAID"}  # regular forms of an unknown verb
    assert found("chambeó pasaje") == set()  # EXCEPT
    assert found("urgente") == {"URGENCY"}  # the base file still counts

    (folder / "vocabulary" / "es.yaml").write_text(
        vocabulary.replace("{LIST: places}]", "{LIST: nowhere}]"), "utf-8")
    with pytest.raises(PatternFileError, match="ABROAD_VAGUE rule 1: no list 'nowhere'"):
        build_rules_v2_detector(folder)


# (lang, country, text, indicator, whether only the vocabulary finds it): the ensemble
# reads a vocabulary-only hit as its own feature, apart from the base patterns' hits.
BY_FILE = [
    ("es", "MX", "Le pagaban el pasaje de avión", "TRAVEL_PAID", True),
    ("es", "CO", "Viaje pagado a Madrid, pasaje pagado por la empresa", "TRAVEL_PAID", False),
    ("es", "VE", "te llevan a trabajar allá en Trinidad", "ABROAD_VAGUE", True),
    ("es", "GT", "casa y comida", "HOUSING_CONTROL", False),
    ("pt", "BR", "a empresa bancava as passagens", "TRAVEL_PAID", True),
    ("pt", "BR", "Passagem paga pela empresa, embarque imediato", "TRAVEL_PAID", False),
    ("pt", "BR", "o salário era de 2.000 dólares", "PAY_UNREALISTIC", True),
    ("pt", "BR", "vagas na Espanha para cuidadoras", "ABROAD_VAGUE", False),
]


@pytest.mark.parametrize(("lang", "country", "text", "indicator", "only"), BY_FILE,
                         ids=[f"{c[0]}-{c[3]}-{i}" for i, c in enumerate(BY_FILE)])
def test_hits_say_whether_only_the_vocabulary_found_them(rules_detector, rules_v2, lang: str,
                                                         country: str, text: str,
                                                         indicator: str, only: bool) -> None:
    ad = Ad(id="t", lang=lang, country=country, text=text)
    (hits,), (vocabulary_only,) = rules_v2.detect_hits_by_file([ad])
    assert indicator in {hit.id for hit in hits}
    assert (indicator in vocabulary_only) is only
    # the base patterns' part is exactly what version 1 finds
    assert {h.id for h in hits} - vocabulary_only == set(_hits(rules_detector, lang, country,
                                                              text))
