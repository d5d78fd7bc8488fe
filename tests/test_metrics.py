"""Evaluation metrics on small cases computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from corpora.records import Assessment, Evidence, IndicatorHit, LabelledAd, ModelRef
from evaluation import metrics as m

REF = ModelRef(name="test", version="1", sha256="0" * 64)


def hit(indicator: str, score: float = 0.9, spans: tuple[tuple[int, int], ...] = (),
        text: str = "x" * 100) -> IndicatorHit:
    return IndicatorHit(id=indicator, score=score, strength="medium", detector="test.v1",
                        evidence=[Evidence.from_text(text, s, e) for s, e in spans])


def assessment(*hits: IndicatorHit, risk: str = "low") -> Assessment:
    return Assessment(ad_id="a", lang="es", risk=risk, score=0.5, hits=list(hits), model=REF)


# --- precision, recall, F1 -------------------------------------------------------------

Y_TRUE = np.array([[1, 0], [1, 1], [0, 0], [0, 1]], dtype=bool)
Y_PRED = np.array([[1, 1], [0, 1], [0, 0], [0, 0]], dtype=bool)


def test_counts_per_label_give_precision_recall_f1() -> None:
    first, second = m.count_labels(Y_TRUE, Y_PRED)
    assert (first.tp, first.fp, first.fn) == (1, 0, 1)
    assert (first.precision, first.recall, first.f1) == (1.0, 0.5, pytest.approx(2 / 3))
    assert (second.tp, second.fp, second.fn) == (1, 1, 1)
    assert (second.precision, second.recall, second.f1) == (0.5, 0.5, 0.5)
    assert (second.support, second.predicted) == (2, 2)


def test_micro_pools_counts_and_macro_averages_f1() -> None:
    counts = m.count_labels(Y_TRUE, Y_PRED)
    micro = m.micro_counts(counts)
    assert (micro.tp, micro.fp, micro.fn) == (2, 1, 2)
    assert micro.precision == pytest.approx(2 / 3)
    assert micro.recall == 0.5
    assert micro.f1 == pytest.approx(4 / 7)  # 2*2 / (2*2 + 1 + 2)
    assert m.macro_f1(counts) == pytest.approx((2 / 3 + 1 / 2) / 2)


def test_undefined_scores_are_none_and_left_out_of_macro() -> None:
    never = m.Counts()  # neither gold nor predicted: no F1 at all
    false_alarm = m.Counts(fp=2)  # predicted, never gold: F1 0, counted
    assert (never.precision, never.recall, never.f1) == (None, None, None)
    assert (false_alarm.precision, false_alarm.recall, false_alarm.f1) == (0.0, None, 0.0)
    assert m.macro_f1([m.Counts(tp=1), never, false_alarm]) == 0.5
    assert m.macro_f1([never]) is None
    assert never.to_dict()["f1"] is None


def test_label_matrix_uses_the_given_order_and_refuses_unknown_ids() -> None:
    matrix = m.label_matrix([["B"], ["A", "B"], []], ["A", "B"])
    assert matrix.tolist() == [[False, True], [True, True], [False, False]]
    with pytest.raises(ValueError, match="'C'"):
        m.label_matrix([["C"]], ["A", "B"])
    with pytest.raises(ValueError, match="shape"):
        m.count_labels(np.zeros((2, 2)), np.zeros((3, 2)))


# --- risk confusion --------------------------------------------------------------------

def test_risk_confusion_rows_are_gold_columns_predicted() -> None:
    matrix = m.risk_confusion(["low", "high", "high", "medium", "high"],
                              ["low", "medium", "high", "low", "medium"])
    assert matrix.tolist() == [[1, 0, 0],   # gold low
                               [1, 0, 0],   # gold medium
                               [0, 2, 1]]   # gold high
    with pytest.raises(ValueError):
        m.risk_confusion(["low"], [])


# --- ranking ---------------------------------------------------------------------------

def test_average_precision_of_a_ranking_without_ties() -> None:
    relevant = np.array([1, 0, 1, 0], dtype=bool)
    scores = np.array([0.9, 0.8, 0.7, 0.1])
    # relevant at ranks 1 and 3: (1/1 + 2/3) / 2
    assert m.average_precision(relevant, scores) == pytest.approx(5 / 6)


def test_average_precision_steps_over_tied_scores_like_scikit_learn() -> None:
    from sklearn.metrics import average_precision_score

    relevant = np.array([0, 1, 1, 0, 1], dtype=bool)
    scores = np.array([0.9, 0.5, 0.5, 0.1, 0.5])
    # groups: {0.9: 0 of 1}, {0.5: 3 of 3}: precision 3/4 after the tie, all recall there
    assert m.average_precision(relevant, scores) == pytest.approx(3 / 4)
    assert m.average_precision(relevant, scores) == pytest.approx(
        average_precision_score(relevant, scores))
    assert m.average_precision(np.zeros(3, bool), np.array([0.1, 0.2, 0.3])) is None


def test_precision_at_k_without_ties() -> None:
    relevant = np.array([1, 0, 1, 0, 0], dtype=bool)
    scores = np.array([0.9, 0.8, 0.7, 0.1, 0.0])
    assert m.precision_at_k(relevant, scores, 1) == 1.0
    assert m.precision_at_k(relevant, scores, 2) == 0.5
    assert m.precision_at_k(relevant, scores, 3) == pytest.approx(2 / 3)
    assert m.precision_at_k(relevant, scores, 6) is None
    with pytest.raises(ValueError):
        m.precision_at_k(relevant, scores, 0)


def test_precision_at_k_counts_a_tie_at_its_expected_precision() -> None:
    relevant = np.array([1, 0, 0, 1], dtype=bool)
    scores = np.array([0.9, 0.5, 0.5, 0.5])  # one relevant in a tie of three
    curve = m.precision_at_k_curve(relevant, scores)
    assert curve.tolist() == pytest.approx([1.0, (1 + 1 / 3) / 2, (1 + 2 / 3) / 3, 2 / 4])
    order = [3, 1, 0, 2]  # input order never changes a number
    assert m.precision_at_k_curve(relevant[order], scores[order]).tolist() == \
        pytest.approx(curve.tolist())
    assert m.average_precision(relevant[order], scores[order]) == \
        pytest.approx(m.average_precision(relevant, scores))


@pytest.mark.parametrize(("n", "k"), [(198, 20), (100, 10), (99, 10), (5, 1), (0, 1)])
def test_k_for_ten_percent(n: int, k: int) -> None:
    assert m.k_for_share(n, 0.10) == k


# --- calibration -----------------------------------------------------------------------

def test_reliability_bins_and_expected_calibration_error() -> None:
    y = np.array([0, 1, 1, 0, 1])
    p = np.array([0.05, 0.15, 0.95, 0.9, 1.0])
    bins = m.reliability_bins(y, p, n_bins=10)
    assert [b.count for b in bins] == [1, 1, 0, 0, 0, 0, 0, 0, 0, 3]  # 1.0 is in the last bin
    assert (bins[0].mean_probability, bins[0].positive_rate) == (0.05, 0.0)
    assert (bins[1].mean_probability, bins[1].positive_rate) == (0.15, 1.0)
    assert bins[2].mean_probability is None and bins[2].positive_rate is None
    assert bins[9].mean_probability == pytest.approx(0.95)
    assert bins[9].positive_rate == pytest.approx(2 / 3)
    # 1/5 * 0.05 + 1/5 * 0.85 + 3/5 * (0.95 - 2/3)
    assert m.expected_calibration_error(bins) == pytest.approx(0.01 + 0.17 + 0.17)
    assert m.expected_calibration_error(m.reliability_bins([], [])) is None
    with pytest.raises(ValueError):
        m.reliability_bins([1], [1.5])


def test_probabilities_are_hit_scores_and_zero_where_not_found() -> None:
    assessments = [assessment(hit("B", 0.7)), assessment()]
    assert m.hit_probabilities(assessments, ["A", "B"]).tolist() == [[0.0, 0.7], [0.0, 0.0]]
    assert m.predicted_matrix(assessments, ["A", "B"]).tolist() == [[False, True],
                                                                    [False, False]]


# --- evidence spans --------------------------------------------------------------------

def test_character_overlap_of_one_true_positive() -> None:
    overlap = m.compare_spans(gold=[(0, 10)], predicted=[(5, 15), (20, 25), (10, 12)])
    # gold chars 0-9 (10), predicted 5-14 and 20-24 (15, 10-11 already counted): overlap 5-9
    assert (overlap.gold_chars, overlap.predicted_chars, overlap.overlap_chars) == (10, 15, 5)
    assert overlap.char_precision == pytest.approx(1 / 3)
    assert overlap.char_recall == 0.5
    assert overlap.char_f1 == pytest.approx(2 * 5 / 25)
    # (10, 12) only touches the gold end (end-exclusive): it does not overlap
    assert (overlap.predicted_spans, overlap.overlapping_spans) == (3, 1)
    assert overlap.share_overlapping == pytest.approx(1 / 3)


def test_evidence_overlap_counts_only_true_positive_indicators() -> None:
    text = "Te pagamos el pasaje y guardamos tu pasaporte al llegar, escribe ya al número."
    gold = LabelledAd(
        id="es-x", lang="es", country="MX", source="classified", kind="deceptive",
        risk="high", text=text, indicators=["TRAVEL_PAID", "DOCS_HANDLED"],
        evidence={"TRAVEL_PAID": [Evidence.from_text(text, 0, 20)],
                  "DOCS_HANDLED": [Evidence.from_text(text, 23, 45)]})
    predicted = assessment(hit("TRAVEL_PAID", spans=((3, 20),), text=text),
                           hit("URGENCY", spans=((57, 67),), text=text))  # not gold
    overlaps = m.evidence_overlap([gold], [predicted], ["TRAVEL_PAID", "DOCS_HANDLED",
                                                        "URGENCY"])
    assert overlaps["TRAVEL_PAID"].pairs == 1
    assert overlaps["TRAVEL_PAID"].char_precision == 1.0
    assert overlaps["TRAVEL_PAID"].char_recall == pytest.approx(17 / 20)
    assert overlaps["DOCS_HANDLED"] == m.SpanOverlap()  # missed: no pair
    assert overlaps["URGENCY"] == m.SpanOverlap()  # false positive: no gold span to compare
    total = m.micro_overlap(overlaps.values())
    assert (total.pairs, total.overlap_chars, total.share_overlapping) == (1, 17, 1.0)


# --- ordinary ads ----------------------------------------------------------------------

def test_rates_of_high_and_high_or_medium() -> None:
    rates = m.count_risks(["high", "low", "medium", "low"])
    assert (rates.ads, rates.high, rates.medium, rates.low) == (4, 1, 1, 2)
    assert (rates.high_rate, rates.high_or_medium_rate) == (0.25, 0.5)
    both = rates + m.count_risks(["low"] * 6)
    assert (both.high_rate, both.high_or_medium_rate) == (0.1, 0.2)
    assert m.count_risks([]).high_rate is None
    assert m.count_risks(["low"]).to_dict() == {
        "ads": 1, "high": 0, "medium": 0, "low": 1, "high_rate": 0.0, "high_or_medium_rate": 0.0}


def test_indicator_rates_on_ordinary_ads() -> None:
    assessments = [assessment(hit("A")), assessment(hit("A"), hit("B")), assessment(),
                   assessment()]
    assert m.indicator_rates(assessments, ["A", "B", "C"]) == {"A": 0.5, "B": 0.25, "C": 0.0}
    assert m.indicator_rates([], ["A"]) == {"A": 0.0}
