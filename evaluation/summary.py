"""The headline rows of an evaluation report and how they are shown (the console table,
the HTML page and the Markdown summary all read them from here)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evaluation.report import ReportFiles


def summary_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per detector and language group: the headline numbers."""
    rows = []
    for name, result in report["detectors"].items():
        real = result["real_ads"]
        for group in result["indicators"]:
            rates = (real["all"] if group == "all" else real["by_lang"].get(group)) if real \
                else None
            rows.append({
                "detector": name, "role": result["role"], "lang": group,
                "macro_f1": result["indicators"][group]["macro_f1"],
                "micro_f1": result["indicators"][group]["micro"]["f1"],
                "micro_recall": result["indicators"][group]["micro"]["recall"],
                "micro_precision": result["indicators"][group]["micro"]["precision"],
                "high_flagged": result["gold_high"][group]["flagged_share"],
                "high_rated_high": result["gold_high"][group]["rated_high_share"],
                "precision_at_top_share": result["ranking"][group]["precision_at_top_share"],
                "average_precision": result["ranking"][group]["average_precision"],
                "real_ads": rates["ads"] if rates else None,
                "real_high_rate": rates["high_rate"] if rates else None,
                "real_high_or_medium_rate": rates["high_or_medium_rate"] if rates else None})
    return rows


SUMMARY_COLUMNS = (("detector", "detector"), ("lang", "lang"), ("macro_f1", "macro-F1"),
                   ("micro_f1", "micro-F1"), ("micro_recall", "micro R"),
                   ("micro_precision", "micro P"), ("precision_at_top_share", "P@10%"),
                   ("average_precision", "AP (high)"), ("high_flagged", "high: flagged"),
                   ("high_rated_high", "high: rated high"), ("real_high_rate", "real: high"),
                   ("real_high_or_medium_rate", "real: high+medium"))
BY_COLUMNS = (("detector", "detector"), ("group", "group"), ("ads", "ads"),
              ("gold_high", "gold high"), ("macro_f1", "macro-F1"), ("micro_recall", "micro R"),
              ("micro_precision", "micro P"), ("average_precision", "AP (high)"),
              ("high_flagged", "high: flagged"), ("high_rated_high", "high: rated high"))


def by_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per detector, `--by` field and value: the headline figures of that group."""
    return [{"detector": name, "group": f"{field}={value}", "ads": g["ads"],
             "gold_high": g["gold_high"]["gold_high"], "macro_f1": g["macro_f1"],
             "micro_recall": g["micro"]["recall"], "micro_precision": g["micro"]["precision"],
             "average_precision": g["average_precision"],
             "high_flagged": g["gold_high"]["flagged_share"],
             "high_rated_high": g["gold_high"]["rated_high_share"]}
            for name, result in report["detectors"].items()
            for field, values in result["by"].items() for value, g in values.items()]


def format_value(key: str, value: Any) -> str:
    """How a summary value is shown: rates as percentages, scores with 3 decimals."""
    if value is None:
        return "–"
    if (key.startswith("real_") and key.endswith("rate")) or key.startswith("high_"):
        return f"{100 * value:.1f}%"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def summary_markdown(report: dict[str, Any], files: ReportFiles | None = None) -> str:
    """The summary table (and report paths) as Markdown, e.g. for a Prefect artifact."""
    lines = [f"# Centinela evaluation: {report['split']} split "
             f"({report['corpus']['ads']} labelled ads)", ""]
    if report["warning"]:
        lines += [f"> **Warning:** {report['warning']}", ""]
    lines += ["| " + " | ".join(title for _, title in SUMMARY_COLUMNS) + " |",
              "|" + "---|" * len(SUMMARY_COLUMNS)]
    for row in report["summary"]:
        lines.append("| " + " | ".join(format_value(key, row[key]) for key, _ in SUMMARY_COLUMNS)
                     + " |")
    real = report["real_ads"]
    lines += ["", "Real ordinary ads: " + (
        f"{sum(f['used'] for f in real['files'].values())} ads from {len(real['files'])} files"
        if real["used"] else f"skipped ({real['skipped']})") + "."]
    if files is not None:
        lines += ["", f"- HTML report: `{files.html_path}`", f"- JSON report: `{files.json_path}`"]
    return "\n".join(lines) + "\n"
