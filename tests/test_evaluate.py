"""`centinela evaluate`: the keyword baseline, the report on a small corpus we wrote, the
command as a user types it, and the `evaluate-detectors` flow under Prefect's harness.

The real ordinary ads in ../shared/data/real-ads are read only by the test that says so,
and it skips when the folder is absent; every other test uses ads written here.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from corpora.records import Ad
from evaluation.keywords import build_keyword_detector
from evaluation.report import (
    DEFAULT_REAL_ADS,
    KEYWORD_BASELINE,
    TEST_SPLIT_WARNING,
    load_real_ads,
    rate_real_ads,
    run_evaluation,
)
from pipelines.commands.evaluate import evaluate

SECRET_PHRASE = "no le cuentes a tu familia"
ADS = [
    ("es-t1", "es", "deceptive", "high",
     "Trabajo en Europa para señoritas de buena presencia. Te pagamos el pasaje y nosotros "
     f"guardamos tu pasaporte. Inscripción de 100 dólares, {SECRET_PHRASE}. Solo WhatsApp.",
     {"ABROAD_VAGUE": "Trabajo en Europa", "APPEARANCE_REQ": "señoritas de buena presencia",
      "TRAVEL_PAID": "Te pagamos el pasaje", "DOCS_HANDLED": "guardamos tu pasaporte",
      "FEE_OR_DEBT": "Inscripción de 100 dólares", "SECRECY": SECRET_PHRASE,
      "CONTACT_INFORMAL": "Solo WhatsApp"}),
    ("es-t2", "es", "deceptive", "medium",
     "Se buscan chicas para trabajar de modelos webcam desde casa, sin experiencia, ganancias "
     "garantizadas cada semana. Urgente, pocos cupos.",
     {"HOSTESS_MODELING": "modelos webcam", "NO_REQUIREMENTS": "sin experiencia",
      "URGENCY": "Urgente, pocos cupos"}),
    ("es-t3", "es", "legit", "low",
     "Cajero para supermercado en Zapopan. Sueldo fijo, prestaciones de ley, horario rotativo. "
     "No cobramos ninguna cuota. Enviar CV a empleo@super.example.com", {}),
    ("es-t4", "es", "hard_negative", "low",
     "Agencia de modelos publicitarios con oficina en Bogotá busca fotógrafo con experiencia y "
     "portafolio. Contrato a término fijo. rrhh@estudio.example.com", {}),
    ("pt-t1", "pt", "deceptive", "high",
     "Vaga no exterior para moças bonitas, passagem paga pela agência. A taxa de inscrição é "
     "descontada do salário. Fale só pelo WhatsApp, sigilo total.",
     {"ABROAD_VAGUE": "Vaga no exterior", "APPEARANCE_REQ": "moças bonitas",
      "TRAVEL_PAID": "passagem paga pela agência",
      "FEE_OR_DEBT": "taxa de inscrição é descontada do salário",
      "CONTACT_INFORMAL": "Fale só pelo WhatsApp", "SECRECY": "sigilo total"}),
    ("pt-t2", "pt", "deceptive", "medium",
     "Trabalho em fazenda com alojamento e alimentação, sem experiência. Início imediato, "
     "vagas limitadas.",
     {"HOUSING_CONTROL": "alojamento e alimentação", "NO_REQUIREMENTS": "sem experiência",
      "URGENCY": "Início imediato, vagas limitadas"}),
    ("pt-t3", "pt", "legit", "low",
     "Analista de dados pleno em São Paulo. Requisitos: SQL, Python e experiência com BI. "
     "Regime CLT, vale-refeição. Candidate-se em vagas.example.com.br", {}),
    ("pt-t4", "pt", "legit", "low",
     "Auxiliar administrativo em Recife, ensino médio completo, salário compatível e plano de "
     "saúde. Envie currículo para rh@empresa.example.com.br", {}),
]
REAL = {
    "board-es": ["Mesero con experiencia para restaurante en Madrid, contrato indefinido.",
                 "Contable con experiencia para asesoría en Valencia, jornada completa.",
                 "Recepcionista de hotel en Sevilla, imprescindible pasaporte en vigor, "
                 "alojamiento incluido."],
    "board-pt": ["Desenvolvedor backend, trabalho remoto, salário compatível.",
                 "Vendedor externo, fale pelo WhatsApp, início imediato, vagas limitadas."],
}


def labelled(ad_id: str, lang: str, kind: str, risk: str, text: str,
             evidence: dict[str, str]) -> dict:
    spans = {}
    for indicator, phrase in evidence.items():
        start = text.index(phrase)
        spans[indicator] = [{"start": start, "end": start + len(phrase), "text": phrase}]
    return {"id": ad_id, "lang": lang, "country": "MX" if lang == "es" else "BR",
            "source": "classified", "kind": kind, "risk": risk, "text": text,
            "indicators": list(evidence), "evidence": spans}


@pytest.fixture
def corpus_root(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "ads").mkdir(parents=True)
    for lang in ("es", "pt"):
        lines = [json.dumps(labelled(*ad), ensure_ascii=False) for ad in ADS if ad[1] == lang]
        (root / "ads" / f"{lang}-1.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ids = [ad[0] for ad in ADS]
    splits = {"seed": 1, "method": "by hand", "ratios": {"train": 0.5, "dev": 0.25, "test": 0.25},
              "train": [], "dev": ids[:6], "test": ids[6:]}
    (root / "splits.json").write_text(json.dumps(splits), encoding="utf-8")
    return root


@pytest.fixture
def real_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "real-ads"
    folder.mkdir()
    for name, texts in REAL.items():
        lines = [json.dumps({"id": f"{name}-{i}", "lang": name[-2:], "text": text},
                            ensure_ascii=False) for i, text in enumerate(texts)]
        lines.append("{not json")
        (folder / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


class _Resources(HTMLParser):
    """Every tag's attributes, to check what a page would load."""

    def __init__(self) -> None:
        super().__init__()
        self.attrs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attrs.extend((tag, name, value or "") for name, value in attrs)


def assert_self_contained(html: str) -> None:
    parser = _Resources()
    parser.feed(html)
    images = [value for tag, name, value in parser.attrs if tag == "img" and name == "src"]
    assert images and all(src.startswith("data:image/png;base64,") for src in images)
    linked = [(tag, name, value) for tag, name, value in parser.attrs
              if name in ("src", "href", "srcset", "action") and "http" in value]
    assert not linked
    assert "<script" not in html and "@import" not in html and "url(" not in html
    assert 'src="http' not in html and 'href="http' not in html


# --- the keyword baseline --------------------------------------------------------------

def test_keyword_baseline_matches_naively(taxonomy) -> None:
    detector = build_keyword_detector()
    text = "No cobramos CUOTA alguna. Modelado 3D; Pasaporte vigente. Escríbenos por WhatsApp"
    ads = [Ad(id="a", lang="es", text=text), Ad(id="b", lang="und", text=text)]
    (found, none) = detector.assess(ads)
    hits = {hit.id: hit for hit in found.hits}
    assert set(hits) == {"FEE_OR_DEBT", "DOCS_HANDLED", "CONTACT_INFORMAL"}  # negation ignored
    assert "HOSTESS_MODELING" not in hits  # whole words: "Modelado" is not "modelo"
    for hit in hits.values():
        for ev in hit.evidence:
            assert text[ev.start:ev.end] == ev.text
    assert hits["FEE_OR_DEBT"].evidence[0].text == "CUOTA"
    assert hits["DOCS_HANDLED"].strength == taxonomy.get("DOCS_HANDLED").strength
    assert none.hits == [] and none.risk == "low"
    assert f"{found.model.name}.v{found.model.version}" == KEYWORD_BASELINE


def test_keyword_file_names_only_known_indicators(tmp_path: Path) -> None:
    bad = tmp_path / "keywords.yaml"
    bad.write_text("keywords: {es: {NOT_AN_INDICATOR: [hola]}}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="NOT_AN_INDICATOR"):
        build_keyword_detector(bad)


# --- the report ------------------------------------------------------------------------

def test_report_on_a_fixture_corpus(rules_detector, corpus_root: Path, real_dir: Path,
                                    tmp_path: Path) -> None:
    detectors = [(rules_detector, "model"), (build_keyword_detector(), "baseline")]
    files = run_evaluation("indicators.rules.v1", split="dev", out_dir=tmp_path / "out",
                           corpus_root=corpus_root, real_ads_dir=real_dir, limit_real=0,
                           detectors=detectors)

    report = json.loads(files.json_path.read_text(encoding="utf-8"))
    assert report == json.loads(json.dumps(files.report))
    assert {"schema", "created_at", "split", "warning", "corpus", "taxonomy", "real_ads",
            "settings", "detectors", "summary"} <= set(report)
    assert report["split"] == "dev" and report["warning"] is None
    assert report["corpus"]["ads"] == 6 and report["corpus"]["by_lang"] == {"es": 4, "pt": 2}
    assert list(report["detectors"]) == ["indicators.rules.v1", KEYWORD_BASELINE]
    for name, result in report["detectors"].items():
        assert {"role", "model", "indicators", "risk", "ranking", "calibration", "spans",
                "real_ads"} <= set(result)
        assert set(result["indicators"]) == {"all", "es", "pt"}
        per = result["indicators"]["all"]["per_indicator"]
        assert list(per) == report["taxonomy"]["ids"]
        assert per["TRAVEL_PAID"]["support"] == 2
        assert sum(map(sum, result["risk"]["confusion"]["all"])) == 6
        assert {"average_precision", "precision_at_top_share", "precision_at"} <= \
            set(result["ranking"]["all"])
        assert result["ranking"]["all"]["k_top_share"] == 1
        assert len(result["ranking"]["precision_curve"]) == 6
        assert len(result["calibration"]["bins"]) == 10
        assert sum(b["count"] for b in result["calibration"]["bins"]) == 6 * len(per)
        assert {"pairs", "char_f1", "share_overlapping"} <= set(result["spans"]["all"])
        real = result["real_ads"]
        assert set(real["files"]) == {"board-es", "board-pt"}
        assert real["all"]["ads"] == 5 and set(real["by_lang"]) == {"es", "pt"}
    keywords = report["detectors"][KEYWORD_BASELINE]
    assert keywords["indicators"]["all"]["per_indicator"]["FEE_OR_DEBT"]["fp"] == 1  # negation
    assert keywords["real_ads"]["all"]["high_or_medium_rate"] > 0
    assert report["real_ads"]["bad_records"] == 2
    assert {(row["detector"], row["lang"]) for row in report["summary"]} == {
        (name, lang) for name in report["detectors"] for lang in ("all", "es", "pt")}

    html = files.html_path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert_self_contained(html)
    assert "FEE_OR_DEBT" in html and "macro-F1" in html
    # Reports carry numbers and ids, never ad text.
    for text in (SECRET_PHRASE, "Zapopan", REAL["board-pt"][1]):
        assert text not in html and text not in files.json_path.read_text(encoding="utf-8")


def test_real_ads_are_skipped_cleanly_when_absent(corpus_root: Path, tmp_path: Path) -> None:
    files = run_evaluation(KEYWORD_BASELINE, split="test", out_dir=tmp_path / "out",
                           corpus_root=corpus_root, real_ads_dir=tmp_path / "no-such-folder",
                           baselines=False)
    report = files.report
    assert report["real_ads"]["used"] is False
    assert "no-such-folder" in report["real_ads"]["skipped"]
    assert report["detectors"][KEYWORD_BASELINE]["real_ads"] is None
    assert all(row["real_high_rate"] is None for row in report["summary"])
    assert report["warning"] == TEST_SPLIT_WARNING
    html = files.html_path.read_text(encoding="utf-8")
    assert "Skipped" in html and TEST_SPLIT_WARNING in html
    assert_self_contained(html)


def test_real_ads_are_a_seeded_sample_per_file(real_dir: Path) -> None:
    first = load_real_ads(real_dir, limit_per_file=2)
    assert {name: len(ads) for name, ads in first.ads.items()} == {"board-es": 2, "board-pt": 2}
    assert first.available == {"board-es": 3, "board-pt": 2} and first.problems == 2
    again = load_real_ads(real_dir, limit_per_file=2)
    assert [ad.id for ad in again.ads["board-es"]] == [ad.id for ad in first.ads["board-es"]]
    assert len(load_real_ads(real_dir, limit_per_file=0).ads["board-es"]) == 3
    assert load_real_ads(None).skipped


@pytest.mark.skipif(not DEFAULT_REAL_ADS.is_dir(), reason="no ../shared/data/real-ads here")
def test_real_ordinary_ads_rates(taxonomy) -> None:
    real = load_real_ads(DEFAULT_REAL_ADS, limit_per_file=25)
    assert real.skipped is None and real.ads
    assert all(len(ads) <= 25 for ads in real.ads.values())
    rates = rate_real_ads(build_keyword_detector(), real, taxonomy.ids)
    assert rates["all"]["ads"] == sum(len(ads) for ads in real.ads.values())
    assert 0.0 <= rates["all"]["high_rate"] <= rates["all"]["high_or_medium_rate"] <= 1.0
    assert set(rates["indicator_rates"]) == set(taxonomy.ids)


# --- the command -----------------------------------------------------------------------

@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setenv("COLUMNS", "200")
    app = typer.Typer()
    app.callback()(lambda: None)
    app.command("evaluate")(evaluate)
    return app


def test_evaluate_command_prints_the_summary_and_writes_the_report(
        cli: typer.Typer, corpus_root: Path, real_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, [
        "evaluate", "--model", KEYWORD_BASELINE, "--no-baselines", "--root", str(corpus_root),
        "--real-ads", str(real_dir), "--limit-real", "0"], terminal_width=200)

    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.stdout and KEYWORD_BASELINE in result.stdout
    assert "Real ordinary ads: 5 from 2 files" in result.stdout
    reports = tmp_path / "centinela-home" / "reports"  # CENTINELA_HOME/reports by default
    (html,) = reports.glob("evaluation-dev-*.html")
    assert str(html) in result.stdout and len(list(reports.glob("*.json"))) == 1
    assert "Warning" not in result.stderr


def test_evaluate_command_warns_on_the_test_split(cli: typer.Typer, corpus_root: Path,
                                                  real_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, [
        "evaluate", "--model", KEYWORD_BASELINE, "--no-baselines", "--split", "test",
        "--root", str(corpus_root), "--out", str(tmp_path / "out"), "--real-ads", str(real_dir)],
        terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "final reporting only" in result.stderr
    assert list((tmp_path / "out").glob("evaluation-test-*.html"))


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--model", "indicators.nope.v9"], 2, "unknown detector"),
    (["--split", "train"], 2, "train"),
    (["--real-ads", "/no/such/folder"], 2, "does not exist"),
])
def test_evaluate_command_refuses_bad_options(cli: typer.Typer, corpus_root: Path,
                                              args: list[str], code: int, message: str) -> None:
    result = CliRunner().invoke(cli, ["evaluate", "--root", str(corpus_root), *args],
                                terminal_width=200)
    assert result.exit_code == code
    assert message in result.stderr


def test_evaluate_command_says_to_train_when_no_model_is_trained(
        cli: typer.Typer, corpus_root: Path, real_dir: Path) -> None:
    result = CliRunner().invoke(cli, [
        "evaluate", "--model", "indicators.ensemble.v2", "--no-baselines", "--root",
        str(corpus_root), "--real-ads", str(real_dir)], terminal_width=200)
    assert result.exit_code == 2, result.output
    assert "run `centinela train` first" in result.stderr
    assert "Traceback" not in result.output


def test_evaluate_command_names_a_missing_splits_file(cli: typer.Typer, tmp_path: Path,
                                                      corpus_root: Path) -> None:
    (corpus_root / "splits.json").unlink()
    result = CliRunner().invoke(cli, ["evaluate", "--model", KEYWORD_BASELINE,
                                      "--root", str(corpus_root)], terminal_width=200)
    assert result.exit_code == 1
    assert "splits.json" in result.stderr and "centinela corpus split" in result.stderr


# --- the flow --------------------------------------------------------------------------

@pytest.mark.slow
def test_evaluate_flow_publishes_the_summary(prefect_harness: None, corpus_root: Path,
                                             real_dir: Path, tmp_path: Path) -> None:
    from prefect.artifacts import Artifact

    from pipelines.flows.evaluate import ARTIFACT_KEY, evaluate_detectors

    files = evaluate_detectors(model=KEYWORD_BASELINE, split="dev", out_dir=tmp_path / "out",
                               corpus_root=corpus_root, real_ads_dir=real_dir, limit_real=0,
                               baselines=False)

    assert files.html_path.is_file() and files.json_path.is_file()
    artifact = Artifact.get(ARTIFACT_KEY)
    assert artifact is not None and artifact.type == "markdown"
    assert "| macro-F1 |" in artifact.data and KEYWORD_BASELINE in artifact.data
    assert str(files.html_path) in artifact.data


# --- gold files ------------------------------------------------------------------------

GOLD = [  # id, lang, quote, risk, text, {indicator: evidence}
    ("g1", "es", "exact", "high",
     "Te pagamos el viaje y la agencia guarda tu pasaporte hasta que pagues.",
     {"TRAVEL_PAID": "Te pagamos el viaje", "DOCS_HANDLED": "guarda tu pasaporte"}),
    ("g2", "es", "paraphrase", "high",
     "Le prometieron tres mil dólares al mes limpiando casas.",
     {"PAY_UNREALISTIC": "tres mil dólares al mes"}),
    ("g3", "pt", "paraphrase", "high",
     "Disseram que a empresa bancava as passagens até a Espanha.",
     {"TRAVEL_PAID": "a empresa bancava as passagens"}),
    ("g4", "es", "exact", "low",
     "Se busca chofer con licencia y pasaporte vigente para rutas nacionales.", {}),
    ("g5", "pt", "exact", "medium",
     "Vaga de ajudante de obra com alojamento na própria obra.",
     {"HOUSING_CONTROL": "alojamento na própria obra"}),
]


def gold_record(ad_id: str, lang: str, quote: str, risk: str, text: str,
                evidence: dict[str, str], spans: bool = False) -> dict:
    """A record as gold files hold them: string evidence (or corpus spans), extra fields."""
    record = {"id": ad_id, "lang": lang, "country": "MX" if lang == "es" else "BR",
              "source": "news", "kind": "real_deceptive", "quote": quote, "risk": risk,
              "text": text, "indicators": list(evidence),
              "evidence": {i: [phrase] for i, phrase in evidence.items()},
              "source_url": f"https://news.example.org/{ad_id}", "note": f"written for {ad_id}"}
    if spans:
        record = {**record, **labelled(ad_id, lang, "deceptive", risk, text, evidence)}
    return record


@pytest.fixture
def gold_files(tmp_path: Path) -> list[Path]:
    first, second = tmp_path / "gold-a.jsonl", tmp_path / "gold-b.jsonl"
    records = [gold_record(*ad, spans=ad[0] == "g5") for ad in GOLD]
    first.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records[:3]),
                     encoding="utf-8")
    second.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records[3:]),
                      encoding="utf-8")
    return [first, second]


def test_evaluate_on_gold_files_splits_figures_by_field(gold_files: list[Path],
                                                        tmp_path: Path) -> None:
    from tests.fakes import FakeDetector

    files = run_evaluation("fake.pasaporte.v1", out_dir=tmp_path / "out", gold=gold_files,
                           by=["quote", "lang"], real_ads_dir=None,
                           detectors=[(FakeDetector(), "model")])
    report = files.report
    assert report["split"] == "gold" and report["corpus"]["ads"] == 5
    assert report["by"] == ["quote", "lang"] and report["warning"] is None
    result = report["detectors"]["fake.pasaporte.v1"]
    # The fake finds DOCS_HANDLED wherever "pasaporte" stands: right in g1, wrong in g4.
    micro = result["indicators"]["all"]["micro"]
    assert (micro["tp"], micro["fp"], micro["fn"]) == (1, 1, 4)
    assert micro["precision"] == 0.5 and micro["recall"] == 0.2
    assert result["gold_high"]["all"] == {"gold_high": 3, "flagged": 1, "rated_high": 1,
                                          "flagged_share": 0.3333, "rated_high_share": 0.3333}
    exact, paraphrase = result["by"]["quote"]["exact"], result["by"]["quote"]["paraphrase"]
    assert exact["ads"] == 3 and paraphrase["ads"] == 2
    assert (exact["micro"]["recall"], exact["micro"]["precision"]) == (0.3333, 0.5)
    assert exact["gold_high"]["flagged_share"] == 1.0
    assert paraphrase["micro"]["recall"] == 0.0 and paraphrase["micro"]["precision"] is None
    assert paraphrase["gold_high"]["flagged_share"] == 0.0 and paraphrase["average_precision"]
    assert set(result["by"]["lang"]) == {"es", "pt"}
    assert result["by"]["lang"]["pt"]["micro"]["fn"] == 2

    html = files.html_path.read_text(encoding="utf-8")
    assert_self_contained(html)
    assert "Gold-high texts" in html and "quote=paraphrase" in html and "gold-a.jsonl" in html
    stored = files.json_path.read_text(encoding="utf-8")
    for ad in GOLD:  # the report holds figures, never the texts, urls or notes
        assert ad[4] not in html and ad[4] not in stored
    assert "news.example.org" not in stored and "written for" not in stored


def test_evaluate_command_on_gold_files(cli: typer.Typer, gold_files: list[Path],
                                        tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, [
        "evaluate", "--model", KEYWORD_BASELINE, "--no-baselines", "--gold", str(gold_files[0]),
        "--gold", str(gold_files[1]), "--by", "quote", "--out", str(tmp_path / "out")],
        terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "gold files (5 labelled ads, 3 gold high)" in result.stdout
    assert "quote=exact" in result.stdout and "high: flagged" in result.stdout
    assert list((tmp_path / "out").glob("evaluation-gold-*.html"))


@pytest.mark.parametrize(("change", "by", "message"), [
    ({"evidence": {"TRAVEL_PAID": ["not in the text"]}}, [], "gold-a.jsonl:1"),
    ({"indicators": ["NOT_AN_INDICATOR"], "evidence": {}}, [], "NOT_AN_INDICATOR"),
    ({"risk": "extreme"}, [], "risk"),
    ({}, ["colour"], "cannot split by 'colour'"),
    ({}, ["note"], "not a grouping field"),
])
def test_evaluate_command_refuses_bad_gold(cli: typer.Typer, gold_files: list[Path],
                                           change: dict, by: list[str], message: str) -> None:
    lines = gold_files[0].read_text(encoding="utf-8").splitlines()
    lines[0] = json.dumps({**json.loads(lines[0]), **change}, ensure_ascii=False)
    gold_files[0].write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = [a for field in by for a in ("--by", field)]
    result = CliRunner().invoke(cli, ["evaluate", "--model", KEYWORD_BASELINE, "--no-baselines",
                                      "--gold", str(gold_files[0]), *args], terminal_width=200)
    assert result.exit_code == 1, result.output
    assert message in result.stderr


def test_corpus_splits_can_be_split_by_wave(corpus_root: Path, tmp_path: Path) -> None:
    files = run_evaluation(KEYWORD_BASELINE, out_dir=tmp_path / "out", corpus_root=corpus_root,
                           real_ads_dir=None, baselines=False, by=["wave", "kind"])
    result = files.report["detectors"][KEYWORD_BASELINE]
    assert {v: g["ads"] for v, g in result["by"]["wave"].items()} == {"1": 6}
    assert sum(g["ads"] for g in result["by"]["kind"].values()) == 6


def test_evaluate_takes_one_waves_ads_of_a_split(cli: typer.Typer, corpus_root: Path,
                                               tmp_path: Path) -> None:
    splits = json.loads((corpus_root / "splits.json").read_text(encoding="utf-8"))
    splits["waves"] = {"1": ["es"], "2": ["pt"]}  # batches of ids es-t1, pt-t1...
    (corpus_root / "splits.json").write_text(json.dumps(splits), encoding="utf-8")
    files = run_evaluation(KEYWORD_BASELINE, out_dir=tmp_path / "out", corpus_root=corpus_root,
                           real_ads_dir=None, baselines=False, wave="2")
    dev = {ad[0] for ad in ADS[:6]}
    assert files.report["corpus"]["wave"] == "2"
    assert files.report["corpus"]["by_lang"] == {
        "es": 0, "pt": sum(ad[1] == "pt" and ad[0] in dev for ad in ADS)}
    result = CliRunner().invoke(cli, ["evaluate", "--model", KEYWORD_BASELINE, "--no-baselines",
                                      "--root", str(corpus_root), "--out", str(tmp_path / "o"),
                                      "--wave", "1"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "dev split of wave 1" in result.output
    result = CliRunner().invoke(cli, ["evaluate", "--model", KEYWORD_BASELINE, "--no-baselines",
                                      "--root", str(corpus_root), "--out", str(tmp_path / "o"),
                                      "--wave", "3"], terminal_width=200)
    assert result.exit_code == 1
    assert "no wave '3' in the splits" in result.stderr


def test_evidence_overlap_by_what_made_the_hit(gold_files: list[Path], tmp_path: Path) -> None:
    from tests.fakes import FakeDetector

    files = run_evaluation("fake.pasaporte.v1", out_dir=tmp_path / "out", gold=gold_files,
                           real_ads_dir=None, detectors=[(FakeDetector(), "model")])
    by_source = files.report["detectors"]["fake.pasaporte.v1"]["spans"]["by_source"]
    assert list(by_source) == ["fake.pasaporte.v1"]
    made = by_source["fake.pasaporte.v1"]
    assert (made["hits"], made["no_phrase"], made["pairs"]) == (2, 0, 1)  # g1 right, g4 wrong
    assert "hits made by" in files.html_path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("span", "lang", "phrase"), [
    ("restaurante", "es", False),  # one generic word
    ("de la", "es", False),  # function words only
    ("la empresa", "es", False),
    ("pasaje pagado", "es", True),
    ("moradia", "pt", False),
    ("passagem paga pela agência", "pt", True),
])
def test_only_phrases_stand_as_model_evidence(span: str, lang: str, phrase: bool) -> None:
    from models.tfidf.model import is_phrase

    assert is_phrase(span, lang) is phrase


def test_a_hit_without_a_phrase_says_model_only(taxonomy) -> None:
    from corpora.records import IndicatorHit
    from models.explain import explain_hits

    hit = IndicatorHit(id="URGENCY", score=0.3, strength="weak", evidence=[],
                       detector="indicators.tfidf.v1")
    assert "solo el modelo, sin frase" in explain_hits([hit], "es", taxonomy)
    assert "só o modelo, sem frase" in explain_hits([hit], "pt", taxonomy)
