"""Agreement metrics against values computed by hand (the arithmetic is in the comments)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from annotation.learning.agreement import (
    RISK_ORDER,
    krippendorff_alpha,
    confusion_against,
    latest_labels,
    measure_agreement,
)
from corpora.records import Annotation, Evidence

TEXT = "x" * 80
IND = ("FEE_OR_DEBT", "DOCS_HANDLED")


def label(ad: str, who: str, indicators=(), risk="low", spans=None, minutes=0) -> Annotation:
    evidence = {ind: [Evidence.from_text(TEXT, s, e) for s, e in pairs]
                for ind, pairs in (spans or {}).items()}
    return Annotation(ad_id=ad, annotator=who, indicators=list(indicators), evidence=evidence,
                      risk=risk,
                      created_at=datetime(2026, 1, 1, tzinfo=timezone.utc)
                      + timedelta(minutes=minutes))


def test_nominal_alpha_of_two_trainers():
    # 10 ads, values a: 1100100010, b: 1000101010. Coincidences: 3 ads (1,1) -> o11 = 6,
    # 5 ads (0,0) -> o00 = 10, 2 mixed -> o01 = o10 = 2. n1 = 8, n0 = 12, n = 20.
    # alpha = 1 - (n - 1) * (o01 + o10) / (2 * n0 * n1) = 1 - 19 * 4 / 192 = 0.6041667
    a = [1, 1, 0, 0, 1, 0, 0, 0, 1, 0]
    b = [1, 0, 0, 0, 1, 0, 1, 0, 1, 0]
    assert krippendorff_alpha([a, b], "nominal") == pytest.approx(1 - 76 / 192)


def test_alpha_with_missing_values_matches_krippendorffs_worked_example():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four
    # observers, twelve units, gaps; his hand computation gives 0.743 (nominal) and
    # 0.815 (ordinal).
    n = None
    data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
            [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n]]
    assert krippendorff_alpha(data, "nominal") == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha(data, "ordinal") == pytest.approx(0.815, abs=5e-4)


def test_alpha_is_undefined_without_variation_or_pairs():
    assert krippendorff_alpha([[0, 0, 0], [0, 0, 0]], "nominal") is None
    assert krippendorff_alpha([[1, None], [None, 0]], "nominal") is None
    assert krippendorff_alpha([[1, 0, 1]], "nominal") is None


def test_risk_alpha_of_three_trainers_with_gaps():
    # Risk as 0/1/2 per ad: u1 [0,0], u2 [2,1,2], u3 [1,1], u4 [0,1], u5 [2,2]; u6 is
    # labelled by one trainer only and has no pair. Coincidences: o00 2, o01 = o10 = 1,
    # o11 2, o12 = o21 = 1 (u2: three values, pairs weigh 1/2), o22 3; n0 3, n1 4, n2 4,
    # n 11. Ordinal distances: d01 = ((3+4)/2)^2 = 12.25, d12 = 16, d02 = (11-3.5)^2 = 56.25.
    # Observed: 2*12.25 + 2*16 = 56.5; expected: 2*(12*12.25 + 16*16 + 12*56.25) = 2156.
    # alpha = 1 - 10 * 56.5 / 2156 = 0.7379406
    risks = {"u1": ("low", "low", None), "u2": ("high", "medium", "high"),
             "u3": ("medium", None, "medium"), "u4": ("low", "medium", None),
             "u5": (None, "high", "high"), "u6": ("high", None, None)}
    annotations = [label(ad, who, risk=r) for ad, values in risks.items()
                   for who, r in zip(("ana", "bruno", "carla"), values, strict=True) if r]
    report = measure_agreement(latest_labels(annotations), IND)
    assert report.ads == 5
    assert report.trainers == ["ana", "bruno", "carla"]
    assert report.risk_alpha == pytest.approx(1 - 565 / 2156)
    assert list(RISK_ORDER) == ["low", "medium", "high"]


def test_indicator_alpha_and_positives_per_trainer():
    a = [1, 1, 0, 0, 1, 0, 0, 0, 1, 0]
    b = [1, 0, 0, 0, 1, 0, 1, 0, 1, 0]
    annotations = [label(f"ad{i}", who, ["FEE_OR_DEBT"] if v else [])
                   for who, values in (("ana", a), ("bruno", b)) for i, v in enumerate(values)]
    annotations.append(label("only-ana", "ana", ["FEE_OR_DEBT", "DOCS_HANDLED"]))
    report = measure_agreement(latest_labels(annotations), IND)
    fee, docs = report.indicators
    assert report.ads == 10
    assert fee.alpha == pytest.approx(1 - 76 / 192)
    assert fee.positives == {"ana": 4, "bruno": 4}  # the ad only ana labelled is left out
    assert docs.alpha is None and docs.positives == {"ana": 0, "bruno": 0}


def test_span_f1_exact_and_overlapping():
    # ana: (10,20) (30,40); bruno: (10,20) (35,45) (50,55).
    # exact: one shared span -> F1 = 2*1 / (2+3) = 0.4.
    # overlapping: both of ana's spans touch one of bruno's (recall 2/2); two of bruno's
    # three touch one of ana's (precision 2/3) -> F1 = 2 * 2/3 * 1 / (2/3 + 1) = 0.8.
    # A DOCS_HANDLED span at (10,20) matches nothing: indicators are kept apart.
    annotations = [
        label("ad1", "ana", ["FEE_OR_DEBT"], spans={"FEE_OR_DEBT": [(10, 20), (30, 40)]}),
        label("ad1", "bruno", ["FEE_OR_DEBT", "DOCS_HANDLED"],
              spans={"FEE_OR_DEBT": [(10, 20), (35, 45), (50, 55)],
                     "DOCS_HANDLED": [(10, 20)]}),
        label("ad2", "ana", ["FEE_OR_DEBT"], spans={"FEE_OR_DEBT": [(0, 5)]}),  # bruno: none
    ]
    report = measure_agreement(latest_labels(annotations), IND)
    assert report.ads == 1
    fee = report.indicators[0].spans
    assert (fee.spans_a, fee.spans_b, fee.exact) == (2, 3, 1)
    assert fee.exact_f1 == pytest.approx(0.4)
    assert fee.overlap_f1 == pytest.approx(0.8)
    docs = report.indicators[1].spans
    assert (docs.spans_a, docs.spans_b, docs.exact_f1, docs.overlap_f1) == (0, 1, 0.0, 0.0)
    pair = report.pairs[("ana", "bruno")]
    assert pair.exact_f1 == pytest.approx(2 / 6)  # 1 shared of 2 + 4 spans


def test_latest_annotation_of_a_trainer_counts():
    annotations = [label("ad1", "ana", ["FEE_OR_DEBT"], minutes=0),
                   label("ad1", "ana", [], minutes=5),
                   label("ad1", "bruno", [], minutes=1)]
    latest = latest_labels(annotations)
    assert latest["ana"]["ad1"].indicators == []
    assert measure_agreement(latest, IND).indicators[0].positives == {"ana": 0, "bruno": 0}


def test_confusion_of_each_trainer_against_adjudicated_labels():
    # Adjudicated: ad1 FEE high, ad2 FEE+DOCS high, ad3 nothing low, ad4 DOCS medium.
    # ana:   ad1 FEE high, ad2 FEE medium, ad3 FEE low, ad4 DOCS medium
    #   FEE: tp 2 (ad1, ad2), fp 1 (ad3), fn 0, tn 1 (ad4) -> F1 = 4/5
    #   DOCS: tp 1 (ad4), fn 1 (ad2), tn 2 -> F1 = 2/3; risk right on ad1, ad3, ad4 (3/4)
    # bruno labelled ad1 only (DOCS, low): FEE fn 1; DOCS fp 1; risk high -> low.
    gold = {"ad1": label("ad1", "adj", ["FEE_OR_DEBT"], "high"),
            "ad2": label("ad2", "adj", ["FEE_OR_DEBT", "DOCS_HANDLED"], "high"),
            "ad3": label("ad3", "adj", [], "low"),
            "ad4": label("ad4", "adj", ["DOCS_HANDLED"], "medium")}
    annotations = [label("ad1", "ana", ["FEE_OR_DEBT"], "high"),
                   label("ad2", "ana", ["FEE_OR_DEBT"], "medium"),
                   label("ad3", "ana", ["FEE_OR_DEBT"], "low"),
                   label("ad4", "ana", ["DOCS_HANDLED"], "medium"),
                   label("ad1", "bruno", ["DOCS_HANDLED"], "low"),
                   label("ad9", "bruno", ["DOCS_HANDLED"], "low")]  # never adjudicated
    ana, bruno = confusion_against(latest_labels(annotations), gold, IND)
    fee, docs = ana.indicators["FEE_OR_DEBT"], ana.indicators["DOCS_HANDLED"]
    assert (ana.trainer, ana.ads) == ("ana", 4)
    assert (fee.tp, fee.fp, fee.fn, fee.tn) == (2, 1, 0, 1)
    assert (docs.tp, docs.fp, docs.fn, docs.tn) == (1, 0, 1, 2)
    assert fee.f1 == pytest.approx(0.8) and docs.f1 == pytest.approx(2 / 3)
    assert ana.macro_f1 == pytest.approx((0.8 + 2 / 3) / 2)
    assert ana.risk["high"] == {"low": 0, "medium": 1, "high": 1}
    assert ana.risk_accuracy == pytest.approx(0.75)
    assert bruno.ads == 1
    assert bruno.indicators["FEE_OR_DEBT"].fn == 1 and bruno.indicators["DOCS_HANDLED"].fp == 1
    assert bruno.risk["high"]["low"] == 1 and bruno.risk_accuracy == 0.0


def test_corpus_agreement_command_reproduces_the_datasheet_table():
    from typer.testing import CliRunner

    from pipelines.cli import app

    result = CliRunner().invoke(app, ["corpus", "agreement"])
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
            for line in result.output.splitlines() if line.startswith("│")}
    # The figures corpora/DATASHEET.md reports.
    assert rows["APPEARANCE_REQ"] == ["0.680", "6", "11", "6", "0.956"]
    assert rows["risk (ordinal)"][0] == "0.987" and rows["kind"][0] == "0.787"
    assert "span F1 exact" in result.output
