"""Agreement figures drawn as PNG for the dashboard (matplotlib's `Figure`, no pyplot, so
drawing is safe in a web request). The page loads them from the app itself: the
Content-Security-Policy allows images from this site only."""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.figure import Figure

from annotation.learning.reports import BatchAgreement

COLOURS = ("#1f5f8b", "#d9822b", "#5b8c3a", "#8e44ad")


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def trend_chart(trend: Sequence[BatchAgreement]) -> bytes:
    """Per batch, oldest first: mean alpha over indicators, alpha for risk and span F1
    (overlap); a gap where a figure is undefined."""
    fig = Figure(figsize=(8, 3.2))
    ax = fig.subplots()
    names = [f"{b.batch.name}\n#{b.batch.id}" for b in trend]
    x = list(range(len(trend)))
    series = {
        "mean alpha (indicators)": [b.mean_alpha for b in trend],
        "alpha (risk)": [b.agreement.risk_alpha for b in trend],
        "span F1 (overlap)": [b.agreement.spans.overlap_f1 for b in trend],
    }
    for colour, (label, values) in zip(COLOURS, series.items(), strict=False):
        ax.plot(x, [float("nan") if v is None else v for v in values], marker="o",
                color=colour, label=label)
    ax.axhline(0.667, color="#999", linestyle=":", linewidth=1)
    ax.axhline(0.8, color="#999", linestyle="--", linewidth=1)
    ax.set_xticks(x, names, fontsize=8)
    ax.set_ylim(-1.05, 1.05)
    ax.set_ylabel("agreement")
    ax.set_title("Agreement per batch (dotted 0.667, dashed 0.8: Krippendorff's cut-offs)",
                 fontsize=9)
    ax.legend(fontsize=8, loc="lower left")
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


def alpha_chart(report: BatchAgreement) -> bytes:
    """Horizontal bars: alpha per indicator and for risk in one batch (undefined ones are
    named but have no bar)."""
    rows = [(row.indicator, row.alpha) for row in report.agreement.indicators]
    rows.append(("risk", report.agreement.risk_alpha))
    fig = Figure(figsize=(8, 0.28 * len(rows) + 1.0))
    ax = fig.subplots()
    y = list(range(len(rows)))
    values = [0.0 if alpha is None else alpha for _, alpha in rows]
    colours = ["#ccc" if alpha is None else ("#5b8c3a" if alpha >= 0.8 else "#d9822b"
               if alpha >= 0.667 else "#c0392b") for _, alpha in rows]
    ax.barh(y, values, color=colours)
    ax.set_yticks(y, [name + ("  (undefined)" if alpha is None else "")
                      for name, alpha in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(-1, 1)
    ax.axvline(0, color="#666", linewidth=0.8)
    ax.set_xlabel("Krippendorff's alpha")
    ax.set_title(f"Batch {report.batch.name}: alpha per indicator and for risk", fontsize=9)
    return _png(fig)
