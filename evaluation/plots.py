"""Figures of an evaluation report, drawn from its JSON alone, as base64 PNG strings.

Uses `matplotlib.figure.Figure` directly (no pyplot, no global backend), so drawing is
safe inside a Prefect task or a web request. PNGs carry no metadata (no links).
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
from matplotlib.figure import Figure

COLOURS = ("#1f5f8b", "#d9822b", "#5b8c3a", "#8e44ad", "#c0392b", "#7f8c8d")


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96, bbox_inches="tight", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _names(report: dict[str, Any]) -> list[str]:
    return list(report["detectors"])


def indicator_f1_chart(report: dict[str, Any], group: str = "all") -> str:
    """Horizontal bars: F1 per indicator, one bar per detector."""
    ids = report["taxonomy"]["ids"]
    names = _names(report)
    fig = Figure(figsize=(9, 0.42 * len(ids) * max(1, len(names)) / 2 + 1.5))
    ax = fig.subplots()
    height = 0.8 / len(names)
    positions = np.arange(len(ids))
    for n, name in enumerate(names):
        per = report["detectors"][name]["indicators"].get(group, {}).get("per_indicator", {})
        values = [per.get(i, {}).get("f1") for i in ids]
        ax.barh(positions + n * height, [np.nan if v is None else v for v in values],
                height=height, color=COLOURS[n % len(COLOURS)], label=name)
    ax.set_yticks(positions + height * (len(names) - 1) / 2, ids, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("F1")
    ax.set_title(f"F1 per indicator ({group})")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.07 - 1.2 / fig.get_figheight() / 10),
              ncol=min(3, len(names)), fontsize=8, frameon=False)
    return _png(fig)


def confusion_chart(report: dict[str, Any], group: str = "all") -> str:
    """One gold x predicted risk matrix per detector, counts in the cells."""
    names = _names(report)
    fig = Figure(figsize=(3.4 * len(names), 3.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(names)))
    for n, (ax, name) in enumerate(zip(axes, names, strict=True)):
        risk = report["detectors"][name]["risk"]
        levels = risk["levels"]
        matrix = np.array(risk["confusion"].get(group, np.zeros((len(levels),) * 2)))
        ax.imshow(matrix, cmap="Blues", vmin=0)
        top = matrix.max() or 1
        for (i, j), value in np.ndenumerate(matrix):
            ax.text(j, i, str(int(value)), ha="center", va="center",
                    color="white" if value > top / 2 else "black")
        ax.set_xticks(range(len(levels)), levels)
        ax.set_yticks(range(len(levels)), levels)
        ax.set_xlabel("predicted")
        if n == 0:
            ax.set_ylabel("gold")
        ax.set_title(name, fontsize=9)
    fig.suptitle(f"Risk level: gold vs predicted ({group})")
    return _png(fig)


def precision_curve_chart(report: dict[str, Any]) -> str:
    """Precision of the top k ads (gold `high` = relevant) for every k."""
    fig = Figure(figsize=(8, 4))
    ax = fig.subplots()
    base = None
    for n, name in enumerate(_names(report)):
        result = report["detectors"][name]
        curve = result["ranking"]["precision_curve"]
        ax.plot(range(1, len(curve) + 1), curve, color=COLOURS[n % len(COLOURS)], label=name)
        ranking = result["ranking"]["all"]
        base = ranking["relevant"] / ranking["ads"] if ranking["ads"] else None
        k = ranking["k_top_share"]
        if k <= len(curve):
            ax.plot([k], [curve[k - 1]], "o", color=COLOURS[n % len(COLOURS)])
    for k in report["settings"]["top_k"]:
        ax.axvline(k, color="#bbbbbb", linewidth=0.8, linestyle=":")
    if base is not None:
        ax.axhline(base, color="#888888", linestyle="--", linewidth=1,
                   label=f"share of gold high ({base:.2f})")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("k (ads ordered by score; dots: k = 10% of ads; dotted: k = 10, 20, 50)")
    ax.set_ylabel("precision@k")
    ax.set_title("Precision at k for gold high-risk ads")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _png(fig)


def reliability_chart(report: dict[str, Any]) -> str:
    """Observed share of gold indicators against predicted probability, per bin."""
    fig = Figure(figsize=(5.5, 5))
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], color="#888888", linestyle="--", linewidth=1, label="perfect")
    for n, name in enumerate(_names(report)):
        calibration = report["detectors"][name]["calibration"]
        points = [(b["mean_probability"], b["positive_rate"], b["count"])
                  for b in calibration["bins"] if b["count"]]
        if not points:
            continue
        x, y, count = (np.array(v, dtype=float) for v in zip(*points, strict=True))
        ece = calibration["ece"].get("all")
        label = f"{name} (ECE {ece:.3f})" if ece is not None else name
        colour = COLOURS[n % len(COLOURS)]
        ax.plot(x, y, "-", color=colour, label=label, alpha=0.8)
        ax.scatter(x, y, s=12 + 8 * np.log10(count + 1) ** 2, color=colour, alpha=0.8)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("predicted probability of the indicator")
    ax.set_ylabel("share with the indicator in gold")
    ax.set_title("Reliability (dot size: predictions in bin, log)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    return _png(fig)


def real_rates_chart(report: dict[str, Any]) -> str | None:
    """Share of real ordinary ads rated high / high-or-medium, per detector and file."""
    names = [n for n in _names(report) if report["detectors"][n]["real_ads"]]
    if not names:
        return None
    files = list(report["detectors"][names[0]]["real_ads"]["files"]) + ["all"]
    fig = Figure(figsize=(8, 3.8))
    ax = fig.subplots()
    width = 0.8 / len(names)
    x = np.arange(len(files))
    for n, name in enumerate(names):
        real = report["detectors"][name]["real_ads"]
        rows = [real["files"][f] if f != "all" else real["all"] for f in files]
        colour = COLOURS[n % len(COLOURS)]
        ax.bar(x + n * width, [100 * r["high_or_medium_rate"] for r in rows], width,
               color=colour, alpha=0.35, label=f"{name}: high or medium")
        ax.bar(x + n * width, [100 * r["high_rate"] for r in rows], width, color=colour,
               label=f"{name}: high")
    ax.set_xticks(x + width * (len(names) - 1) / 2, files)
    ax.set_ylabel("% of ordinary ads")
    ax.set_title("False alarms on real ordinary ads (lower is better)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7)
    return _png(fig)


def draw_figures(report: dict[str, Any]) -> dict[str, str | None]:
    """Every figure of the report page, by name."""
    return {"indicator_f1": indicator_f1_chart(report), "confusion": confusion_chart(report),
            "precision_curve": precision_curve_chart(report),
            "reliability": reliability_chart(report), "real_rates": real_rates_chart(report)}
