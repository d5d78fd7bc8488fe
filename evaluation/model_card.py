"""Model cards: what a model is for, what it must not be used for, what it learned from,
and how well it does, with every figure taken from one evaluation report (the JSON of
evaluation.report). The same card is written as `MODEL_CARD.md` and drawn as a section
of the HTML report and of the review app (`card_html`).

    card = model_card_markdown(report)            # the evaluated model's card
    save_model_card(report, home / "model-cards")  # <dir>/<sha256>/MODEL_CARD.md + JSON

`save_model_card` also writes the card into the model's registered artifact folder when
one has the model's sha256 in its meta.json (models.artifacts); a model whose sha256
combines several parts (the ensemble: artifact and rules) keeps its card by sha256 only. Numbers are shown with three decimals; 95% bootstrap intervals in brackets.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

CARD_FILE = "MODEL_CARD.md"
CARD_HTML_FILE = "MODEL_CARD.html"  # the HTML section, which the review app shows
REPORT_FILE = "evaluation.json"

INTENDED_USE = (
    "Hints for human review of public job and migration ads in Spanish and Portuguese: "
    "the model finds possible indicators of trafficking recruitment, quotes the words "
    "behind each one, maps them to IC-TIP, and orders ads so that a trained person looks "
    "at the riskiest first. Its risk level is a hint for ordering review, never a finding "
    "about an ad or a person; a person decides every case.")
REFUSED_USES = (
    "Scoring people, job seekers or workers (their trustworthiness, their risk, their "
    "status): the model reads ads, not people.",
    "Automated decisions without a person: removing ads, blocking accounts, reporting to "
    "authorities or denying anything on the model's output alone.",
    "Monitoring private messages, closed groups or personal profiles: only public ads "
    "from allow-listed sources.",
    "Immigration enforcement against victims or migrants.",
    "Searching for people by name or building profiles of individuals.",
)
FAILURE_NAMES = {"negation": "Negation", "lone_strong": "Lone strong indicator",
                 "obfuscation": "Obfuscated writing", "informal": "Informal writing"}
Block = tuple[Any, ...]


def model_card_markdown(report: dict[str, Any], detector: str | None = None) -> str:
    """The card of `detector` (default: the evaluated model) as Markdown."""
    lines: list[str] = []
    for block in _blocks(report, detector):
        kind = block[0]
        if kind == "h1":
            lines += [f"# {block[1]}", ""]
        elif kind == "h2":
            lines += [f"## {block[1]}", ""]
        elif kind == "p":
            lines += [block[1], ""]
        elif kind == "ul":
            lines += [f"- {item}" for item in block[1]] + [""]
        elif kind == "table":
            headers, rows = block[1], block[2]
            lines += ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
            lines += ["| " + " | ".join(row) + " |" for row in rows] + [""]
    return "\n".join(lines)


def card_html(report: dict[str, Any], detector: str | None = None) -> str:
    """The same card as an HTML fragment (a <section>), for report and app pages."""
    parts = ['<section class="model-card">']
    for block in _blocks(report, detector):
        kind = block[0]
        if kind in ("h1", "h2"):
            tag = "h2" if kind == "h1" else "h3"
            parts.append(f"<{tag}>{escape(block[1])}</{tag}>")
        elif kind == "p":
            parts.append(f"<p>{_links(block[1])}</p>")
        elif kind == "ul":
            parts.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in block[1]) + "</ul>")
        elif kind == "table":
            head = "".join(f"<th>{escape(h)}</th>" for h in block[1])
            body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>"
                           for row in block[2])
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    return "\n".join(parts + ["</section>"])


def save_model_card(report: dict[str, Any], cards_dir: Path | None,
                    models_root: Path | None = None) -> list[Path]:
    """Write the evaluated model's card (Markdown, its HTML section, and the report it
    comes from) to `<cards_dir>/<sha256>/`, and the card into the model's artifact folder under
    `models_root` when it is registered there with the same sha256; returns the cards."""
    name, result = _evaluated(report, None)
    model = result["model"]
    written: list[Path] = []
    card = model_card_markdown(report)
    if cards_dir is not None:
        folder = Path(cards_dir) / model["sha256"]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / REPORT_FILE).write_text(json.dumps(report, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
        (folder / CARD_FILE).write_text(card, encoding="utf-8")
        (folder / CARD_HTML_FILE).write_text(card_html(report), encoding="utf-8")
        written.append(folder / CARD_FILE)
    if models_root is not None:  # <root>/<name>/<artifact version>/meta.json
        for meta in sorted((Path(models_root) / model["name"]).glob("*/meta.json")):
            if json.loads(meta.read_text(encoding="utf-8")).get("sha256") == model["sha256"]:
                (meta.parent / CARD_FILE).write_text(card, encoding="utf-8")
                written.append(meta.parent / CARD_FILE)
    return written


def fmt(value: float | None) -> str:
    """A score as the card shows it."""
    return "–" if value is None else f"{value:.3f}"


def fmt_ci(value: float | None, bounds: list[float | None] | None) -> str:
    """A score with its interval, e.g. '0.812 [0.700–0.900]'."""
    if value is None:
        return "–"
    if not bounds or None in bounds:
        return fmt(value)
    return f"{fmt(value)} [{fmt(bounds[0])}–{fmt(bounds[1])}]"


def fmt_share(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _evaluated(report: dict[str, Any], detector: str | None) -> tuple[str, dict[str, Any]]:
    if detector is not None:
        return detector, report["detectors"][detector]
    return next((name, r) for name, r in report["detectors"].items() if r["role"] == "model")


def _blocks(report: dict[str, Any], detector: str | None) -> list[Block]:
    name, result = _evaluated(report, detector)
    model, corpus = result["model"], report["corpus"]
    langs = ", ".join(f"{n} {lang}" for lang, n in corpus["by_lang"].items())
    blocks: list[Block] = [
        ("h1", f"Model card: {model['name']} v{model['version']}"),
        ("table", ["name", "version", "sha256"], [[model["name"], model["version"],
                                                    model["sha256"]]]),
        ("p", f"Figures from the evaluation of {report['created_at']} on the "
              f"{report['split']} split ({corpus['ads']} labelled ads: {langs}), taxonomy "
              f"{report['taxonomy']['version']}."
              + (f" {report['warning']}" if report.get("warning") else "")),
        ("h2", "Intended use"), ("p", INTENDED_USE),
        ("h2", "Out of scope and refused uses"), ("ul", list(REFUSED_USES)),
        ("h2", "Training data"),
        ("p", "Ads written by the project in Spanish and Portuguese, labelled with "
              "indicators, evidence spans and risk, with reserved example contacts; no "
              "real person's ad. See the corpus datasheet, [corpora/DATASHEET.md]"
              "(corpora/DATASHEET.md) in the Centinela repository. Evaluation uses a "
              "split that nothing was trained or tuned on; expect lower figures on ads "
              "written by others."),
    ]
    blocks += _quality(result)
    blocks += _calibration(result, report)
    blocks += _real_ads(result)
    blocks += _failures(result)
    return blocks


def _quality(result: dict[str, Any]) -> list[Block]:
    groups = result["indicators"]
    level = int(100 * next(iter(groups.values()))["intervals"]["level"])
    resamples = next(iter(groups.values()))["intervals"]["resamples"]
    rows = []
    for group, data in groups.items():
        micro, ci = data["micro"], data["intervals"]["micro"]
        rows.append([group, fmt_ci(micro["precision"], ci["precision"]),
                     fmt_ci(micro["recall"], ci["recall"]), fmt_ci(micro["f1"], ci["f1"]),
                     fmt(data["macro_f1"]), str(micro["support"])])
    blocks: list[Block] = [
        ("h2", "Quality per language"),
        ("p", f"Micro precision, recall and F1 over indicator decisions, with {level}% "
              f"bootstrap intervals ({resamples} resamples of the ads), and macro-F1."),
        ("table", ["language", "precision", "recall", "F1", "macro-F1", "gold indicators"],
         rows)]
    for group, data in groups.items():
        intervals = data["intervals"]["per_indicator"]
        rows = [[indicator, str(c["support"]),
                 fmt_ci(c["precision"], intervals[indicator]["precision"]),
                 fmt_ci(c["recall"], intervals[indicator]["recall"]),
                 fmt_ci(c["f1"], intervals[indicator]["f1"])]
                for indicator, c in data["per_indicator"].items()
                if c["support"] or c["predicted"]]
        blocks += [("h2", f"Quality per indicator: {group}"),
                   ("table", ["indicator", "gold", "precision", "recall", "F1"], rows)]
    return blocks


def _calibration(result: dict[str, Any], report: dict[str, Any]) -> list[Block]:
    calibration = result["calibration"]
    rows = [[group, fmt(ece)] for group, ece in calibration["ece"].items()]
    return [("h2", "Calibration"),
            ("p", f"Expected calibration error over {calibration['n_bins']} bins of the "
                  f"per-indicator probabilities ({calibration['source']}); 0 is perfectly "
                  "calibrated."),
            ("table", ["language", "ECE"], rows)]


def _real_ads(result: dict[str, Any]) -> list[Block]:
    real = result.get("real_ads")
    if not real:
        return [("h2", "False alarms on real ordinary ads"),
                ("p", "Not measured in this evaluation (no real ads were read).")]
    rows = [[lang, str(r["ads"]), fmt_share(r["high_rate"]), fmt_share(r["high_or_medium_rate"])]
            for lang, r in {"all": real["all"], **real["by_lang"]}.items()]
    return [("h2", "False alarms on real ordinary ads"),
            ("p", "Public job ads written by others, none known to be deceptive: the share "
                  "the model rates high, and high or medium."),
            ("table", ["language", "ads", "high", "high or medium"], rows)]


def _failures(result: dict[str, Any]) -> list[Block]:
    modes = result.get("failure_modes") or {}
    rows = []
    for key, mode in modes.items():
        if key == "informal":
            inner, others = mode["micro"], mode["others_micro"]
            figure = ("no ad" if inner is None else
                      f"micro P {fmt(inner['precision'])}, R {fmt(inner['recall'])}, "
                      f"F1 {fmt(inner['f1'])}" + ("" if others is None else
                                                  f" (other ads: F1 {fmt(others['f1'])})"))
        elif key == "obfuscation":
            figure = ("no ad" if not mode["ads"] else
                      f"recall {fmt(mode['recall'])}, rated medium or high "
                      f"{fmt_share(mode['flagged_share'])}")
        else:
            figure = ("no ad" if not mode["ads"] else
                      f"rated medium or high {fmt_share(mode['flagged_share'])}")
        rows.append([FAILURE_NAMES.get(key, key), str(mode["ads"]), figure,
                     mode["definition"]])
    return [("h2", "Known failure modes"),
            ("p", "Measured on the same split, on slices chosen by stated rules."),
            ("table", ["failure mode", "ads", "measured", "slice"], rows)]


def _links(text: str) -> str:
    """Escaped text, with the datasheet's Markdown link shown as its path."""
    return escape(text).replace("[corpora/DATASHEET.md](corpora/DATASHEET.md)",
                                "<code>corpora/DATASHEET.md</code>")
