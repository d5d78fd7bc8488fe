"""The HTML page of an evaluation report: one self-contained file (inline CSS, figures as
base64 PNG, no script, no external resource), drawn from the JSON report alone."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from evaluation.model_card import card_html
from evaluation.plots import draw_figures
from evaluation.summary import BY_COLUMNS, SUMMARY_COLUMNS, by_rows, format_value

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #1d2329; margin: 0 auto; max-width: 1150px; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem;
     border-bottom: 2px solid #1f5f8b; padding-bottom: .2rem; }
.meta { color: #5a6570; } .warning { background: #fdecea; border-left: 6px solid #c0392b;
        padding: .7rem 1rem; font-weight: 600; margin: 1rem 0; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: 13px; }
th, td { border: 1px solid #d5dbe0; padding: .25rem .5rem; text-align: right; }
th { background: #eef2f5; } td.text, th.text { text-align: left; }
tr:nth-child(even) td { background: #fafbfc; } td.best { font-weight: 700; color: #1f5f8b; }
img { max-width: 100%; height: auto; display: block; margin: .5rem 0 1rem; }
details { margin: .4rem 0; } summary { cursor: pointer; font-weight: 600; }
.note { color: #5a6570; font-size: 12.5px; } code { background: #eef2f5; padding: 0 .2rem; }
"""


def _cell(value: Any, key: str = "", best: bool = False) -> str:
    text = escape(format_value(key, value)) if not isinstance(value, str) else escape(value)
    classes = " ".join(c for c in ("text" if isinstance(value, str) else "",
                                   "best" if best else "") if c)
    return f'<td class="{classes}">{text}</td>' if classes else f"<td>{text}</td>"


def _table(headers: Sequence[str], rows: Iterable[str], header_rows: str = "") -> str:
    head = header_rows or "<tr>" + "".join(
        f'<th class="text">{escape(h)}</th>' if i == 0 else f"<th>{escape(h)}</th>"
        for i, h in enumerate(headers)) + "</tr>"
    return f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def _image(figure: str | None, alt: str) -> str:
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{figure}">' if figure else ""


def _summary(report: dict[str, Any]) -> str:
    rows = ("<tr>" + "".join(_cell(row[key], key) for key, _ in SUMMARY_COLUMNS) + "</tr>"
            for row in report["summary"])
    return _table([title for _, title in SUMMARY_COLUMNS], rows)


def _gold_high(report: dict[str, Any]) -> str:
    rows = []
    for name, result in report["detectors"].items():
        for group, g in result["gold_high"].items():
            rows.append("<tr>" + _cell(name) + _cell(group) + _cell(g["gold_high"])
                        + _cell(g["flagged"]) + _cell(g["flagged_share"], "high_share")
                        + _cell(g["rated_high"]) + _cell(g["rated_high_share"], "high_share")
                        + "</tr>")
    table = _table(["detector", "lang", "gold high", "flagged", "flagged share", "rated high",
                    "rated high share"], rows)
    if not report.get("by"):
        return table
    by = ("<tr>" + "".join(_cell(row[key], key) for key, _ in BY_COLUMNS) + "</tr>"
          for row in by_rows(report))
    return (table + f"<h3>By {escape(', '.join(report['by']))}</h3>"
            + _table([title for _, title in BY_COLUMNS], by))


def _per_indicator(report: dict[str, Any], group: str) -> str:
    names = [n for n in report["detectors"] if group in report["detectors"][n]["indicators"]]
    head = ('<tr><th class="text" rowspan="2">indicator</th><th rowspan="2">gold</th>'
            + "".join(f'<th colspan="3">{escape(n)}</th>' for n in names) + "</tr><tr>"
            + "<th>P</th><th>R</th><th>F1</th>" * len(names) + "</tr>")
    rows = []
    for indicator in [*report["taxonomy"]["ids"], "micro", "macro"]:
        cells = []
        for name in names:
            result = report["detectors"][name]["indicators"][group]
            if indicator == "macro":
                cells.append((None, None, result["macro_f1"]))
            else:
                s = result["micro"] if indicator == "micro" else result["per_indicator"][indicator]
                cells.append((s["precision"], s["recall"], s["f1"]))
        top = max((c[2] for c in cells if c[2] is not None), default=None)
        first = report["detectors"][names[0]]["indicators"][group]
        support = (first["micro"]["support"] if indicator == "micro" else
                   None if indicator == "macro" else first["per_indicator"][indicator]["support"])
        rows.append("<tr>" + _cell(indicator) + _cell(support) + "".join(
            _cell(p) + _cell(r) + _cell(f, best=f is not None and f == top and len(names) > 1)
            for p, r, f in cells) + "</tr>")
    return _table([], rows, head)


def _ranking(report: dict[str, Any]) -> str:
    top_k = report["settings"]["top_k"]
    headers = ["detector", "lang", "ads", "gold high", "AP", "P@10%", *(f"P@{k}" for k in top_k)]
    rows = []
    for name, result in report["detectors"].items():
        for group, r in result["ranking"].items():
            if group == "precision_curve":
                continue
            rows.append("<tr>" + _cell(name) + _cell(group) + _cell(r["ads"])
                        + _cell(r["relevant"]) + _cell(r["average_precision"])
                        + _cell(r["precision_at_top_share"])
                        + "".join(_cell(r["precision_at"][str(k)]) for k in top_k) + "</tr>")
    return _table(headers, rows)


def _calibration(report: dict[str, Any]) -> str:
    groups = ("all", "es", "pt")
    rows = ("<tr>" + _cell(name) + _cell(result["calibration"]["source"])
            + "".join(_cell(result["calibration"]["ece"].get(g)) for g in groups) + "</tr>"
            for name, result in report["detectors"].items())
    return _table(["detector", "probabilities", *(f"ECE {g}" for g in groups)], rows)


def _spans(report: dict[str, Any]) -> str:
    names = list(report["detectors"])
    head = ('<tr><th class="text" rowspan="2">indicator</th>'
            + "".join(f'<th colspan="3">{escape(n)}</th>' for n in names) + "</tr><tr>"
            + "<th>TP ads</th><th>char F1</th><th>spans on gold</th>" * len(names) + "</tr>")
    rows = []
    for indicator in [*report["taxonomy"]["ids"], "all"]:
        cells = ""
        for name in names:
            spans = report["detectors"][name]["spans"]
            s = spans["all"] if indicator == "all" else spans["per_indicator"][indicator]
            cells += _cell(s["pairs"]) + _cell(s["char_f1"]) + _cell(s["share_overlapping"])
        rows.append("<tr>" + _cell(indicator) + cells + "</tr>")
    return _table([], rows, head)


def _spans_by_source(report: dict[str, Any]) -> str:
    rows = ("<tr>" + _cell(name) + _cell(source) + _cell(s["hits"]) + _cell(s["no_phrase"])
            + _cell(s["pairs"]) + _cell(s["char_f1"]) + _cell(s["share_overlapping"]) + "</tr>"
            for name, result in report["detectors"].items()
            for source, s in result["spans"].get("by_source", {}).items())
    return _table(["detector", "hits made by", "hits", "no phrase", "TP hits with phrase",
                   "char F1", "spans on gold"], rows)


def _real(report: dict[str, Any], figure: str | None) -> str:
    real = report["real_ads"]
    if not real["used"]:
        return f"<p>Skipped: {escape(real['skipped'])}.</p>"
    files = {name: f["used"] for name, f in real["files"].items()}
    intro = (f"<p>{sum(files.values()):,} real ordinary job ads ("
             + ", ".join(f"{escape(n)}: {k:,}" for n, k in files.items())
             + f"; at most {real['limit_per_file'] or 'all'} per file, seeded sample). None is "
               "known to be deceptive: every high or medium rating is a probable false "
               "alarm.</p>")
    rows = []
    for name, result in report["detectors"].items():
        rates = result["real_ads"]
        if rates:
            for part, r in [*rates["files"].items(), ("all", rates["all"])]:
                rows.append("<tr>" + _cell(name) + _cell(part) + _cell(r["ads"])
                            + _cell(r["high_rate"], "real_high_rate")
                            + _cell(r["high_or_medium_rate"], "real_high_or_medium_rate") + "</tr>")
    table = _table(["detector", "file", "ads", "high", "high or medium"], rows)
    names = [n for n, r in report["detectors"].items() if r["real_ads"]]
    ind_rows = ("<tr>" + _cell(indicator) + "".join(
        _cell(report["detectors"][n]["real_ads"]["indicator_rates"][indicator], "real_rate")
        for n in names) + "</tr>" for indicator in report["taxonomy"]["ids"])
    indicators = ("<details><summary>Share of real ads on which each indicator is found"
                  "</summary>" + _table(["indicator", *names], ind_rows) + "</details>")
    return intro + table + _image(figure, "false-alarm rates on real ads") + indicators


def render_page(report: dict[str, Any]) -> str:
    """The whole HTML page of a report."""
    figures = draw_figures(report)
    corpus = report["corpus"]
    detectors = _table(["detector", "role", "sha256", "seconds on split"], (
        "<tr>" + _cell(name) + _cell(r["role"]) + _cell(r["model"]["sha256"][:16])
        + _cell(r["seconds"]) + "</tr>" for name, r in report["detectors"].items()))
    warning = "".join(f'<div class="warning">{escape(text)}</div>' for text in (
        report["warning"], report["corpus"].get("incomplete")) if text)
    langs = ", ".join(f"{n} {lang}" for lang, n in corpus["by_lang"].items())
    where = corpus.get("splits") or ", ".join(corpus.get("gold_files", []))
    per_lang = "".join(
        f"<details><summary>Per indicator: {g}</summary>{_per_indicator(report, g)}</details>"
        for g in ("es", "pt") if any(g in r["indicators"] for r in report["detectors"].values()))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Centinela evaluation: {escape(report['split'])} split</title>
<style>{CSS}</style></head>
<body>
<h1>Centinela evaluation: {escape(report['split'])} split</h1>
<p class="meta">{escape(report['created_at'])} · {corpus['ads']} labelled ads ({escape(langs)};
gold high: {sum(corpus['gold_high'].values())}) · taxonomy {escape(report['taxonomy']['version'])}
· <code>{escape(where)}</code></p>
{warning}
{detectors}
<h2>Summary</h2>
{_summary(report)}
<p class="note">Macro-F1 averages indicators present in gold or predictions; micro-F1 pools
all indicator decisions. P@10% and AP rank ads by score, with gold risk <code>high</code> as
relevant (ties count at their expected precision). Real-ads rates: share of real ordinary
ads rated high, and high or medium.</p>
<h2>Gold-high texts</h2>
<p class="note">Of the texts whose gold risk is high: the share the detector flags (rates
medium or high) and the share it rates high.</p>
{_gold_high(report)}
<h2>Indicators</h2>
{_per_indicator(report, 'all')}
{per_lang}
{_image(figures['indicator_f1'], 'F1 per indicator')}
<h2>Risk levels</h2>
{_image(figures['confusion'], 'risk confusion matrices')}
<h2>Ranking</h2>
{_ranking(report)}
{_image(figures['precision_curve'], 'precision at k')}
<h2>Calibration</h2>
<p class="note">Per ad and indicator, the probability is the detector's own when it gives
one, else the hit score where the indicator is found and 0 elsewhere. ECE: mean gap between
predicted probability and observed share over {report['settings']['n_bins']} equal-width
bins, weighted by the predictions in each.</p>
{_calibration(report)}
{_image(figures['reliability'], 'reliability diagram')}
<h2>Evidence spans</h2>
<p class="note">On true positives (indicator in gold and predicted): character-level F1 of
predicted against gold evidence, and the share of predicted spans touching a gold span.</p>
{_spans(report)}
<p class="note">By what made each hit: a rule's phrase, or a trained model alone (its
n-gram phrases; "no phrase" hits are shown as model only, at half their score).</p>
{_spans_by_source(report)}
<h2>Real ordinary ads</h2>
{_real(report, figures['real_rates'])}
{card_html(report)}
</body></html>
"""
