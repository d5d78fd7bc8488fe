"""`centinela detect` keeps CONTRACT.md §3: format, order, ids, offsets, bad lines."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from corpora.records import stable_ad_id
from corpora.sources.jsonl import read_jsonl
from models.scoring import assess_records
from pipelines.cli import app

DECEPTIVE_ES = ("Buscamos señoritas de 18 a 25 años para trabajar en Europa. Pasaje pagado, "
                "se descuenta de tu primer sueldo. Info solo por WhatsApp +52 55 5550 0123.")
ORDINARY_PT = ("Vaga para vendedora com experiência, carteira assinada. Envie currículo para "
               "rh@loja.example")
RUNNER = CliRunner()


def _run(lines: list[str], *args: str):
    result = RUNNER.invoke(app, ["detect", "-", *args], input="\n".join(lines) + "\n")
    out = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result, out


def test_one_output_line_per_input_line_in_order_with_contract_fields():
    lines = [json.dumps({"id": "es-1", "text": DECEPTIVE_ES}),
             json.dumps({"id": "pt-1", "text": ORDINARY_PT, "lang": "pt"})]
    result, out = _run(lines)
    assert result.exit_code == 0
    assert [o["id"] for o in out] == ["es-1", "pt-1"]
    first = out[0]
    assert set(first) == {"id", "lang", "risk", "score", "indicators", "explanation", "model"}
    assert first["lang"] == "es" and first["risk"] == "high" and 0 <= first["score"] <= 1
    assert set(first["model"]) == {"name", "version", "sha256"} and len(first["model"]["sha256"]) == 64
    fee = next(i for i in first["indicators"] if i["id"] == "FEE_OR_DEBT")
    assert fee["strength"] == "strong"
    assert fee["ictip"][0] == {"unit": "event", "variable": "means", "label": "debt bondage",
                               "code": None, "code_status": "inferred-label"}
    for indicator in first["indicators"]:
        for ev in indicator["evidence"]:
            assert DECEPTIVE_ES[ev["start"]:ev["end"]] == ev["text"]
    assert "«" in first["explanation"]
    assert out[1]["risk"] == "low" and out[1]["indicators"] == []


def test_missing_id_gets_a_stable_hash_of_the_text():
    _, out1 = _run([json.dumps({"text": ORDINARY_PT})])
    _, out2 = _run([json.dumps({"text": ORDINARY_PT, "source": "x"})])
    assert out1[0]["id"] == out2[0]["id"] == stable_ad_id(ORDINARY_PT)


def test_bad_lines_are_reported_per_line_and_the_batch_goes_on():
    lines = ["not json at all", json.dumps({"id": "no-text"}), json.dumps({"id": "n", "text": 42}),
             json.dumps(["a list"]), json.dumps({"id": "ok", "text": DECEPTIVE_ES})]
    result, out = _run(lines)
    assert result.exit_code == 0
    assert len(out) == 5
    assert out[0] == {"id": None, "error": "<stdin>:1: invalid JSON: Expecting value at column 1"}
    assert out[1]["id"] == "no-text" and "missing field 'text'" in out[1]["error"]
    assert out[2]["id"] == "n" and "must be a string" in out[2]["error"]
    assert "expected a JSON object" in out[3]["error"]
    assert out[4]["id"] == "ok" and "error" not in out[4]
    assert "4 of 5 lines could not be scored" in result.stderr


def test_a_10_mb_line_is_an_error_without_stopping_the_run():
    huge = json.dumps({"id": "huge", "text": "a" * 10_000_000})
    result, out = _run([huge, json.dumps({"id": "ok", "text": ORDINARY_PT})])
    assert result.exit_code == 0
    assert out[0]["id"] is None and "over the limit" in out[0]["error"]
    assert out[1]["id"] == "ok"


def test_wrong_encoding_is_an_error_line():
    stream = io.BytesIO("{\"text\": \"caf\u00e9\"}\n".encode("latin-1") + b'{"text": "ok ok"}\n')
    records = list(read_jsonl(stream, "ads.jsonl"))
    assert records[0].error.startswith("not UTF-8") and records[0].location == "ads.jsonl:1"
    assert records[1].data == {"text": "ok ok"}


def test_every_line_failing_exits_non_zero_and_empty_input_exits_zero():
    result, out = _run(["{broken", "[1]"])
    assert result.exit_code == 1 and len(out) == 2
    result = RUNNER.invoke(app, ["detect", "-"], input="")
    assert result.exit_code == 0 and result.stdout == ""


def test_other_languages_are_und_and_not_scored():
    _, out = _run([json.dumps({"text": "We need girls 18 to 25 for work abroad, ticket paid, "
                                       "whatsapp only, passport kept by us"})])
    assert out[0]["lang"] == "und" and out[0]["indicators"] == [] and out[0]["risk"] == "low"


def test_csv_output_and_output_file(tmp_path):
    src = tmp_path / "ads.jsonl"
    src.write_text(json.dumps({"id": "es-1", "text": DECEPTIVE_ES}) + "\n", encoding="utf-8")
    dest = tmp_path / "out.csv"
    result = RUNNER.invoke(app, ["detect", str(src), "-o", str(dest), "--format", "csv"])
    assert result.exit_code == 0
    rows = dest.read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("id,lang,risk,score,indicators")
    assert rows[1].startswith("es-1,es,high,")


def test_missing_input_file_is_a_clear_usage_error(tmp_path):
    result = RUNNER.invoke(app, ["detect", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2 and "no such file" in result.output


def test_unknown_model_is_a_clear_usage_error():
    result = RUNNER.invoke(app, ["detect", "-", "--model", "indicators.magic.v9"], input="")
    assert result.exit_code == 2 and "unknown detector" in result.output


WORDS = st.sampled_from([
    "pasaje", "pagado", "se", "descuenta", "de", "tu", "primer", "sueldo", "señoritas", "18",
    "a", "25", "años", "WhatsApp", "solo", "por", "no", "cobramos", "ninguna", "cuota", "😀",
    "\u00a0", "\u200b", "Europa", "trabajar", "en", "passagem", "paga", "pra", "vc", "\n",
    "SALIDA", "INMEDIATA", "nunca", "pasaporte", "guardamos", "menores", "𝗠𝗨𝗖𝗛𝗢", "a\u0301",
])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(WORDS, min_size=1, max_size=40).map(" ".join), st.sampled_from(["es", "pt"]))
def test_offsets_always_point_into_the_exact_input(rules_detector, taxonomy, text, lang):
    from corpora.sources import SourceRecord

    record = SourceRecord("<t>", 1, data={"text": text, "lang": lang})
    scored = next(assess_records([record], rules_detector))
    if scored.assessment is None:
        assert not text.strip()
        return
    for hit in scored.assessment.hits:
        for ev in hit.evidence:
            assert text[ev.start:ev.end] == ev.text and ev.text.strip()


@pytest.mark.slow
def test_detect_as_a_user_types_it(tmp_path):
    src = tmp_path / "ads.jsonl"
    src.write_text(json.dumps({"id": "a", "text": DECEPTIVE_ES}) + "\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "detect", str(src)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["id"] == "a"
