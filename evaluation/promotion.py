"""The promotion gate: a retrained model replaces the default only if it is no worse on
any language and indicator group, and better overall.

Both models are scored now, each as the detector it serves as the default
(`indicators.ensemble.v2` when one was trained on top of it, else the ensemble v1:
`evaluation.retrain.compare`), on the same evaluation sets (the corpus's fixed test split
of each wave, and the review sample of people's labels that training never saw), pooled:

- **Counts**: per language and indicator, true positives, false positives and false
  negatives of the indicators found (`evaluation.metrics.count_labels`).
- **Cells**: languages `es`, `pt` and `all` crossed with indicator groups, the taxonomy's
  strengths `strong`, `medium`, `weak` and `all`, except (`all`, `all`). A cell's score is
  the micro-F1 of its summed counts. Cells without a gold positive are not compared.
- **Overall**: micro-F1 of every indicator in every language.
- **Ranking**: average precision of gold `high` over every ad's score, pooled over the sets
  (the order the review queue shows; `evaluation.metrics.average_precision`).

The rule, with `TOLERANCE = 0.01` (absolute F1):

    promote  <=>  no default yet
              or ( for every compared cell:  F1_candidate >= F1_default - TOLERANCE
                   and ( overall F1_candidate > overall F1_default
                         or ( overall F1_candidate = overall F1_default
                              and AP_candidate > AP_default ) ) )

The tie-break lets a model that finds exactly the same indicators but ranks them better
(a new risk model, trained on the same data) replace the default.

The tolerance absorbs one or two ads' worth of noise in the smaller cells (a `pt` x `weak`
cell of the test split holds a few dozen gold indicators, where one ad moves F1 by about
0.01); anything larger is a real regression and refuses the candidate. "Better overall" is
strict: a tie keeps the default.

These are held-out figures: the test splits are never trained or tuned on (thresholds
come from dev) and the review sample is held out by ad id (annotation.learning.corrections).
The gate's yes/no is the only choice made on them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, Protocol

import numpy as np

from corpora.records import Ad
from corpora.taxonomy import Taxonomy
from evaluation import metrics as m
from models.detector import Detector

TOLERANCE = 0.01
LANGS = ("es", "pt")
ALL = "all"
BATCH_SIZE = 512


class Labelled(Protocol):
    """A corpus `LabelledAd` or a store `Correction`."""

    id: str
    lang: str
    indicators: list[str]
    risk: str

    def to_ad(self) -> Ad: ...


HitCounts = dict[str, dict[str, dict[str, list[int]]]]  # set -> lang -> indicator -> tp, fp, fn
Ranking = dict[str, list[tuple[bool, float]]]  # set -> per ad: gold `high`, the model's score


def count_hits(detector: Detector, sets: Mapping[str, Sequence[Labelled]],
               taxonomy: Taxonomy) -> tuple[HitCounts, Ranking]:
    """Per evaluation set, language and indicator: [tp, fp, fn] of `detector`; and per set,
    each ad's gold `high` and score."""
    ids = taxonomy.ids
    out: HitCounts = {}
    ranking: Ranking = {}
    for name, rows in sets.items():
        ads = [row.to_ad() for row in rows]
        assessments = [a for start in range(0, len(ads), BATCH_SIZE)
                       for a in detector.assess(ads[start:start + BATCH_SIZE])]
        y_true = m.label_matrix([row.indicators for row in rows], ids)
        y_pred = m.predicted_matrix(assessments, ids)
        out[name] = {}
        for lang in LANGS:
            mask = [row.lang == lang for row in rows]
            counts = m.count_labels(y_true[mask], y_pred[mask])
            out[name][lang] = {i: [c.tp, c.fp, c.fn] for i, c in zip(ids, counts, strict=True)}
        ranking[name] = [(row.risk == "high", a.score)
                         for row, a in zip(rows, assessments, strict=True)]
    return out, ranking


def ranking_ap(ranking: Ranking) -> float | None:
    """AP of gold `high` over the pooled sets' scores (None without a gold `high`)."""
    pooled = [pair for pairs in ranking.values() for pair in pairs]
    return m.average_precision(np.array([gold for gold, _ in pooled], dtype=bool),
                               np.array([score for _, score in pooled], dtype=float))


def _groups(taxonomy: Taxonomy) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for indicator in taxonomy.indicators:
        groups.setdefault(indicator.strength, []).append(indicator.id)
    return {**dict(sorted(groups.items())), ALL: list(taxonomy.ids)}


def _pooled(counts: HitCounts, langs: Sequence[str], indicators: Sequence[str],
            sets: Sequence[str] | None = None) -> m.Counts:
    total = m.Counts()
    for name in sets if sets is not None else counts:
        for lang in langs:
            for indicator in indicators:
                tp, fp, fn = counts[name][lang][indicator]
                total = total + m.Counts(tp, fp, fn)
    return total


def cell_scores(counts: HitCounts, taxonomy: Taxonomy,
                sets: Sequence[str] | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """lang (es, pt, all) -> group (strengths, all) -> pooled micro counts and F1."""
    return {lang: {group: _pooled(counts, LANGS if lang == ALL else [lang], ids, sets
                                  ).to_dict()
                   for group, ids in _groups(taxonomy).items()}
            for lang in (*LANGS, ALL)}


@dataclass(frozen=True)
class Verdict:
    """The gate's decision and every comparison it made."""

    promote: bool
    reason: str
    overall: dict[str, float | None]  # candidate, default
    worse: list[str]  # cells where the candidate fell by more than the tolerance
    tolerance: float

    def to_dict(self) -> dict[str, Any]:
        return {"promote": self.promote, "reason": self.reason, "overall": self.overall,
                "worse": self.worse, "tolerance": self.tolerance}


def _cells(taxonomy: Taxonomy) -> list[tuple[str, str, list[str], list[str]]]:
    """(lang, group, languages, indicators) of every cell, the overall one last."""
    out = [(lang, group, LANGS if lang == ALL else [lang], ids)
           for lang in (*LANGS, ALL) for group, ids in _groups(taxonomy).items()]
    return sorted(out, key=lambda cell: (cell[0], cell[1]) == (ALL, ALL))


def decide(candidate: HitCounts, default: HitCounts | None, taxonomy: Taxonomy,
           tolerance: float = TOLERANCE,
           ranking: Mapping[str, float | None] | None = None) -> Verdict:
    """Apply the promotion rule (module docstring) to two models' counts on the same sets,
    with exact (unrounded) F1 values; `ranking` holds each role's AP (`ranking_ap`), for
    the tie-break."""
    *cells, (_, _, langs, ids) = _cells(taxonomy)
    new = _pooled(candidate, langs, ids).f1 or 0.0
    if default is None:
        return Verdict(True, "no default model yet", {"candidate": new, "default": None}, [],
                       tolerance)
    old = _pooled(default, langs, ids).f1 or 0.0
    overall = {"candidate": new, "default": old}
    worse = []
    for lang, group, cell_langs, cell_ids in cells:
        mine, theirs = _pooled(candidate, cell_langs, cell_ids), _pooled(default, cell_langs,
                                                                         cell_ids)
        if not mine.support:
            continue
        if (mine.f1 or 0.0) < (theirs.f1 or 0.0) - tolerance:
            worse.append(f"{lang}/{group}: {mine.f1 or 0.0:.3f} < {theirs.f1 or 0.0:.3f} "
                         f"- {tolerance}")
    if worse:
        return Verdict(False, f"worse on {len(worse)} language/group cell(s)", overall, worse,
                       tolerance)
    if new == old and ranking is not None:
        ap_new, ap_old = ranking.get("candidate"), ranking.get("default")
        if ap_new is not None and ap_old is not None and ap_new > ap_old:
            return Verdict(True, f"as good on indicators (micro-F1 {new:.4f}) and better at "
                                 f"ranking high-risk ads (AP {ap_new:.4f} vs {ap_old:.4f})",
                           overall, worse, tolerance)
    if not new > old:
        return Verdict(False, f"not better overall (micro-F1 {new:.4f} vs {old:.4f})",
                       overall, worse, tolerance)
    return Verdict(True, f"better overall (micro-F1 {new:.4f} vs {old:.4f}) and no worse "
                         "on any language/group cell", overall, worse, tolerance)


# --- the report --------------------------------------------------------------------------

def comparison_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per evaluation set (and pooled) and language: both models' micro-F1."""
    rows = []
    names = [*report["sets"], "pooled"]
    for name in names:
        for lang in (*LANGS, ALL):
            row: dict[str, Any] = {"set": name, "lang": lang}
            for role in ("candidate", "default"):
                scores = report["scores"].get(role)
                row[role] = None if scores is None else scores[name][lang][ALL]["f1"]
                if scores is not None:
                    row["support"] = scores[name][lang][ALL]["support"]
            rows.append(row)
    return rows


def _f(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def judged_line(report: Mapping[str, Any]) -> str:
    """Which detector each model was scored as (the one it serves as the default)."""
    judged = report.get("judged") or {}
    return "Scored as the detector each serves: " + ", ".join(
        f"{role} {judged[role]}" for role in ("candidate", "default") if judged.get(role)) + "."


def report_markdown(report: Mapping[str, Any]) -> str:
    """The summary as Markdown (the flow's Prefect artifact)."""
    verdict = report["verdict"]
    lines = [f"# Retrain of {report['model']}: "
             f"{'PROMOTED' if verdict['promote'] else 'REFUSED'}", "",
             f"Candidate `{report['candidate']}`, default `{report['default'] or 'none'}`. "
             f"{verdict['reason']}.", "", judged_line(report), "",
             "| set | lang | gold | candidate micro-F1 | default micro-F1 |",
             "|---|---|---|---|---|"]
    for row in comparison_rows(report):
        lines.append(f"| {row['set']} | {row['lang']} | {row.get('support', '–')} | "
                     f"{_f(row['candidate'])} | {_f(row['default'])} |")
    ranking = report.get("ranking_ap_high") or {}
    lines += ["", f"AP of gold high-risk ads, pooled sets: candidate "
                  f"{_f(ranking.get('candidate'))}, default {_f(ranking.get('default'))}."]
    if verdict["worse"]:
        lines += ["", "Worse cells (beyond the tolerance of "
                      f"{verdict['tolerance']}):", *[f"- {w}" for w in verdict["worse"]]]
    training = report["training"]
    lines += ["", f"Trained on {training['rows']} rows: " + ", ".join(
        f"{n} {source}" for source, n in training["by_source"].items()) + "."]
    return "\n".join(lines) + "\n"


CSS = """body{font:14px/1.45 system-ui,sans-serif;color:#1d2329;margin:0 auto;max-width:1000px;
padding:1.5rem}table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:13px}
th,td{border:1px solid #d5dbe0;padding:.25rem .5rem;text-align:right}th{background:#eef2f5}
td.text,th.text{text-align:left}.promoted{color:#1e7b34}.refused{color:#b03a2e}
td.worse{background:#fdecea;font-weight:700}.note{color:#5a6570}"""


def render_html(report: Mapping[str, Any]) -> str:
    """The report as one self-contained HTML page (no script, no external resource)."""
    verdict = report["verdict"]
    state = "promoted" if verdict["promote"] else "refused"
    scores = report["scores"]
    overview = "".join(
        f'<tr><td class="text">{escape(r["set"])}</td><td class="text">{r["lang"]}</td>'
        f'<td>{r.get("support", "–")}</td><td>{_f(r["candidate"])}</td>'
        f'<td>{_f(r["default"])}</td></tr>' for r in comparison_rows(report))
    cells = ""
    if scores.get("default") is not None:
        for lang, groups in scores["candidate"]["pooled"].items():
            for group, score in groups.items():
                old = scores["default"]["pooled"][lang][group]
                worse = any(w.startswith(f"{lang}/{group}:") for w in verdict["worse"])
                cells += (f'<tr><td class="text">{lang}</td><td class="text">{group}</td>'
                          f'<td>{score["support"]}</td>'
                          f'<td{" class=worse" if worse else ""}>{_f(score["f1"])}</td>'
                          f'<td>{_f(old["f1"])}</td></tr>')
    ranking = report.get("ranking_ap_high") or {}
    training = report["training"]
    sources = "".join(f'<tr><td class="text">{escape(s)}</td><td>{n}</td></tr>'
                      for s, n in training["by_source"].items())
    sets = "".join(f'<tr><td class="text">{escape(n)}</td><td>{len(ids)}</td></tr>'
                   for n, ids in report["sets"].items())
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Retrain of {escape(report['model'])}</title><style>{CSS}</style></head><body>
<h1>Retrain of {escape(report['model'])}: <span class="{state}">{state.upper()}</span></h1>
<p>Candidate <code>{escape(report['candidate'])}</code>; default before this run
<code>{escape(report['default'] or 'none')}</code>. {escape(verdict['reason'])}.</p>
<p>{escape(judged_line(report))}</p>
<p class="note">Rule: promote only if no language/indicator-group cell falls by more than
{verdict['tolerance']} micro-F1 and the overall micro-F1 is strictly higher (or equal, with
a higher AP of gold high-risk ads), both models scored now on the same held-out sets
(evaluation.promotion).</p>
<h2>Micro-F1 per evaluation set and language</h2>
<table><thead><tr><th class="text">set</th><th class="text">lang</th><th>gold</th>
<th>candidate</th><th>default</th></tr></thead><tbody>{overview}</tbody></table>
<p>AP of gold high-risk ads, pooled sets: candidate {_f(ranking.get('candidate'))},
default {_f(ranking.get('default'))}.</p>
<h2>Cells the gate compared (pooled sets)</h2>
<table><thead><tr><th class="text">lang</th><th class="text">group</th><th>gold</th>
<th>candidate</th><th>default</th></tr></thead><tbody>{cells}</tbody></table>
<h2>Evaluation sets</h2><table><thead><tr><th class="text">set</th><th>ads</th></tr></thead>
<tbody>{sets}</tbody></table>
<h2>Training rows by provenance</h2><table><thead><tr><th class="text">source</th>
<th>rows</th></tr></thead><tbody>{sources}</tbody></table>
</body></html>
"""
