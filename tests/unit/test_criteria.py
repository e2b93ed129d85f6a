"""The article's home-care criteria, rule by rule."""

import pytest

from dvt_triage import slots as s
from dvt_triage.criteria import evaluate

ALL_GOOD = {**{c: s.YES for c in s.CONDITIONS}, **{e: s.NO for e in s.EXCLUSIONS}}


def answers(**changes):
    return {**ALL_GOOD, **changes}


def test_every_condition_met_and_no_exclusion_means_home_care_may_be_considered():
    result = evaluate(ALL_GOOD)
    assert result.level == s.HOME_CARE_POSSIBLE
    assert result.exclusion_reasons == () and result.unmet_conditions == () and result.unknown == ()


@pytest.mark.parametrize("exclusion", s.EXCLUSIONS)
def test_each_exclusion_rules_out_home_care(exclusion):
    result = evaluate(answers(**{exclusion: s.YES}))
    assert result.level == s.NOT_HOME_CARE
    assert result.exclusion_reasons == (exclusion,)


def test_all_exclusions_are_reported_in_article_order():
    result = evaluate(answers(**{e: s.YES for e in reversed(s.EXCLUSIONS)}))
    assert result.exclusion_reasons == s.EXCLUSIONS


@pytest.mark.parametrize("condition", s.CONDITIONS)
def test_each_unmet_condition_needs_evaluation(condition):
    result = evaluate(answers(**{condition: s.NO}))
    assert result.level == s.NEEDS_EVALUATION
    assert result.unmet_conditions == (condition,)


@pytest.mark.parametrize("slot", s.ASSESSMENT_SLOTS)
def test_an_unsure_answer_never_counts_as_safe(slot):
    result = evaluate(answers(**{slot: s.UNSURE}))
    assert result.level == s.NEEDS_EVALUATION
    assert result.unknown == (slot,)


@pytest.mark.parametrize("slot", s.ASSESSMENT_SLOTS)
def test_a_missing_or_garbled_answer_never_counts_as_safe(slot):
    assert evaluate({k: v for k, v in ALL_GOOD.items() if k != slot}).level == s.NEEDS_EVALUATION
    assert evaluate(answers(**{slot: "banana"})).level == s.NEEDS_EVALUATION


def test_unconfirmed_diagnosis_needs_evaluation_even_when_everything_else_is_fine():
    assert evaluate(answers(diagnosis_confirmed=s.NO)).level == s.NEEDS_EVALUATION


def test_an_exclusion_outweighs_an_unconfirmed_diagnosis_and_unknowns():
    result = evaluate(answers(diagnosis_confirmed=s.NO, cancer=s.UNSURE, kidney_disease=s.YES))
    assert result.level == s.NOT_HOME_CARE
    assert result.exclusion_reasons == (s.KIDNEY_DISEASE,)
    assert result.unmet_conditions == (s.DIAGNOSIS_CONFIRMED,)
    assert result.unknown == (s.CANCER,)


def test_no_answers_at_all_needs_evaluation():
    result = evaluate({})
    assert result.level == s.NEEDS_EVALUATION
    assert result.unknown == s.ASSESSMENT_SLOTS


def test_triage_levels_are_the_four_of_the_contract():
    assert set(s.TRIAGE_LEVELS) == {"emergency", "not_home_care", "needs_evaluation", "home_care_possible"}
