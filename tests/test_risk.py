"""The one risk scorer (models/risk.py, risk_policy.yaml): weighted score, thresholds and
escalation (a listed combination, a strong hit in a suspicious context), with the rule
that weak hits alone never make `high`; and the same escalation in the ensemble."""

from __future__ import annotations

import pytest

from corpora.records import Ad, IndicatorHit
from models.risk import RiskPolicy, escalates, load_risk_policy, score_risk


def hits(taxonomy, *ids: str, score: float = 0.9) -> list[IndicatorHit]:
    return [IndicatorHit(id=i, score=score, strength=taxonomy.get(i).strength, detector="t")
            for i in ids]


COMBINATION = ("TRAVEL_PAID", "ABROAD_VAGUE")


@pytest.mark.parametrize("third", ["APPEARANCE_REQ", "HOSTESS_MODELING", "HOUSING_CONTROL"])
def test_travel_destination_and_appearance_or_lodging_is_high(taxonomy, third: str) -> None:
    policy = load_risk_policy()
    score, risk = score_risk(hits(taxonomy, *COMBINATION, third, score=0.5), policy)
    assert risk == "high" and score >= policy.thresholds["high"]
    for part in [*COMBINATION, third]:  # each part alone is medium at most
        assert score_risk(hits(taxonomy, part), policy)[1] != "high"
    for pair in [(COMBINATION[0], third), (COMBINATION[1], third), COMBINATION]:
        assert not escalates(hits(taxonomy, *pair), policy)


@pytest.mark.parametrize("strong", ["FEE_OR_DEBT", "DOCS_HANDLED", "MINOR_TARGET",
                                    "IRREGULAR_MIGRATION", "SECRECY"])
def test_a_strong_hit_in_a_suspicious_context_is_high(taxonomy, strong: str) -> None:
    policy = load_risk_policy()
    assert policy.strong_with == 2
    context = hits(taxonomy, strong, "ABROAD_VAGUE", "PAY_UNREALISTIC", score=0.4)
    assert score_risk(context, policy)[1] == "high"
    assert not escalates(context[:2], policy)  # one medium hit is not context enough
    # weak context is no context
    assert not escalates(hits(taxonomy, strong, "URGENCY", "CONTACT_INFORMAL"), policy)


def test_weak_hits_alone_never_make_high(taxonomy) -> None:
    weak = [i for i in taxonomy.ids if taxonomy.get(i).strength == "weak"]
    everything_weak = RiskPolicy(weights={"weak": 1.0, "medium": 0.35, "strong": 0.6},
                                 thresholds={"high": 0.5, "medium": 0.4},
                                 combinations=[[weak[:1], weak[1:]]], strong_with=0)
    for policy in (load_risk_policy(), everything_weak):
        assert score_risk(hits(taxonomy, *weak, score=1.0), policy)[1] != "high"
        assert not escalates(hits(taxonomy, *weak), policy)


def test_the_learned_scorer_keeps_the_policy_rules(taxonomy) -> None:
    """A trained ensemble's risk (LearnedScorer): its model's expected severity and
    thresholds, yet no hit is low with 0, weak hits never make high, and a combination
    the policy escalates is high."""
    import numpy as np

    from models.ensemble.weights import LinearRisk
    from models.risk import LearnedScorer

    # Severity grows with the sum of the probabilities: P(high) + 0.5 P(medium).
    model = LinearRisk(["high", "low", "medium"], np.array([[4.0, 4.0], [-4.0, -4.0],
                                                           [0.0, 0.0]]), np.zeros(3))
    scorer = LearnedScorer(model, high=0.6, medium=0.3, policy=load_risk_policy())
    weak = [i for i in taxonomy.ids if taxonomy.get(i).strength == "weak"][:2]
    strong = hits(taxonomy, "DOCS_HANDLED")
    verdicts = scorer.score([[], hits(taxonomy, *weak), strong, hits(taxonomy, *COMBINATION,
                                                                      "APPEARANCE_REQ")],
                            np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [0.0, 0.0]]))
    assert verdicts[0] == (0.0, "low")
    assert verdicts[1][0] > 0.6 and verdicts[1][1] == "medium"  # weak alone: never high
    assert verdicts[2][0] > 0.6 and verdicts[2][1] == "high"
    assert verdicts[3][0] >= 0.6 and verdicts[3][1] == "high"  # escalated, low severity
    with pytest.raises(ValueError, match="needs its inputs"):
        scorer.score([strong], None)


def test_policy_checks_its_escalation_settings() -> None:
    base = {"weights": {"weak": 0.1, "medium": 0.3, "strong": 0.6},
            "thresholds": {"high": 0.6, "medium": 0.4}}
    with pytest.raises(ValueError, match="two or more"):
        RiskPolicy(**base, combinations=[[["TRAVEL_PAID"]]])
    with pytest.raises(ValueError, match="strong_with"):
        RiskPolicy(**base, strong_with=-1)
    plain = RiskPolicy(**base)
    assert not escalates([IndicatorHit(id="FEE_OR_DEBT", score=1.0, strength="strong",
                                       detector="t")] * 3, plain)


def test_rules_rate_a_written_combination_high(rules_detector) -> None:
    text = ("Trabajo en el exterior para señoritas de buena presencia, pasaje pagado por la "
            "agencia.")
    (assessment,) = rules_detector.assess([Ad(id="c", lang="es", country="MX", text=text)])
    assert {"TRAVEL_PAID", "ABROAD_VAGUE", "APPEARANCE_REQ"} <= {h.id for h in assessment.hits}
    assert assessment.risk == "high"
    (ordinary,) = rules_detector.assess([Ad(id="o", lang="es", country="MX", text=(
        "Hotel en Cancún busca recepcionista bilingüe, alojamiento para personal foráneo."))])
    assert ordinary.risk == "low"


def test_cross_style_choice_holds_each_batch_out(taxonomy) -> None:
    from evaluation.risk_choice import candidate_policies, cross_style

    def ad(ad_id: str, risk: str):
        from corpora.records import LabelledAd
        return LabelledAd(id=ad_id, lang="es", country="MX", source="classified",
                          kind="deceptive" if risk != "low" else "legit", risk=risk, text="x")

    # In batches a and b, fee + two medium hits are gold high; in c they are not.
    ads = [ad("es-a-1", "high"), ad("es-a-2", "low"), ad("es-b-1", "high"),
           ad("es-c-1", "medium")]
    found = [hits(taxonomy, "FEE_OR_DEBT", "ABROAD_VAGUE", "PAY_UNREALISTIC"), [],
             hits(taxonomy, "FEE_OR_DEBT", "ABROAD_VAGUE", "PAY_UNREALISTIC"),
             hits(taxonomy, "FEE_OR_DEBT", "ABROAD_VAGUE", "PAY_UNREALISTIC")]
    result = cross_style(ads, ["medium", "low", "medium", "medium"], found,
                         candidate_policies(load_risk_policy()))
    assert set(result) == {"es-a", "es-b", "es-c"}
    # chosen on the other batches: escalation wins when a or b is among them
    assert result["es-c"]["chosen"] != "none" and result["es-c"]["fp"] == 1
    assert result["es-a"]["tp"] == 1 and result["es-a"]["fn"] == 0


def test_risk_choice_command_parses_its_options(monkeypatch, capsys) -> None:
    """`python -m evaluation.risk_choice --help` (it once failed building its parser)."""
    from evaluation.risk_choice import main

    monkeypatch.setattr("sys.argv", ["risk_choice", "--help"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 0 and "--home" in capsys.readouterr().out


def test_risk_features_give_the_guideline_paths_to_high(taxonomy) -> None:
    """Story columns: top strong x top other ("a strong indicator with another"), the 2nd
    and 3rd highest medium-or-strong and the top three's product ("three tell a story"),
    then the deceptive probability."""
    import numpy as np

    from models.risk import (
        PROBABILITIES,
        STORY_AND_DECEPTIVE,
        risk_features,
        risk_input_width,
    )

    ids = list(taxonomy.ids)
    strengths = taxonomy.strengths(ids)
    E = np.zeros((4, len(ids)))
    at = ids.index
    E[0, [at("FEE_OR_DEBT"), at("TRAVEL_PAID")]] = 0.9, 0.5  # strong with another
    E[1, at("DOCS_HANDLED")] = 0.8  # strong alone
    E[2, [at("HOSTESS_MODELING"), at("APPEARANCE_REQ"), at("TRAVEL_PAID")]] = 0.9, 0.8, 0.5
    E[3, [at("URGENCY"), at("CONTACT_INFORMAL"), at("NO_REQUIREMENTS")]] = 0.9  # weak only
    deceptive = np.array([0.9, 0.8, 0.7, 0.1])
    X = risk_features(E, strengths, STORY_AND_DECEPTIVE, deceptive)
    assert X.shape == (4, len(ids) + 5) == (4, risk_input_width(len(ids), STORY_AND_DECEPTIVE))
    assert np.array_equal(X[:, :len(ids)], E)
    story = X[:, len(ids):-1]
    assert np.allclose(story[0], [0.45, 0.5, 0.0, 0.0])
    assert np.allclose(story[1], [0.0, 0.0, 0.0, 0.0])  # no other indicator
    assert np.allclose(story[2], [0.0, 0.8, 0.5, 0.36])  # no strong one; three medium
    assert np.allclose(story[3], 0.0)  # weak hits are no story
    assert np.array_equal(X[:, -1], deceptive)
    assert risk_features(E, strengths, PROBABILITIES) is E
    with pytest.raises(ValueError, match="deceptive probability"):
        risk_features(E, strengths, STORY_AND_DECEPTIVE)
    with pytest.raises(ValueError, match="unknown risk inputs"):
        risk_input_width(len(ids), "everything")


def test_risk_model_choice_refits_without_the_held_out_batch() -> None:
    import numpy as np

    from corpora.records import LabelledAd
    from evaluation.risk_model_choice import Inputs, fit_logistic, held_out_scores

    def ad(ad_id: str, risk: str) -> LabelledAd:
        return LabelledAd(id=ad_id, lang="es", country="MX", source="classified",
                          kind="deceptive" if risk != "low" else "legit", risk=risk, text="x")

    risks = ["high", "medium", "low"]
    train = [ad(f"es-{b}-{i}", r) for b, n in (("a", 4), ("b", 2))
             for i, r in enumerate(risks * n)]  # 12 ads in batch a, 6 in b
    dev = [ad(f"es-{b}-{i + 50}", r) for b in "ab" for i, r in enumerate(risks)]
    level = {"high": 2.0, "medium": 1.0, "low": 0.0}
    X_train = np.array([[level[a.risk]] for a in train])
    X_dev = np.array([[level[a.risk]] for a in dev])
    seen = []

    def fit(X, y, C):
        seen.append(len(X))
        return fit_logistic(X, y, C)

    severity, high, flagged = held_out_scores(Inputs(X_train, X_dev), train, dev, 1.0, fit)
    assert seen == [6, 12]  # batch a held out first (fitted on b's 6), then b
    assert severity[0] > severity[1] > severity[2] and severity[3] > severity[5]
    assert list(high) == [True, False, False] * 2 and list(flagged) == [True, True, False] * 2


def test_risk_model_choice_command_parses_its_options(monkeypatch, capsys) -> None:
    from evaluation.risk_model_choice import main

    monkeypatch.setattr("sys.argv", ["risk_model_choice", "--help"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 0 and "cross-style" in capsys.readouterr().out
