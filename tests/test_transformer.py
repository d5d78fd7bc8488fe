"""`indicators.transformer.v1` on a tiny random BERT built here: offline, CPU, seconds.

The checkpoint (a WordPiece tokenizer trained on the ads below and a 2-layer BertConfig
model) is written to a temporary folder, fine-tuned for a few epochs and registered; the
tests check training, the artifact (safetensors only, sha256 verified), inference order,
exact evidence offsets on messy text, and the errors a user sees.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from corpora.records import Ad, LabelledAd  # noqa: E402
from models.artifacts import ArtifactError, load_artifact  # noqa: E402
from models.registry import available_detectors, load_detector  # noqa: E402
from models.transformer.classifier import (  # noqa: E402
    CONFIG_FILE,
    CheckpointError,
    TransformerClassifier,
)
from models.transformer.detector import (  # noqa: E402
    NoTransformerModelError,
    build_transformer_detector,
)
from models.thresholds import choose_thresholds  # noqa: E402
from models.transformer.training import (  # noqa: E402
    fit_transformer,
    train_transformer_from_corpus,
)

ROOT = Path(__file__).resolve().parents[1]

# (lang, text, indicators): short ads written for this test, contacts are reserved examples.
ADS = [
    ("es", "Se buscan señoritas de 18 a 25 años para trabajar en Europa, pasaje pagado.",
     ["APPEARANCE_REQ", "ABROAD_VAGUE", "TRAVEL_PAID"]),
    ("es", "Trabajo en el exterior, te pagamos el pasaje y el hospedaje. Solo WhatsApp.",
     ["ABROAD_VAGUE", "TRAVEL_PAID", "HOUSING_CONTROL", "CONTACT_INFORMAL"]),
    ("es", "Gana 3000 dólares al mes sin experiencia, viaje inmediato.",
     ["PAY_UNREALISTIC", "NO_REQUIREMENTS", "URGENCY"]),
    ("es", "Nosotros tramitamos tu pasaporte y visa, el costo se descuenta del sueldo.",
     ["DOCS_HANDLED", "FEE_OR_DEBT"]),
    ("es", "Chicas de buena presencia para modelaje y anfitrionas, mande fotos.",
     ["APPEARANCE_REQ", "HOSTESS_MODELING"]),
    ("es", "Aceptamos menores desde 15 años, no digas nada a tu familia.",
     ["MINOR_TARGET", "SECRECY"]),
    ("es", "Cruce seguro a Estados Unidos sin visa, salida esta semana.",
     ["IRREGULAR_MIGRATION", "URGENCY"]),
    ("es", "Pago de inscripción de 200 pesos para asegurar tu lugar, quedan pocos cupos.",
     ["FEE_OR_DEBT", "URGENCY"]),
    ("es", "Trabajo en finca con casa y comida incluida, sin papeles no hay problema.",
     ["HOUSING_CONTROL", "DOCS_HANDLED"]),
    ("es", "Masajistas jóvenes para trabajar en el extranjero, sueldo altísimo.",
     ["HOSTESS_MODELING", "ABROAD_VAGUE", "PAY_UNREALISTIC"]),
    ("es", "Solo escribe por Telegram, discreción total, no se necesita experiencia.",
     ["CONTACT_INFORMAL", "SECRECY", "NO_REQUIREMENTS"]),
    ("es", "Bailarinas para club en Europa, boleto de avión pagado por la empresa.",
     ["HOSTESS_MODELING", "ABROAD_VAGUE", "TRAVEL_PAID"]),
    ("es", "Ganancias garantizadas de 5000 euros, solo ganas de trabajar.",
     ["PAY_UNREALISTIC", "NO_REQUIREMENTS"]),
    ("es", "Guardamos tus documentos durante el contrato, vivienda en el barco.",
     ["DOCS_HANDLED", "HOUSING_CONTROL"]),
    ("es", "Decide hoy, salida inmediata al extranjero, pasaje cubierto.",
     ["URGENCY", "ABROAD_VAGUE", "TRAVEL_PAID"]),
    ("pt", "Procuramos moças de 18 a 25 anos para trabalhar fora do país, passagem paga.",
     ["APPEARANCE_REQ", "ABROAD_VAGUE", "TRAVEL_PAID"]),
    ("pt", "Ganhe 4000 euros por mês sem experiência, embarque imediato.",
     ["PAY_UNREALISTIC", "NO_REQUIREMENTS", "URGENCY"]),
    ("pt", "Nós cuidamos do seu passaporte, a taxa é descontada do salário.",
     ["DOCS_HANDLED", "FEE_OR_DEBT"]),
    ("pt", "Meninas bonitas para modelo e recepcionista, envie fotos pelo WhatsApp.",
     ["APPEARANCE_REQ", "HOSTESS_MODELING", "CONTACT_INFORMAL"]),
    ("pt", "Aceitamos menores a partir de 16 anos, sigilo absoluto.",
     ["MINOR_TARGET", "SECRECY"]),
    ("pt", "Travessia segura sem visto, saída amanhã, poucas vagas.",
     ["IRREGULAR_MIGRATION", "URGENCY"]),
    ("pt", "Trabalho em garimpo com alojamento e comida, passagem adiantada.",
     ["HOUSING_CONTROL", "TRAVEL_PAID"]),
    ("pt", "Taxa de cadastro obrigatória para a vaga na Europa, contato só por Telegram.",
     ["FEE_OR_DEBT", "ABROAD_VAGUE", "CONTACT_INFORMAL"]),
    ("pt", "Dançarinas e acompanhantes no exterior, salário altíssimo garantido.",
     ["HOSTESS_MODELING", "ABROAD_VAGUE", "PAY_UNREALISTIC"]),
    ("pt", "Não conte para a família, não precisa de documentos nem experiência.",
     ["SECRECY", "DOCS_HANDLED", "NO_REQUIREMENTS"]),
    ("es", "Empresa de logística busca contador con título y tres años de experiencia.", []),
    ("es", "Se solicita cajera para supermercado, horario de lunes a viernes.", []),
    ("es", "Vacante de enfermera en hospital municipal, enviar CV a rrhh@hospital.example.", []),
    ("es", "Taller mecánico contrata ayudante con licencia de conducir vigente.", []),
    ("es", "Escuela privada busca profesor de matemáticas con maestría.", []),
    ("es", "Restaurante del centro contrata cocinero con experiencia comprobable.", []),
    ("es", "Constructora solicita ingeniero civil, contrato indefinido y prestaciones.", []),
    ("es", "Farmacia busca auxiliar con estudios técnicos, zona norte.", []),
    ("es", "Oficina contable contrata asistente administrativo medio tiempo.", []),
    ("es", "Hotel busca recepcionista bilingüe, presentarse con documentos en la oficina.", []),
    ("es", "Se necesita chofer con experiencia y referencias laborales.", []),
    ("es", "Biblioteca pública abre convocatoria para bibliotecario titulado.", []),
    ("pt", "Empresa de tecnologia contrata desenvolvedor com experiência em Python.", []),
    ("pt", "Vaga de vendedora com carteira assinada, envie currículo para rh@loja.example.", []),
    ("pt", "Clínica procura técnico de enfermagem com registro no conselho.", []),
    ("pt", "Padaria contrata atendente, segunda a sábado, vale-transporte.", []),
    ("pt", "Escritório de advocacia procura estagiário de direito.", []),
    ("pt", "Construtora contrata pedreiro com experiência comprovada.", []),
    ("pt", "Escola municipal abre vaga para professora de português.", []),
    ("pt", "Supermercado procura repositor, salário compatível com o mercado.", []),
    ("pt", "Hospital contrata farmacêutico com CRF ativo, plano de saúde.", []),
    ("pt", "Loja de roupas busca gerente com experiência em varejo.", []),
    ("pt", "Transportadora contrata motorista com CNH categoria D.", []),
    ("pt", "Empresa de limpeza contrata auxiliar, benefícios e carteira assinada.", []),
]

# Texts that stress the offset mapping: NBSP, emoji, combining accents, zero-width
# spaces, mathematical bold letters, CRLF and edge spaces.
MESSY = [
    "  Se\u00a0buscan señoritas 😍 para\u00a0trabajar en Europa,\u200b pasaje pagado!!  ",
    "Ganhe\u202f4000 euros 💶💶 sem experie\u0301ncia,\r\n\r\n\r\nembarque imediato 🚀",
    "𝗧𝗿𝗮𝗯𝗮𝗷𝗼 en el exterior ✈️, te pagamos el pasaje\t\ty el hospedaje. Solo WhatsApp",
    "Aceitamos menores 👧🏽 a partir de 16 anos… sigilo absoluto 🤫",
]

HYPER = {"epochs": 25, "batch_size": 8, "lr": 5e-3, "max_length": 48, "seed": 7, "device": "cpu"}


def _labelled(n: int, lang: str, text: str, indicators: list[str]) -> LabelledAd:
    return LabelledAd(id=f"{lang}-{n:03d}", lang=lang, country="MX" if lang == "es" else "BR",
                      source="classified", kind="deceptive" if indicators else "legit",
                      risk="high" if indicators else "low", text=text, indicators=indicators)


LABELLED = [_labelled(n, *row) for n, row in enumerate(ADS)]
TRAIN = [ad for n, ad in enumerate(LABELLED) if n % 5 != 4]
DEV = [ad for n, ad in enumerate(LABELLED) if n % 5 == 4]


def _no_network(*args, **kwargs):
    raise AssertionError("the transformer detector tried to open a network connection")


@pytest.fixture(scope="module", autouse=True)
def _offline():
    """Hub access off, and any socket connection fails the test: nothing downloads."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("TRANSFORMERS_OFFLINE", "1")
        patch.setattr(socket.socket, "connect", _no_network)
        patch.setattr(socket, "create_connection", _no_network)
        yield


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    """A 32-wide model gains nothing from threads, and on a busy CI runner torch's thread
    pool can make it 50 times slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _build_checkpoint(folder: Path) -> Path:
    """A WordPiece tokenizer over the ads' own words and a random 2-layer BERT, saved offline.

    The vocabulary is listed here, not learnt with a `WordPieceTrainer`: the trainer breaks
    ties in hash order, so each run had another vocabulary, another model, and a training
    loss that one run in a few failed to halve."""
    import torch
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=True)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    words = {word for _, text, _ in ADS
             for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text))}
    letters = sorted({char for word in words for char in word})
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    pieces = specials + letters + [f"##{char}" for char in letters] + sorted(words - set(letters))
    tokenizer = Tokenizer(WordPiece({piece: n for n, piece in enumerate(pieces)},
                                    unk_token="[UNK]"))
    tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizer
    tokenizer.decoder = decoders.WordPiece()
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)])
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]",
                                      pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]",
                                      mask_token="[MASK]", model_max_length=128)
    config = BertConfig(vocab_size=tokenizer.get_vocab_size(), hidden_size=32,
                        num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                        max_position_embeddings=128)
    wrapped.save_pretrained(folder)
    torch.manual_seed(0)  # the same random "pretrained" weights on every run
    BertModel(config).save_pretrained(folder)
    return folder


def _build_sentencepiece_checkpoint(folder: Path) -> Path:
    """An XLM-R-shaped checkpoint: Unigram + Metaspace tokenizer (offsets include the
    leading space, punctuation stays in the word) and a random 2-layer XLM-RoBERTa."""
    import torch
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram
    from tokenizers.trainers import UnigramTrainer
    from transformers import PreTrainedTokenizerFast, XLMRobertaConfig, XLMRobertaModel

    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    tokenizer = Tokenizer(Unigram())
    tokenizer.normalizer = normalizers.NFKC()
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    tokenizer.train_from_iterator([text for _, text, _ in ADS], UnigramTrainer(
        vocab_size=400, special_tokens=specials, unk_token="<unk>"))
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", tokenizer.token_to_id("<s>")),
                                              ("</s>", tokenizer.token_to_id("</s>"))])
    PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
        pad_token="<pad>", cls_token="<s>", sep_token="</s>", mask_token="<mask>",
        model_max_length=64).save_pretrained(folder)
    torch.manual_seed(0)
    XLMRobertaModel(XLMRobertaConfig(
        vocab_size=tokenizer.get_vocab_size(), hidden_size=32, num_hidden_layers=2,
        num_attention_heads=2, intermediate_size=64, max_position_embeddings=80,
        pad_token_id=tokenizer.token_to_id("<pad>"))).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    return _build_checkpoint(tmp_path_factory.mktemp("checkpoint"))


@pytest.fixture(scope="module")
def artifact(checkpoint, tmp_path_factory):
    """The tiny model fine-tuned on TRAIN, thresholds chosen on DEV, registered in a home.

    Fine-tuning takes a few seconds on CPU, so the tests that use it are marked slow."""
    home = tmp_path_factory.mktemp("home")
    return train_transformer_from_corpus(checkpoint, TRAIN, DEV, home, **HYPER)


@pytest.fixture()
def eager_detector(artifact):
    """A detector that reports every indicator (all thresholds 0), to test evidence."""
    fresh = build_transformer_detector(artifact.path, device="cpu")
    fresh.classifier.thresholds = (0.0,) * len(fresh.classifier.labels)
    return fresh


def test_importing_the_package_loads_neither_torch_nor_transformers():
    code = ("import sys, models.registry, models.transformer.detector, "
            "models.transformer.training, models.transformer.classifier, "
            "models.transformer.attribution; "
            "assert not {'torch', 'transformers'} & set(sys.modules), "
            "sorted({'torch', 'transformers'} & set(sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "indicators.transformer.v1" in available_detectors()


@pytest.mark.slow
def test_training_lowers_the_loss_and_predicts_in_taxonomy_order(artifact, taxonomy):
    epoch_loss = artifact.meta.metrics["epoch_loss"]
    assert len(epoch_loss) == HYPER["epochs"]
    assert epoch_loss[-1] < 0.7 * epoch_loss[0]
    assert set(artifact.meta.metrics["dev"]["f1"]) == set(taxonomy.ids)
    classifier = TransformerClassifier.load(artifact.path, device="cpu")
    assert classifier.labels == taxonomy.ids
    assert len(classifier.thresholds) == len(taxonomy.ids)
    probs = classifier.predict_proba([ad.text for ad in TRAIN])
    assert probs.shape == (len(TRAIN), len(taxonomy.ids))
    assert ((probs >= 0) & (probs <= 1)).all()
    # The tiny model has learned its training ads: gold indicators score above the others.
    gold = np.array([[label in ad.indicators for label in taxonomy.ids] for ad in TRAIN])
    assert probs[gold].mean() > probs[~gold].mean() + 0.2


def test_same_seed_same_model(checkpoint):
    short = {**HYPER, "epochs": 1}
    first = fit_transformer(checkpoint, TRAIN[:16], None, **short)
    second = fit_transformer(checkpoint, TRAIN[:16], None, **short)
    assert len(first.training_log.step_loss) == 2
    assert first.training_log.step_loss == second.training_log.step_loss
    assert first.thresholds == (0.5,) * len(first.labels)  # no dev split: default thresholds


@pytest.mark.slow
def test_artifact_holds_safetensors_tokenizer_and_config_only(artifact, taxonomy):
    files = {p.name for p in artifact.path.iterdir()}
    assert "model.safetensors" in files and "tokenizer.json" in files
    assert CONFIG_FILE in files and "meta.json" in files
    assert not [name for name in files
                if name.endswith((".bin", ".pkl", ".pickle", ".pt", ".pth", ".ckpt"))]
    assert all(p.is_file() for p in artifact.path.iterdir())
    assert artifact.path.parent.name == "indicators.transformer"
    config = json.loads((artifact.path / CONFIG_FILE).read_text(encoding="utf-8"))
    assert config["labels"] == list(taxonomy.ids)
    assert set(config["thresholds"]) == set(taxonomy.ids)
    assert config["max_length"] == HYPER["max_length"]
    meta = load_artifact(artifact.path).meta  # verifies every file's sha256
    assert meta.name == "indicators.transformer" and meta.sha256 == artifact.meta.sha256
    assert set(meta.files) == files - {"meta.json"}
    assert meta.metrics["epoch_loss"] and "micro_f1" in meta.metrics["dev"]
    assert meta.config["hyperparameters"]["lr"] == HYPER["lr"]
    assert len(meta.training_data_sha256) == 64


@pytest.mark.slow
def test_a_tampered_artifact_is_refused(artifact, tmp_path):
    copy = Path(shutil.copytree(artifact.path, tmp_path / "copy"))
    config = copy / CONFIG_FILE
    config.write_text(config.read_text(encoding="utf-8").replace('"labels"', '"labels" '),
                      encoding="utf-8")
    with pytest.raises(ArtifactError, match="sha256"):
        build_transformer_detector(copy, device="cpu")


@pytest.mark.slow
def test_registry_detector_assesses_in_order_with_its_ref(artifact, taxonomy):
    detector = load_detector("indicators.transformer.v1", artifact=artifact.path, device="cpu")
    assert (detector.ref.name, detector.ref.version) == ("indicators.transformer", "1")
    assert detector.ref.sha256 == artifact.meta.sha256
    ads = [ad.to_ad() for ad in LABELLED[:6]] + [Ad(id="und-1", lang="und", text=ADS[0][1])]
    assessments = detector.assess(ads)
    assert [a.ad_id for a in assessments] == [ad.id for ad in ads]
    order = list(taxonomy.ids)
    for assessment in assessments:
        assert assessment.model.name == "indicators.transformer"
        assert assessment.model.sha256 == artifact.meta.sha256
        ids = [hit.id for hit in assessment.hits]
        assert ids == sorted(ids, key=order.index)
        assert all(hit.detector == "indicators.transformer.v1" for hit in assessment.hits)
    assert assessments[-1].hits == [] and assessments[-1].risk == "low"
    # The model learned these training ads: the first one is flagged.
    assert assessments[0].hits


@pytest.mark.slow
def test_evidence_offsets_are_exact_on_messy_text(eager_detector, taxonomy):
    ads = [Ad(id=f"m{n}", lang="pt" if n % 2 else "es", text=text)
           for n, text in enumerate(MESSY)]
    hits_per_ad = eager_detector.detect_hits(ads)
    with_evidence = 0
    for ad, hits in zip(ads, hits_per_ad):
        assert [hit.id for hit in hits] == list(taxonomy.ids)
        for hit in hits:
            with_evidence += bool(hit.evidence)
            for ev in hit.evidence:
                assert ad.text[ev.start:ev.end] == ev.text
                assert ev.text.strip() and ev.text == ev.text.strip()
                assert any(ch.isalnum() for ch in ev.text)
    # A hit has no evidence only when no word pushed its logit up.
    assert with_evidence > len(MESSY) * len(taxonomy.ids) / 2


@pytest.mark.slow
def test_accented_and_bold_words_map_back_whole(eager_detector):
    text = "𝗧𝗿𝗮𝗯𝗮𝗷𝗼 experie\u0301ncia señoritas"
    hits = eager_detector.detect_hits([Ad(id="b", lang="es", text=text)])[0]
    words = {"𝗧𝗿𝗮𝗯𝗮𝗷𝗼", "experie\u0301ncia", "señoritas"}
    for hit in hits:
        for ev in hit.evidence:
            assert set(ev.text.split()) <= words, ev.text


@pytest.mark.slow
def test_a_sentencepiece_checkpoint_also_gives_exact_offsets(tmp_path):
    checkpoint = _build_sentencepiece_checkpoint(tmp_path / "xlmr")
    trained = train_transformer_from_corpus(checkpoint, TRAIN, None, tmp_path / "home",
                                            **{**HYPER, "epochs": 1})
    detector = build_transformer_detector(trained.path, device="cpu")
    detector.classifier.thresholds = (0.0,) * len(detector.classifier.labels)
    ads = [Ad(id=f"m{n}", lang="es", text=text) for n, text in enumerate(MESSY)]
    evidence = [(ad, ev) for ad, hits in zip(ads, detector.detect_hits(ads))
                for hit in hits for ev in hit.evidence]
    assert evidence
    for ad, ev in evidence:
        assert ad.text[ev.start:ev.end] == ev.text and ev.text == ev.text.strip()


@pytest.mark.slow
def test_long_texts_are_read_in_windows(eager_detector):
    classifier = eager_detector.classifier
    long_text = " ".join([ADS[n % 25][1] for n in range(12)])
    windows = classifier.tokenize_windows([long_text, "Trabajo en Europa"])
    assert windows.text_index.count(0) > 1 and windows.text_index.count(1) == 1
    assert all(len(row["input_ids"]) <= classifier.max_length for row in windows.inputs)
    ad = Ad(id="long", lang="es", text=long_text)
    hits = eager_detector.detect_hits([ad])[0]
    assert hits and all(ad.text[ev.start:ev.end] == ev.text
                        for hit in hits for ev in hit.evidence)


@pytest.mark.slow
def test_und_ads_get_no_hits(eager_detector):
    ads = [Ad(id="u", lang="und", text=ADS[0][1]), Ad(id="e", lang="es", text=ADS[0][1])]
    hits = eager_detector.detect_hits(ads)
    assert hits[0] == [] and hits[1]
    assert eager_detector.assess(ads)[0].risk == "low"


@pytest.mark.slow
def test_the_home_holds_the_latest_artifact(artifact, tmp_path):
    home = tmp_path / "my-home"
    target = home / "models" / "indicators.transformer" / artifact.path.name
    shutil.copytree(artifact.path, target)
    detector = load_detector("indicators.transformer.v1", home=home, device="cpu")
    assert detector.ref.sha256 == artifact.meta.sha256
    assert build_transformer_detector(home=home, device="cpu").artifact.path == target


def test_clear_errors_for_missing_models_and_checkpoints(tmp_path):
    with pytest.raises(NoTransformerModelError, match="centinela train --transformer"):
        build_transformer_detector(home=tmp_path / "empty-home")
    with pytest.raises(NoTransformerModelError, match="the Centinela home"):
        build_transformer_detector()
    with pytest.raises(NoTransformerModelError, match="does not exist"):
        build_transformer_detector(tmp_path / "no-such-artifact")
    with pytest.raises(CheckpointError, match="checkpoint folder does not exist"):
        fit_transformer(tmp_path / "no-such-checkpoint", TRAIN, DEV, **HYPER)
    with pytest.raises(CheckpointError, match="checkpoint folder does not exist"):
        train_transformer_from_corpus(tmp_path / "no-such-checkpoint", TRAIN, DEV, tmp_path)
    (tmp_path / "not-a-checkpoint").mkdir()
    with pytest.raises(CheckpointError, match="no config.json"):
        fit_transformer(tmp_path / "not-a-checkpoint", TRAIN, DEV, **HYPER)
    with pytest.raises(TypeError, match="unknown transformer training options"):
        train_transformer_from_corpus(tmp_path, TRAIN, DEV, tmp_path, epoch=3)


def test_thresholds_are_chosen_per_indicator_on_dev():
    y = np.array([[1, 0, 0], [1, 0, 0], [0, 0, 1], [0, 0, 1]], dtype=np.float32)
    probs = np.array([[0.9, 0.2, 0.3], [0.7, 0.1, 0.2], [0.2, 0.3, 0.35], [0.1, 0.9, 0.4]])
    thresholds, f1 = choose_thresholds(probs, y, min_support=2)
    assert thresholds[0] == 0.7 and f1[0] == 1.0  # the highest of the perfect thresholds
    assert thresholds[1] == 0.5 and f1[1] == 0.0  # no dev positive: the default
    assert thresholds[2] == 0.35 and f1[2] == 1.0
    # By default two dev positives are too few to tune on: 0.5 stays.
    assert choose_thresholds(probs, y)[0] == [0.5, 0.5, 0.5]
