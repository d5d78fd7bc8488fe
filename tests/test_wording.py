"""New-wording detection on a synthetic shift: a new euphemism appears in the recent window
of es and pt ads; phrases the rules cover and phrases as common as before stay quiet.
Covered spans come from the real rules detector, as the caller in pipelines computes them."""

from __future__ import annotations

import random

import pytest
from scipy.stats import chi2_contingency

from annotation.learning.wording import WordingAd, find_new_wording, log_likelihood_ratio
from corpora.records import Ad

ES = {
    "job": ["ayudante de cocina", "vendedor de mostrador", "chofer repartidor", "recepcionista",
            "auxiliar contable", "guardia de seguridad", "operario de bodega", "cajera",
            "mesero con experiencia", "personal de limpieza", "técnico electricista"],
    "place": ["en Monterrey", "en Guadalajara", "en la zona centro", "en Puebla", "en Lima",
              "en Bogotá", "en Quito"],
    "offer": ["sueldo base más comisiones", "pago quincenal", "prestaciones de ley",
              "salario según experiencia", "bono de puntualidad"],
    "hours": ["turno matutino", "horario de lunes a viernes", "turno rotativo", "medio tiempo"],
    "contact": ["enviar CV a empleo@example.com", "llamar al +52 55 5550 0123",
                "postular en la web de la empresa"],
    "frame": "Se busca {job} {place}. Ofrecemos {offer} y {hours}. {extra}Interesados {contact}.",
    "stop": "se de la el en y a con para tu los las del al un una por sin".split(),
}
PT = {
    "job": ["auxiliar de cozinha", "vendedor de loja", "motorista entregador", "recepcionista",
            "auxiliar administrativo", "vigilante", "operador de estoque", "caixa", "garçom",
            "auxiliar de limpeza", "eletricista"],
    "place": ["em Campinas", "em Curitiba", "na zona sul", "em Recife", "em Belém", "em Natal"],
    "offer": ["salário fixo mais comissão", "vale-transporte", "benefícios de lei",
              "salário compatível", "plano de saúde"],
    "hours": ["turno da manhã", "horário comercial", "escala 6x1", "meio período"],
    "contact": ["enviar currículo para vagas@example.com", "ligar para (11) 99999-0147",
                "cadastro no site da empresa"],
    "frame": "Contratamos {job} {place}. Oferecemos {offer} e {hours}. {extra}Interessados: "
             "{contact}.",
    "stop": "se de da do em e a com para o os as no na nos nós um uma por sem seu sua".split(),
}


def ads(lang: str, spec: dict, n: int, seed: int, extras: dict[int, list[str]] | None = None
        ) -> list[Ad]:
    """`n` ordinary ads; ad i gets the sentence `extras[k][...]` when i % 10 == k."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        variants = (extras or {}).get(i % 10)
        extra = f"{rng.choice(variants)} " if variants else ""
        text = spec["frame"].format(extra=extra, **{key: rng.choice(spec[key]) for key in
                                                    ("job", "place", "offer", "hours",
                                                     "contact")})
        out.append(Ad(id=f"{lang}-{seed}-{i}", lang=lang, text=text))
    return out


def covered(detector, batch: list[Ad]) -> list[WordingAd]:
    hits = detector.detect_hits(batch)
    return [WordingAd(ad.id, ad.text, tuple((e.start, e.end) for h in found for e in h.evidence))
            for ad, found in zip(batch, hits, strict=True)]


def test_log_likelihood_ratio_by_hand():
    # a=20 of 100 target ads, b=0 of 100 reference ads. Expected counts: 10 | 90 per row.
    # G2 = 2 * (20 ln(20/10) + 80 ln(80/90) + 0 + 100 ln(100/90))
    #    = 2 * (13.862944 - 9.422640 + 10.536052) = 29.952712
    assert log_likelihood_ratio(20, 0, 100, 100) == pytest.approx(29.9527, abs=1e-4)
    assert log_likelihood_ratio(5, 5, 100, 100) == pytest.approx(0.0)
    for a, b, n1, n2 in ((7, 3, 200, 300), (1, 40, 50, 900), (30, 30, 31, 400)):
        table = [[a, n1 - a], [b, n2 - b]]
        expected = chi2_contingency(table, correction=False, lambda_="log-likelihood")[0]
        assert log_likelihood_ratio(a, b, n1, n2) == pytest.approx(expected)


@pytest.mark.parametrize(("lang", "spec", "euphemism", "known"), [
    ("es", ES,
     ["Buscamos chicas para paseos de sobremesa con clientes.",
      "Hay paseos de sobremesa los fines de semana.",
      "Ingresos extra por paseos de sobremesa."],
     ["Nosotros tramitamos tu pasaporte sin costo."]),
    ("pt", PT,
     ["Procuramos moças para passeios de sobremesa com clientes.",
      "Tem passeios de sobremesa nos fins de semana.",
      "Renda extra com passeios de sobremesa."],
     ["Nós cuidamos do seu passaporte sem custo."]),
])
def test_a_new_euphemism_surfaces_and_covered_or_steady_wording_does_not(
        rules_detector, lang, spec, euphemism, known):
    reference = ads(lang, spec, 300, seed=1)
    target = ads(lang, spec, 200, seed=2, extras={0: euphemism, 1: known})
    for sentence in known:  # the caller's covered spans: the rules flag this wording
        assert rules_detector.detect_hits([Ad(id="k", lang=lang, text=sentence)])[0]
    found = find_new_wording(covered(rules_detector, target), covered(rules_detector, reference),
                             lang=lang, stop_words=spec["stop"])
    phrases = [p.phrase for p in found]
    word = "passeios" if lang == "pt" else "paseos"
    assert phrases[0] == f"{word} de sobremesa", phrases
    top = found[0]
    assert (top.target_ads, top.reference_ads) == (20, 0)
    assert top.llr >= 15.13 and top.covered_share == 0.0
    assert all(example.text.lower() == f"{word} de sobremesa" for example in top.examples)
    assert len(top.examples) == 5 and top.surface == f"{word} de sobremesa"
    # The rule-covered sentence rose just as much, but is known wording.
    assert not any("pasaporte" in p or "passaporte" in p or "cost" in p or "cust" in p
                   for p in phrases), phrases
    # Everything else reported belongs to the euphemism's own sentences.
    frames = " ".join(euphemism).lower()
    assert all(all(w in frames for w in p.split()) for p in phrases), phrases


def test_a_fixed_formula_is_shown_whole():
    reference = ads("es", ES, 200, seed=3)
    target = ads("es", ES, 100, seed=4,
                 extras={0: ["Se requieren chicas para paseos de sobremesa con clientes."]})
    found = find_new_wording([WordingAd(a.id, a.text) for a in target],
                             [WordingAd(a.id, a.text) for a in reference],
                             lang="es", stop_words=ES["stop"])
    assert [p.phrase for p in found] == [
        "se requieren chicas para paseos de sobremesa con clientes"]


def test_steady_wording_and_rare_phrases_are_not_reported():
    reference = ads("es", ES, 300, seed=5)
    target = ads("es", ES, 200, seed=6, extras={0: ["Trato directo."] * 1})
    target[0:2] = ads("es", ES, 2, seed=7, extras={0: ["Bono por paseos de sobremesa."],
                                                   1: ["Bono por paseos de sobremesa."]})
    found = find_new_wording([WordingAd(a.id, a.text) for a in target],
                             [WordingAd(a.id, a.text) for a in reference],
                             lang="es", stop_words=ES["stop"])
    phrases = [p.phrase for p in found]
    assert phrases == ["trato directo"]  # 20 new ads; "paseos" is in 2 ads only (min 3)


def test_a_reference_window_is_required():
    with pytest.raises(ValueError, match="reference"):
        find_new_wording([WordingAd("a", "texto")], [], lang="es")
    assert find_new_wording([], [WordingAd("a", "texto")], lang="es") == []
