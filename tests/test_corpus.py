"""The seed-corpus loader and checker: the real corpus passes; each kind of error is caught
on small corpora written here (fictional ads, reserved example contacts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from corpora.check import CorpusReport, Thresholds, check_corpus
from corpora.corpus import Splits, load_corpus, write_splits
from corpora.taxonomy import load_taxonomy
from pipelines.cli import app

# Small fixture corpora cannot reach the seed-corpus targets; these thresholds switch the
# targets off so that every remaining error comes from the fault under test.
NO_TARGETS = Thresholds(min_ads_per_lang=0, min_spanish_countries=0, min_ads_per_indicator=0,
                        kind_share_tolerance=1.0)

COOK = ("Restaurante en Puebla busca cocinero con experiencia en comida poblana. Turno "
        "matutino de lunes a sábado, sueldo semanal de 2,800 pesos y prestaciones de ley. "
        "Enviar solicitud a empleo@fondapoblana.example")
MECHANIC = ("Taller mecánico en Quetzaltenango contrata ayudante para cambio de aceite y frenos. "
            "Horario de ocho a cinco, pago quincenal y capacitación pagada. Presentarse con DPI "
            "en la 14 avenida, zona 3.")
HOSTESS = ("Se buscan señoritas de 18 a 25 años para trabajar en Europa como anfitrionas. "
           "Pasaje pagado, salida inmediata, escribir solo por WhatsApp al 55 0100 2233.")
BAKERY = ("Padaria em Belo Horizonte contrata atendente de balcão para o turno da tarde. "
          "Salário compatível, vale-transporte e refeição no local. Currículos no balcão da "
          "loja na rua Itapecerica.")
# Near-copies built from short sentences only: similar by MinHash, no long sentence shared.
DRIVER_A = ("Se busca chofer. Licencia tipo B vigente. Turno de noche. Pago semanal puntual. "
            "Ruta centro y norte. Uniforme incluido. Llamar a la oficina. Preguntar por Ramiro.")
DRIVER_B = ("Se busca chofer. Licencia tipo B vigente. Turno de día. Pago semanal puntual. "
            "Ruta centro y norte. Uniforme incluido. Llamar a la oficina. Preguntar por Ernesto.")
SHARED = "Ofrecemos contrato por un año con seguro médico incluido."


def make_ad(ad_id: str, text: str, lang: str = "es", **labels: Any) -> dict[str, Any]:
    """A corpus line; `labels` may give indicators as {id: [phrase, ...]} via `spans`."""
    spans: dict[str, list[str]] = labels.pop("spans", {})
    evidence = {ind: [{"start": text.index(p), "end": text.index(p) + len(p), "text": p}
                      for p in phrases] for ind, phrases in spans.items()}
    row = {"id": ad_id, "lang": lang, "country": "MX" if lang == "es" else "BR",
           "source": "job_board", "kind": "legit", "risk": "low", "text": text,
           "indicators": list(spans), "evidence": evidence}
    row.update(labels)
    return row


def write_corpus(root: Path, files: dict[str, list[dict[str, Any] | str]]) -> Path:
    """Write `root/ads/<name>` files; a str line is written as is (to make bad JSON)."""
    for name, rows in files.items():
        path = root / name if "/" in name else root / "ads" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join((row if isinstance(row, str) else json.dumps(row,
                                 ensure_ascii=False)) + "\n" for row in rows), encoding="utf-8")
    return root


def good_rows() -> list[dict[str, Any]]:
    return [
        make_ad("t-1", COOK),
        make_ad("t-2", MECHANIC, kind="hard_negative"),
        make_ad("t-3", HOSTESS, kind="deceptive", risk="high", spans={
            "TRAVEL_PAID": ["Pasaje pagado"], "APPEARANCE_REQ": ["señoritas de 18 a 25 años"],
            "URGENCY": ["salida inmediata"], "CONTACT_INFORMAL": ["solo por WhatsApp"]}),
        make_ad("t-4", BAKERY, lang="pt"),
    ]


def check(root: Path, thresholds: Thresholds = NO_TARGETS) -> CorpusReport:
    return check_corpus(load_corpus(root), thresholds=thresholds, splits_path=None)


def codes(report: CorpusReport, severity: str = "error") -> set[str]:
    return {p.code for p in report.problems if p.severity == severity}


@pytest.fixture(scope="module")
def real_report() -> CorpusReport:
    return check_corpus(load_corpus())


def test_real_corpus_passes(real_report: CorpusReport) -> None:
    assert not real_report.errors, "\n".join(
        f"{p.code} {p.location or ', '.join(p.ids)}: {p.message}" for p in real_report.errors)
    assert all(check.passed for check in real_report.checks)
    assert real_report.ads == sum(real_report.ads_per_lang.values()) >= 1200
    assert real_report.split_counts is not None, "corpora/seed/splits.json is missing"


def test_real_corpus_counts_add_up(real_report: CorpusReport) -> None:
    for dim in ("country", "source", "kind", "risk"):
        for lang, n in real_report.ads_per_lang.items():
            assert sum(real_report.counts[dim][lang].values()) == n
    assert list(real_report.counts["indicator"]["es"]) == list(load_taxonomy().ids)


def test_clean_fixture_has_no_problem(tmp_path: Path) -> None:
    report = check(write_corpus(tmp_path, {"es-1.jsonl": good_rows()}))
    assert report.problems == []
    assert report.counts["indicator"]["es"]["TRAVEL_PAID"] == 1


def test_targets_fail_on_a_small_corpus(tmp_path: Path) -> None:
    report = check(write_corpus(tmp_path, {"es-1.jsonl": good_rows()}), Thresholds())
    failed = {c.name for c in report.checks if not c.passed}
    assert "es: ads >= 600" in failed and "es: Spanish-speaking countries >= 10" in failed
    assert "threshold" in codes(report)


def test_bad_json_and_schema_name_file_and_line(tmp_path: Path) -> None:
    bad_lang = make_ad("t-9", MECHANIC, lang="fr")
    report = check(write_corpus(tmp_path, {"es-1.jsonl": [*good_rows(), "{not json", bad_lang]}))
    where = {p.location: p.message for p in report.errors}
    path = tmp_path / "ads" / "es-1.jsonl"
    assert "invalid JSON" in where[f"{path}:5"]
    assert "lang" in where[f"{path}:6"] and "t-9" in where[f"{path}:6"]
    assert report.ads == 4, "the good lines still load"


def test_bad_offset_is_caught(tmp_path: Path) -> None:
    rows = good_rows()
    span = rows[2]["evidence"]["URGENCY"][0]
    span["start"] += 1
    span["end"] += 1
    report = check(write_corpus(tmp_path, {"es-1.jsonl": rows}))
    assert codes(report) == {"evidence_offset"}
    assert report.errors[0].location == f"{tmp_path / 'ads' / 'es-1.jsonl'}:3"
    assert "salida inmediata" in report.errors[0].message


def test_unknown_indicator_is_caught(tmp_path: Path) -> None:
    rows = good_rows()
    rows[0] = make_ad("t-1", COOK, spans={"GOOD_PAY": ["sueldo semanal"]})
    report = check(write_corpus(tmp_path, {"es-1.jsonl": rows}))
    assert codes(report) == {"unknown_indicator"}
    assert "GOOD_PAY" in report.errors[0].message


def test_evidence_keys_must_equal_indicators(tmp_path: Path) -> None:
    rows = good_rows()
    rows[0]["indicators"] = ["URGENCY"]
    report = check(write_corpus(tmp_path, {"es-1.jsonl": rows}))
    assert codes(report) == {"evidence_keys"}


def test_policy_departures_are_warnings(tmp_path: Path) -> None:
    rows = good_rows()
    rows[0] = make_ad("t-1", COOK, country="BR", risk="medium", spans={
        "URGENCY": ["sueldo semanal de", "semanal de 2,800"], "PAY_UNREALISTIC": [" 2,800 pesos"]})
    report = check(write_corpus(tmp_path, {"es-1.jsonl": rows}))
    assert report.ok
    assert codes(report, "warning") == {"indicator_order", "evidence_overlap", "evidence_trim",
                                        "country_lang", "risk_kind"}


def test_portuguese_ads_may_come_from_any_portuguese_speaking_country(tmp_path: Path) -> None:
    rows = [make_ad(f"t-{n}", BAKERY, lang="pt", country=country)
            for n, country in enumerate(["BR", "PT", "AO", "MZ"], 1)]
    rows.append(make_ad("t-5", BAKERY.replace("Belo Horizonte", "Contagem"), lang="pt",
                        country="MX"))
    report = check(write_corpus(tmp_path, {"pt-1.jsonl": rows}))
    assert [(w.code, w.message) for w in report.warnings if w.code == "country_lang"] == [
        ("country_lang", "ad 't-5': country MX for a pt ad")]


def test_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    rows = good_rows()
    other = make_ad("t-1", BAKERY.replace("Belo Horizonte", "Contagem"), lang="pt")
    report = check(write_corpus(tmp_path, {"es-1.jsonl": rows[:3], "pt-1.jsonl": [other]}))
    assert codes(report) == {"duplicate_id"}
    message = report.errors[0].message
    assert f"{tmp_path / 'ads' / 'es-1.jsonl'}:1" in message
    assert f"{tmp_path / 'ads' / 'pt-1.jsonl'}:1" in message


def test_word_count_limits(tmp_path: Path) -> None:
    rows = [*good_rows(), make_ad("t-5", "Se busca mesero en Oaxaca."),
            make_ad("t-6", "Se busca mesero para fin de semana en Oaxaca.")]  # 9 words: ok
    report = check(write_corpus(tmp_path, {"es-1.jsonl": rows}))
    assert codes(report) == {"word_count"}
    assert report.errors[0].ids == ("t-5",)


def test_shared_nine_word_sentence_is_an_error(tmp_path: Path) -> None:
    rows = good_rows()
    rows[0] = make_ad("t-1", f"{COOK} {SHARED}")
    rows[1] = make_ad("t-2", f"{SHARED} {MECHANIC}", kind="hard_negative")
    report = check(write_corpus(tmp_path, {"es-1.jsonl": rows}))
    assert codes(report) == {"shared_sentence"}
    assert report.errors[0].ids == ("t-1", "t-2")
    assert report.shared_sentences[0].sentence == SHARED
    assert codes(report, "warning") == set(), "one shared sentence is not a near-duplicate"


def test_near_duplicate_pair_is_a_warning(tmp_path: Path) -> None:
    rows = [*good_rows(), make_ad("t-5", DRIVER_A), make_ad("t-6", DRIVER_B)]
    report = check(write_corpus(tmp_path, {"es-1.jsonl": rows}))
    assert report.ok
    assert codes(report, "warning") == {"near_duplicate"}
    pair = report.similar_pairs[0]
    assert (pair.a, pair.b) == ("t-5", "t-6") and pair.similarity >= 0.5
    looser = check_corpus(load_corpus(tmp_path), thresholds=Thresholds(
        min_ads_per_lang=0, min_spanish_countries=0, min_ads_per_indicator=0,
        kind_share_tolerance=1.0, similarity=0.95), splits_path=None)
    assert looser.similar_pairs == []


def test_splits_file_is_checked(tmp_path: Path) -> None:
    rows = [*good_rows(), make_ad("t-5", DRIVER_A), make_ad("t-6", DRIVER_B)]
    root = write_corpus(tmp_path, {"es-1.jsonl": rows})
    splits = Splits(seed=1, method="test", ratios={"train": 0.7, "dev": 0.15, "test": 0.15},
                    near_duplicate_threshold=0.5,
                    ids={"train": ["t-1", "t-2", "t-5"], "dev": ["t-2", "t-404"],
                         "test": ["t-6"]})
    write_splits(splits, root / "splits.json")
    report = check_corpus(load_corpus(root), thresholds=NO_TARGETS,
                          splits_path=root / "splits.json")
    assert codes(report) == {"splits_overlap", "splits_unknown_id", "splits_missing_ad",
                             "splits_leak"}
    by_code = {p.code: p for p in report.errors}
    assert by_code["splits_missing_ad"].ids == ("t-3", "t-4")
    assert by_code["splits_leak"].ids == ("t-5", "t-6")


def test_augmented_ads_load_only_on_request(tmp_path: Path) -> None:
    variant = make_ad("t-1-aug", COOK.replace("Puebla", "Tlaxcala"))
    root = write_corpus(tmp_path, {"es-1.jsonl": good_rows(), "augmented/es-aug.jsonl": [variant]})
    assert [e.ad.id for e in load_corpus(root).entries] == ["t-1", "t-2", "t-3", "t-4"]
    corpus = load_corpus(root, include_augmented=True)
    assert [e.ad.id for e in corpus.entries if e.augmented] == ["t-1-aug"]
    report = check_corpus(corpus, thresholds=NO_TARGETS, splits_path=None)
    assert (report.ads, report.augmented) == (4, 1)
    assert report.problems == [], "an augmented variant is not reported as a near-duplicate"


def test_cli_check_json(tmp_path: Path) -> None:
    root = write_corpus(tmp_path, {"es-1.jsonl": good_rows()})
    result = CliRunner().invoke(app, ["corpus", "check", "--json", "--root", str(root)])
    assert result.exit_code == 1, "a four-ad corpus misses the seed-corpus targets"
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["ads_per_lang"] == {"es": 3, "pt": 1}
    assert {p["code"] for p in report["problems"]} == {"threshold", "splits_missing"}
    assert report["counts"]["kind"]["es"] == {"legit": 1, "hard_negative": 1, "deceptive": 1}


def test_cli_check_exits_1_on_errors(tmp_path: Path) -> None:
    rows = good_rows()
    rows[2]["evidence"]["URGENCY"][0]["start"] += 1
    rows[2]["evidence"]["URGENCY"][0]["end"] += 1
    root = write_corpus(tmp_path, {"es-1.jsonl": rows})
    result = CliRunner().invoke(app, ["corpus", "check", "--root", str(root)])
    assert result.exit_code == 1
    assert "evidence_offset" in result.output


def test_datasheet_tables_are_current(real_report: CorpusReport) -> None:
    from pipelines.commands.corpus import markdown_tables

    datasheet = (Path(__file__).parents[1] / "corpora" / "DATASHEET.md").read_text("utf-8")
    begin, end = "<!-- tables: begin -->\n", "\n<!-- tables: end -->"
    pasted = datasheet[datasheet.index(begin) + len(begin):datasheet.index(end)]
    assert pasted == markdown_tables(real_report), (
        "corpora/DATASHEET.md is out of date: paste `centinela corpus check --markdown` "
        "between its 'tables' markers")
