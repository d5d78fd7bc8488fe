"""Import/export round trips (Label Studio, doccano, spaCy DocBin, Hugging Face datasets),
files made by the tools themselves, and bad input that names its place."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pytest

from corpora.formats import FORMAT_NAMES, FormatError, read_annotated, write_annotated
from corpora.formats.labelstudio import CONFIG_PATH, labelstudio_config
from corpora.records import (
    Ad,
    AnnotatedAd,
    Annotation,
    Assessment,
    Evidence,
    IndicatorHit,
    ModelRef,
)

ES_TEXT = ("🔥 URGENTE señoritas 18-25 para trabajar en Europa 💶. Pasaje pagado, el costo "
           "se descuenta de tu primer sueldo. Escribe al WhatsApp +52 55 5550 0123.")
PT_TEXT = "Vaga para cuidadora com moradia no local. Passagem paga pela agência."
KEY = b"test-install-key-0123456789"
WHEN = datetime(2026, 11, 3, 14, 5, 9, 123456, tzinfo=timezone.utc)


def span(text: str, phrase: str, cut: int = 0) -> Evidence:
    start = text.index(phrase)
    return Evidence.from_text(text, start + cut, start + len(phrase))


def examples() -> list[AnnotatedAd]:
    es = Ad(id="es-test-1", source="classified", url="https://example.com/ad/1", lang="es",
            country="MX", title="Trabajo en Europa", text=ES_TEXT,
            published_at=datetime(2026, 11, 1, tzinfo=timezone.utc))
    fee = span(ES_TEXT, "se descuenta de tu primer sueldo")
    ana = Annotation(ad_id=es.id, annotator="ana", risk="high", created_at=WHEN,
                     indicators=["FEE_OR_DEBT", "APPEARANCE_REQ", "URGENCY", "ABROAD_VAGUE"],
                     evidence={"FEE_OR_DEBT": [fee],
                               "APPEARANCE_REQ": [span(ES_TEXT, "señoritas 18-25")],
                               # starts inside a token: DocBin must keep it exact
                               "ABROAD_VAGUE": [span(ES_TEXT, "n Europa", cut=0)]})
    bruno = Annotation(ad_id=es.id, annotator="bruno", risk="medium", created_at=WHEN,
                       indicators=["FEE_OR_DEBT", "CONTACT_INFORMAL"],
                       evidence={"FEE_OR_DEBT": [span(ES_TEXT, "el costo se descuenta")]})
    model = ModelRef(name="indicators.ensemble", version="1", sha256="c" * 64)
    prediction = Assessment(
        ad_id=es.id, lang="es", risk="high", score=0.93, model=model, created_at=WHEN,
        explanation="Fee or debt: 'se descuenta de tu primer sueldo'.",
        hits=[IndicatorHit(id="FEE_OR_DEBT", score=0.88, strength="strong", evidence=[fee],
                           detector="indicators.ensemble.v1")])
    pt = Ad(id="pt-test-1", source="job_board", lang="pt", country="BR", text=PT_TEXT)
    carla = Annotation(ad_id=pt.id, annotator="carla", risk="medium", created_at=WHEN,
                       indicators=["HOUSING_CONTROL", "TRAVEL_PAID"],
                       evidence={"TRAVEL_PAID": [span(PT_TEXT, "Passagem paga")]})
    unlabelled = Ad(id="und-1", lang="und", text="Se vende bicicleta, buen estado.")
    return [AnnotatedAd(ad=es, annotations=[ana, bruno], prediction=prediction),
            AnnotatedAd(ad=pt, annotations=[carla]),
            AnnotatedAd(ad=unlabelled)]


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_round_trip_loses_nothing(fmt, tmp_path):
    items = examples()
    path = tmp_path / f"out.{fmt}"
    written = write_annotated(items, path, fmt, key=None, raw_contacts=True)
    assert written == (3 if fmt == "labelstudio" else 4)
    back = read_annotated(path, fmt)
    assert back.problems == []
    expected = items if fmt == "labelstudio" else [
        item.model_copy(update={"prediction": None}) for item in items]
    assert back.items == expected


def test_shipped_labelstudio_config_matches_the_taxonomy(taxonomy):
    assert CONFIG_PATH.read_text(encoding="utf-8") == labelstudio_config(taxonomy)
    root = ET.fromstring(CONFIG_PATH.read_text(encoding="utf-8"))
    labels = [e.get("value") for e in root.find("Labels").iter("Label")]
    assert labels == list(taxonomy.ids)
    names = {c.get("name"): [x.get("value") for x in c.iter("Choice")]
             for c in root.iter("Choices")}
    assert names == {"indicators": list(taxonomy.ids), "risk": ["low", "medium", "high"]}
    assert root.find("Text").get("value") == "$text"


def test_a_plain_label_studio_export_reads(tmp_path):
    text = "Pagamos tu pasaje a España 🇪🇸, sin experiencia."
    start = text.index("sin experiencia")
    tasks = [{"id": 7, "data": {"text": text, "ad_id": "es-77", "lang": "es"},
              "annotations": [
                  {"id": 1, "completed_by": 3, "was_cancelled": False,
                   "created_at": "2026-11-02T10:00:00.000000Z",
                   "result": [{"from_name": "evidence", "to_name": "text", "type": "labels",
                               "value": {"start": start, "end": start + 15,
                                         "text": "sin experiencia",
                                         "labels": ["NO_REQUIREMENTS"]}},
                              {"from_name": "risk", "to_name": "text", "type": "choices",
                               "value": {"choices": ["low"]}}]},
                  {"id": 2, "completed_by": 4, "was_cancelled": True, "result": []}]},
             {"data": {"text": "Hola", "ad_id": "es-78"},
              "annotations": [{"completed_by": 3, "result": [
                  {"from_name": "evidence", "type": "labels",
                   "value": {"start": 0, "end": 2, "text": "Ho", "labels": ["SOMETHING"]}},
                  {"from_name": "risk", "type": "choices", "value": {"choices": ["low"]}}]}]},
             {"data": {"text": "Hola", "ad_id": "es-79"},
              "annotations": [{"completed_by": 3, "result": [
                  {"from_name": "evidence", "type": "labels",
                   "value": {"start": 1, "end": 3, "text": "Ho", "labels": ["URGENCY"]}},
                  {"from_name": "risk", "type": "choices", "value": {"choices": ["low"]}}]}]}]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    result = read_annotated(path, "labelstudio")
    (item,) = result.items
    (annotation,) = item.annotations  # the skipped one is not a label
    assert annotation.annotator == "3" and annotation.indicators == ["NO_REQUIREMENTS"]
    assert annotation.evidence["NO_REQUIREMENTS"][0].text == "sin experiencia"
    assert [p.location for p in result.problems] == [
        f"{path}: task 2 (ad es-78)", f"{path}: task 3 (ad es-79)"]
    assert "SOMETHING" in result.problems[0].message
    assert "does not match" in result.problems[1].message


def test_a_plain_doccano_export_reads_with_the_annotator_given(tmp_path):
    text = "Trabajo en Europa, te damos alojamiento."
    lines = [{"id": 12, "text": text, "label": [[28, 39, "HOUSING_CONTROL"]], "risk": "low",
              "Comments": []},
             {"id": 13, "text": text + "!", "entities": [
                 {"id": 1, "label": "ABROAD_VAGUE", "start_offset": 11, "end_offset": 17}],
              "risk": "medium"},
             {"id": 14, "text": "fuera", "label": [[0, 40, "URGENCY"]], "risk": "low"},
             {"id": 15, "text": "sin riesgo", "label": [[0, 3, "URGENCY"]]}]
    path = tmp_path / "doccano.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n", encoding="utf-8")
    result = read_annotated(path, "doccano", annotator="dora")
    assert [i.ad.id for i in result.items] == ["12", "13"]
    first = result.items[0].annotations[0]
    assert (first.annotator, first.evidence["HOUSING_CONTROL"][0].text) == ("dora", "alojamiento")
    assert result.items[1].annotations[0].evidence["ABROAD_VAGUE"][0].text == "Europa"
    assert [(p.location.rsplit(":", 1)[1], p.message[:20]) for p in result.problems] == [
        ("3", "span 0-40 is outside"), ("4", "labelled but no risk"), ("5", "invalid JSON: Expect")]
    with pytest.raises(FormatError, match="no such file"):
        read_annotated(tmp_path / "missing.jsonl", "doccano")


def test_a_docbin_made_with_spacy_reads(tmp_path):
    import spacy
    from spacy.tokens import DocBin

    nlp = spacy.blank("pt")
    doc = nlp.make_doc("Passagem paga e moradia no local.")
    doc.spans["sc"] = [doc.char_span(0, 13, label="TRAVEL_PAID")]
    doc.cats = {"TRAVEL_PAID": 1.0, "HOUSING_CONTROL": 1.0, "URGENCY": 0.0}
    unlabelled = nlp.make_doc("Vendo bicicleta.")
    DocBin(docs=[doc, unlabelled]).to_disk(tmp_path / "made.spacy")
    result = read_annotated(tmp_path / "made.spacy", "docbin", annotator="eva")
    # Labelled, but a DocBin made elsewhere cannot say the risk: reported, not guessed.
    assert [(p.location.endswith("doc 1"), p.message) for p in result.problems] == [
        (True, "labelled but no risk")]
    assert [(item.ad.text, item.annotations) for item in result.items] == [
        ("Vendo bicicleta.", [])]
    (tmp_path / "junk.spacy").write_bytes(b"\x00not a docbin")
    junk = read_annotated(tmp_path / "junk.spacy", "docbin")
    assert junk.items == [] and "not a spaCy DocBin" in junk.problems[0].message


def test_docbin_spans_cover_whole_tokens_and_cats_every_indicator(tmp_path, taxonomy):
    import spacy
    from spacy.tokens import DocBin

    write_annotated(examples()[:1], tmp_path / "es.spacy", "docbin", key=KEY)
    docs = list(DocBin().from_disk(tmp_path / "es.spacy").get_docs(spacy.blank("es").vocab))
    ana = docs[0]
    assert {s.label_: s.text for s in ana.spans["sc"]}["ABROAD_VAGUE"] == "en Europa"
    assert set(ana.cats) == set(taxonomy.ids) and ana.cats["FEE_OR_DEBT"] == 1.0
    assert ana.cats["SECRECY"] == 0.0


def test_a_dataset_from_another_taxonomy_is_refused(tmp_path):
    from datasets import ClassLabel, Dataset, Features, List, Value

    features = Features({"id": Value("string"), "text": Value("string"),
                         "indicators": List(ClassLabel(names=["A", "B"]))})
    Dataset.from_list([{"id": "x", "text": "t", "indicators": [0]}],
                      features=features).to_parquet(str(tmp_path / "other.parquet"))
    result = read_annotated(tmp_path / "other.parquet", "datasets")
    assert result.items == [] and "another taxonomy" in result.problems[0].message


def test_unknown_format_is_a_clear_error(tmp_path):
    with pytest.raises(FormatError, match="labelstudio, doccano, docbin, datasets"):
        write_annotated(examples(), tmp_path / "x", "conll", key=KEY)


def test_exports_pseudonymise_contacts_and_move_spans(tmp_path):
    item = examples()[0]
    text = item.ad.text
    contact = Evidence.from_text(text, text.index("WhatsApp"), len(text) - 1)
    cut = Evidence.from_text(text, text.index("5550"), len(text) - 1)  # starts inside it
    fee = item.annotations[0].evidence["FEE_OR_DEBT"][0]
    tail = Evidence.from_text(text, len(text) - 1, len(text))
    ana = Annotation(**{**item.annotations[0].model_dump(), "evidence": {
        "FEE_OR_DEBT": [fee], "CONTACT_INFORMAL": [contact, cut], "URGENCY": [tail]},
        "indicators": ["FEE_OR_DEBT", "CONTACT_INFORMAL", "URGENCY"]})
    item = item.model_copy(update={"annotations": [ana]})
    with pytest.raises(ValueError, match="install key"):
        write_annotated([item], tmp_path / "x.json", "labelstudio", key=None)
    write_annotated([item], tmp_path / "x.json", "labelstudio", key=KEY)
    (back,) = read_annotated(tmp_path / "x.json", "labelstudio").items
    assert "5550" not in back.ad.text and "5550" not in back.prediction.explanation
    spans = back.annotations[0].evidence
    assert spans["FEE_OR_DEBT"][0].text == fee.text
    assert spans["URGENCY"][0].text == "."
    pseudonym = spans["CONTACT_INFORMAL"][0].text.removeprefix("WhatsApp ")
    assert pseudonym.startswith("[phone:") and len(pseudonym) == len("[phone:]") + 12
    assert spans["CONTACT_INFORMAL"][1].text == pseudonym  # grown to the whole pseudonym
    assert back.prediction.hits[0].evidence[0].text == fee.text
    other = examples()[0].model_copy(update={"annotations": []})
    write_annotated([other], tmp_path / "y.json", "doccano", key=KEY)
    assert pseudonym in read_annotated(tmp_path / "y.json", "doccano").items[0].ad.text
    write_annotated([other], tmp_path / "z.json", "doccano", key=b"another-install-key-42")
    assert pseudonym not in read_annotated(tmp_path / "z.json", "doccano").items[0].ad.text
