"""The trained detectors: artifacts, the ensemble as default, evidence and risk rules."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from corpora.records import Ad
from models.artifacts import ArtifactError, latest_artifact, load_artifact, load_skops, models_root, save_skops
from models.registry import load_detector
from pipelines.cli import app

pytestmark = pytest.mark.slow

DECEPTIVE = Ad(id="d", lang="es", text=(
    "Buscamos señoritas de 18 a 25 años para trabajar en Europa. Pasaje pagado, se "
    "descuenta de tu primer sueldo. Nosotros guardamos tu pasaporte. Info solo por WhatsApp."))
ORDINARY = Ad(id="o", lang="pt", text=(
    "Padaria no centro de Curitiba contrata atendente de balcão com experiência. Carteira "
    "assinada, vale-transporte e plano de saúde. Currículos para rh@padaria.example."))


def test_training_registers_two_verified_artifacts(trained_home):
    root = models_root(trained_home)
    for name, stem in (("indicators.ensemble", "ensemble"), ("indicators.tfidf", "tfidf")):
        artifact = latest_artifact(root, name)
        assert artifact is not None
        assert artifact.file(f"{stem}.json").is_file() and artifact.file(f"{stem}.npz").is_file()
        assert not list(artifact.path.glob("*.skops"))  # plain arrays: no code to trust
        assert len(artifact.meta.sha256) == 64 and len(artifact.meta.training_data_sha256) == 64
        assert not list(artifact.path.glob("*.pkl")) and not list(artifact.path.glob("*.pickle"))
    metrics = latest_artifact(root, "indicators.ensemble").meta.metrics
    assert set(metrics["thresholds"]) == set(load_detector("indicators.rules.v1").taxonomy.ids)
    assert 0 < metrics["risk_thresholds"]["medium"] <= metrics["risk_thresholds"]["high"] <= 1
    # The ensemble must not be worse than its parts on dev (where its thresholds come from).
    assert metrics["dev_macro_f1_ensemble"] >= metrics["dev_macro_f1_rules"]


def test_a_tampered_artifact_is_refused(trained_home, tmp_path):
    import shutil

    source = latest_artifact(models_root(trained_home), "indicators.tfidf").path
    copy = shutil.copytree(source, tmp_path / "copy")
    with (copy / "tfidf.npz").open("ab") as fh:
        fh.write(b"tampered")
    with pytest.raises(ArtifactError, match="does not match its sha256"):
        load_artifact(copy)


class Untrusted:
    def __init__(self):
        self.value = 1


def test_skops_refuses_types_outside_the_allow_list(tmp_path):
    path = tmp_path / "x.skops"
    save_skops({"payload": Untrusted()}, path)
    with pytest.raises(ArtifactError, match="untrusted types"):
        load_skops(path)


def test_ensemble_flags_deceptive_and_keeps_ordinary_low(ensemble_detector):
    deceptive, ordinary = ensemble_detector.assess([DECEPTIVE, ORDINARY])
    assert deceptive.risk == "high" and deceptive.score > ordinary.score
    assert {"FEE_OR_DEBT", "DOCS_HANDLED"} <= {h.id for h in deceptive.hits}
    assert ordinary.risk == "low"
    assert deceptive.model.name == "indicators.ensemble" and deceptive.model.version == "1"
    for hit in deceptive.hits:
        assert hit.evidence, hit.id
        for ev in hit.evidence:
            assert DECEPTIVE.text[ev.start:ev.end] == ev.text


def test_ensemble_never_scores_und_and_weak_hits_never_make_high(ensemble_detector):
    und = Ad(id="u", lang="und", text=DECEPTIVE.text)
    weak = Ad(id="w", lang="es", text="URGENTE!! Se busca ayudante, info solo por WhatsApp "
                                       "555-0134, incorporación inmediata, sin experiencia.")
    assessed_und, assessed_weak = ensemble_detector.assess([und, weak])
    assert assessed_und.hits == [] and assessed_und.risk == "low"
    if all(h.strength == "weak" for h in assessed_weak.hits):
        assert assessed_weak.risk != "high"


def test_tfidf_detector_gives_exact_evidence(trained_home):
    detector = load_detector("indicators.tfidf.v1", home=trained_home)
    text = "GANÁ\u00a03.000 dólares por semana, pasaje pagado y hospedaje incluido 😀 trabajo en Europa"
    (hits,) = detector.detect_hits([Ad(id="t", lang="es", text=text)])
    assert hits
    for hit in hits:
        assert hit.detector == "indicators.tfidf.v1"
        for ev in hit.evidence:
            assert text[ev.start:ev.end] == ev.text and ev.text.strip()


def test_detect_uses_the_ensemble_by_default(trained_home, monkeypatch):
    monkeypatch.setenv("CENTINELA_HOME", str(trained_home))
    monkeypatch.delenv("CENTINELA_MODEL")
    line = json.dumps({"id": "d", "text": DECEPTIVE.text})
    result = CliRunner().invoke(app, ["detect", "-"], input=line + "\n")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["model"]["name"] == "indicators.ensemble" and out["risk"] == "high"


# Fragments of one or two sentences (wave 6 is such a style): a strong indicator with another
# is `high` (annotation/guidelines/risk.md); the same words in a lawful offer that states its
# framework stay `low`.
FRAGMENTS_HIGH = [
    ("es", "Te adelantamos el pasaje y lo vas pagando con tu sueldo allá."),
    ("es", "Nosotros te guardamos el pasaporte mientras trabajas en la finca, comida y cuarto "
           "incluidos."),
    ("es", "Chicas desde 15 años para atender clientes en un bar de la frontera."),
    ("es", "Te cruzamos sin papeles y allá ya te espera trabajo en la construcción con buen "
           "pago."),
    ("pt", "A passagem a gente paga e depois desconta do seu salário lá na fazenda."),
    pytest.param("pt", "Seu passaporte fica com a agência até terminar o contrato, moradia no "
                       "alojamento da obra.",
                 marks=pytest.mark.xfail(reason="known miss (2026-12-05): the TF-IDF reads "
                                                "'agência', 'contrato' as a lawful offer "
                                                "(deceptive 0.10) and rates it low")),
    ("pt", "Meninas a partir de 16 anos para trabalhar de recepcionista em boate, boa "
           "aparência."),
    ("pt", "Levamos você pela fronteira sem visto, emprego garantido do outro lado."),
]
FRAGMENTS_LOW = [
    ("es", "Programa de trabajo temporal de la Cooperativa Agrícola San Isidro: el empleador "
           "paga el boleto de avión y ofrece vivienda en la granja; contrato firmado en el "
           "consulado."),
    ("pt", "Colheita de maçã na Fazenda Boa Vista (SC): passagem paga pela empresa, alojamento "
           "e refeições, carteira assinada desde o primeiro dia."),
    ("es", "Auxiliar contable para estudio en Córdoba, sueldo según convenio, enviar CV a "
           "rrhh@estudio.example."),
    ("pt", "Jovem aprendiz de 14 a 17 anos no Mercado Bom Preço, conforme a Lei da "
           "Aprendizagem, inscrições no site mercadobompreco.example."),
]


@pytest.mark.parametrize(("lang", "text"), FRAGMENTS_HIGH)
def test_a_fragment_with_a_strong_indicator_and_another_is_high(ensemble_detector, lang, text):
    (assessed,) = ensemble_detector.assess([Ad(id="f", lang=lang, text=text)])
    assert any(h.strength == "strong" for h in assessed.hits), assessed.hits
    assert assessed.risk == "high", (assessed.score, [h.id for h in assessed.hits])


@pytest.mark.parametrize(("lang", "text"), FRAGMENTS_LOW)
def test_a_lawful_fragment_with_the_same_words_stays_low(ensemble_detector, lang, text):
    (assessed,) = ensemble_detector.assess([Ad(id="f", lang=lang, text=text)])
    assert assessed.risk == "low", (assessed.score, [h.id for h in assessed.hits])


def test_the_risk_model_reads_the_story_and_the_deceptive_probability(trained_home,
                                                                      ensemble_detector):
    """The ensemble's TF-IDF learns the deceptive column beside the indicators; the
    TF-IDF detector registered with it keeps the indicators only."""
    from models.risk import DECEPTIVE_COLUMN, STORY_AND_DECEPTIVE

    model = ensemble_detector.model
    assert model.risk_inputs == STORY_AND_DECEPTIVE
    assert model.tfidf.labels == [*model.labels, DECEPTIVE_COLUMN]
    assert model.risk_model.coef.shape[1] == len(model.labels) + 5
    tfidf = load_detector("indicators.tfidf.v1", home=trained_home)
    assert tfidf.tfidf.labels == list(model.labels)
    hits, inputs = ensemble_detector.detect([DECEPTIVE, ORDINARY])
    assert inputs.shape == (2, len(model.labels) + 5)
    assert inputs[0, -1] > 0.5 > inputs[1, -1]  # the deceptive probability
