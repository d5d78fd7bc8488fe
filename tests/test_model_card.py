"""Model cards (evaluation/model_card.py): written by every evaluation, the same section
in the HTML report, kept by sha256 for the review app; every figure in the card equals
the evaluation JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from evaluation import metrics as m
from evaluation.keywords import build_keyword_detector
from annotation.web.cards import read_card_html
from evaluation.model_card import REFUSED_USES, card_html
from evaluation.report import run_evaluation
from tests.test_evaluate import corpus_root, real_dir  # noqa: F401  (fixtures)
from tests.test_web import web_store  # noqa: F401  (fixture)


def tables(card: str) -> dict[str, list[list[str]]]:
    """Each Markdown table of the card under its heading, as rows of cells."""
    found: dict[str, list[list[str]]] = {}
    heading = ""
    for line in card.splitlines():
        if line.startswith("#"):
            heading = line.lstrip("# ")
        elif line.startswith("| ") and not line.startswith("|---"):
            found.setdefault(heading, []).append([c.strip() for c in line.strip("|").split(" | ")])
    return {name: rows[1:] for name, rows in found.items()}  # without the header row


def three(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def with_interval(value: float | None, bounds: list | None) -> str:
    if value is None:
        return "–"
    if not bounds or None in bounds:
        return three(value)
    return f"{three(value)} [{three(bounds[0])}–{three(bounds[1])}]"


def test_the_card_figures_equal_the_evaluation_json(tmp_path: Path, corpus_root: Path,  # noqa: F811
                                                    real_dir: Path) -> None:  # noqa: F811
    home = tmp_path / "home"
    files = run_evaluation("plain.keywords.v1", split="dev", out_dir=tmp_path / "out",
                           corpus_root=corpus_root, real_ads_dir=real_dir,
                           detectors=[(build_keyword_detector(), "model")], home=home)
    report = json.loads(files.json_path.read_text(encoding="utf-8"))
    card = files.card_path.read_text(encoding="utf-8")
    assert (tmp_path / "out" / "MODEL_CARD.md").read_text(encoding="utf-8") == card
    [(name, result)] = report["detectors"].items()
    model = result["model"]
    assert f"| {model['name']} | {model['version']} | {model['sha256']} |" in card
    assert all(use in card for use in REFUSED_USES) and "DATASHEET.md" in card
    found = tables(card)

    per_lang = {row[0]: row for row in found["Quality per language"]}
    assert set(per_lang) == set(result["indicators"]) == {"all", "es", "pt"}
    for group, data in result["indicators"].items():
        micro, ci = data["micro"], data["intervals"]["micro"]
        assert per_lang[group][1:] == [
            with_interval(micro["precision"], ci["precision"]),
            with_interval(micro["recall"], ci["recall"]), with_interval(micro["f1"], ci["f1"]),
            three(data["macro_f1"]), str(micro["support"])]
        rows = {row[0]: row for row in found[f"Quality per indicator: {group}"]}
        shown = {i for i, c in data["per_indicator"].items() if c["support"] or c["predicted"]}
        assert set(rows) == shown and shown
        for indicator in shown:
            counts, bounds = data["per_indicator"][indicator], \
                data["intervals"]["per_indicator"][indicator]
            assert rows[indicator][1:] == [
                str(counts["support"]), with_interval(counts["precision"], bounds["precision"]),
                with_interval(counts["recall"], bounds["recall"]),
                with_interval(counts["f1"], bounds["f1"])]
    assert {row[0]: row[1] for row in found["Calibration"]} == {
        group: three(ece) for group, ece in result["calibration"]["ece"].items()}
    real = {row[0]: row[1:] for row in found["False alarms on real ordinary ads"]}
    assert real["all"][0] == str(result["real_ads"]["all"]["ads"]) == "5"
    failures = {row[0]: row for row in found["Known failure modes"]}
    assert set(failures) == {"Negation", "Lone strong indicator", "Obfuscated writing",
                             "Informal writing"}
    modes = result["failure_modes"]
    assert failures["Negation"][1] == str(modes["negation"]["ads"])
    if modes["negation"]["ads"]:
        assert f"{100 * modes['negation']['flagged_share']:.1f}%" in failures["Negation"][2]

    # The same card in the HTML report, and kept by sha256 for the review app.
    html = files.html_path.read_text(encoding="utf-8")
    assert '<section class="model-card">' in html and "Out of scope and refused uses" in html
    assert with_interval(result["indicators"]["all"]["micro"]["f1"],
                         result["indicators"]["all"]["intervals"]["micro"]["f1"]) in html
    kept = home / "model-cards" / model["sha256"]
    assert (kept / "MODEL_CARD.md").read_text(encoding="utf-8") == card
    assert json.loads((kept / "evaluation.json").read_text(encoding="utf-8")) == report
    assert read_card_html(home / "model-cards", model["sha256"]) == card_html(report)
    assert read_card_html(home / "model-cards", "..") is None


def test_bootstrap_intervals_hold_the_score_and_are_seeded() -> None:
    rng = np.random.default_rng(1)
    y_true = rng.random((200, 3)) < 0.3
    y_pred = np.where(rng.random((200, 3)) < 0.8, y_true, ~y_true)
    y_pred[:, 2] = False  # never predicted: precision undefined, recall 0
    first = m.bootstrap_intervals(y_true, y_pred)
    assert first == m.bootstrap_intervals(y_true, y_pred)  # seeded
    counts = m.count_labels(y_true, y_pred)
    for column in range(2):
        for name in ("precision", "recall", "f1"):
            low, high = first["per_indicator"][column][name]
            assert low <= getattr(counts[column], name) <= high and high - low < 0.4
    assert first["per_indicator"][2]["precision"] is None
    assert first["per_indicator"][2]["recall"] == [0.0, 0.0]


def test_the_review_app_links_the_card_from_every_assessment(
        tmp_path: Path, web_store, corpus_root: Path) -> None:  # noqa: F811
    from annotation.web.app import create_app
    from evaluation.model_card import save_model_card
    from tests.review_data import MODEL
    from tests.test_web import SECRET, sign_in

    files = run_evaluation("plain.keywords.v1", split="dev", out_dir=tmp_path / "out",
                           corpus_root=corpus_root, real_ads_dir=None,
                           detectors=[(build_keyword_detector(), "model")])
    report = files.report
    [result] = report["detectors"].values()
    result["model"] = MODEL.model_dump()  # as if the queue's model had been evaluated
    save_model_card(report, tmp_path / "cards")
    client = sign_in(create_app(web_store, SECRET, cards_dir=tmp_path / "cards"), "olga")
    page = client.get("/ads/mx-pas")
    link = f'href="/models/{MODEL.sha256}/card"'
    assert page.status_code == 200 and link in page.text
    card = client.get(f"/models/{MODEL.sha256}/card")
    assert card.status_code == 200
    assert "Out of scope and refused uses" in card.text and MODEL.sha256 in card.text
    missing = client.get(f"/models/{'0' * 64}/card")
    assert missing.status_code == 404 and "No model card yet" in missing.text


def test_a_registered_model_gets_its_card_in_its_folder(tmp_path: Path, corpus_root: Path  # noqa: F811
                                                        ) -> None:
    from evaluation.model_card import save_model_card

    files = run_evaluation("plain.keywords.v1", split="dev", out_dir=tmp_path / "out",
                           corpus_root=corpus_root, real_ads_dir=None,
                           detectors=[(build_keyword_detector(), "model")])
    [result] = files.report["detectors"].values()
    root = tmp_path / "models"
    mine, other = root / result["model"]["name"] / "20261204T1", root / result["model"]["name"] / "2"
    for folder, sha in ((mine, result["model"]["sha256"]), (other, "f" * 64)):
        folder.mkdir(parents=True)
        (folder / "meta.json").write_text(json.dumps({"sha256": sha}), encoding="utf-8")
    written = save_model_card(files.report, None, root)
    assert written == [mine / "MODEL_CARD.md"] and not (other / "MODEL_CARD.md").exists()
    assert written[0].read_text(encoding="utf-8") == files.card_path.read_text(encoding="utf-8")
