"""How one reply during the assessment is read (dvt_triage.form_turn): answers and first reply."""

from __future__ import annotations

import pytest

from dvt_triage import intents, responses
from dvt_triage import form_turn
from dvt_triage import slots as s
from dvt_triage.form_turn import FormTurn


def test_a_plain_no_answers_the_question_asked():
    assert form_turn.read_answer("nope", "deny", s.KIDNEY_DISEASE) == FormTurn({s.KIDNEY_DISEASE: s.NO})


def test_free_text_answers_the_question_asked():
    turn = form_turn.read_answer("I had breast cancer last year and I'm still on chemo", "inform", s.CANCER)
    assert turn == FormTurn({s.CANCER: s.YES})


def test_one_message_fills_several_answers():
    turn = form_turn.read_answer("no cancer, my kidneys are fine and no heart problems", "inform", s.CANCER)
    assert turn == FormTurn({s.CANCER: s.NO, s.KIDNEY_DISEASE: s.NO, s.HEART_DISEASE: s.NO})


def test_an_answer_to_another_question_is_kept_and_the_question_stays_open():
    turn = form_turn.read_answer("I've had clots twice before", "inform", s.CLOT_SMALL_STABLE)
    assert turn == FormTurn({s.RECURRENT_CLOTS: s.YES}, "utter_noted", answered_requested=False)


def test_a_reply_that_answers_nothing_is_clarified():
    assert form_turn.read_answer("banana", "nlu_fallback", s.CANCER) == FormTurn({}, "utter_clarify", False)


@pytest.mark.parametrize("text, intent", [
    ("why do you ask?", "ask_why"),
    ("what does that have to do with anything", "out_of_scope"),
    ("why", "nlu_fallback"),
])
def test_why_do_you_ask_gets_the_reason_for_the_question_asked(text, intent):
    assert form_turn.read_answer(text, intent, s.KIDNEY_DISEASE) == FormTurn({}, "utter_why_kidney_disease", False)


def test_a_question_instead_of_an_answer_is_answered_and_the_question_stays_open():
    turn = form_turn.read_answer("should I wear compression stockings?", "faq_compression", s.CANCER)
    assert turn == FormTurn({}, "utter_faq_compression", answered_requested=False)


def test_an_answer_with_a_question_gets_both():
    turn = form_turn.read_answer("no. what is a DVT anyway?", "faq_what_is_dvt", s.CANCER)
    assert turn == FormTurn({s.CANCER: s.NO}, "utter_faq_what_is_dvt")


def test_unsure_is_an_answer_not_a_non_answer():
    assert form_turn.read_answer("not that I know of", "unsure", s.CLOTTING_DISORDER) == FormTurn(
        {s.CLOTTING_DISORDER: s.UNSURE}
    )


ALL_ANSWERED = {slot: s.NO for slot in s.FORM_SLOTS}


def test_the_outcome_is_pending_only_when_every_question_is_answered_confirmed_and_no_level_set():
    confirmed = s.READ_BACK_CONFIRMED
    assert form_turn.outcome_pending(ALL_ANSWERED, None, confirmed)
    assert not form_turn.outcome_pending(ALL_ANSWERED, None, s.READ_BACK_SHOWN)
    assert not form_turn.outcome_pending(ALL_ANSWERED, None, None)
    assert not form_turn.outcome_pending(ALL_ANSWERED, s.NOT_HOME_CARE, confirmed)
    assert not form_turn.outcome_pending(ALL_ANSWERED, s.EMERGENCY, confirmed)
    assert not form_turn.outcome_pending({**ALL_ANSWERED, s.CANCER: None}, None, confirmed)
    assert not form_turn.outcome_pending({}, None, confirmed)


@pytest.mark.parametrize("text, intent, response", [
    ("measures", "nlu_fallback", responses.HOME_CARE_MEASURES),
    ("MEASURES", "show_home_care_measures", responses.HOME_CARE_MEASURES),
    ("/show_home_care_measures", intents.SHOW_MEASURES, responses.HOME_CARE_MEASURES),
    ("Summary", "out_of_scope", responses.ANSWER_SUMMARY),
    ("the summary please", "affirm", responses.ANSWER_SUMMARY),
    ("/show_answer_summary", intents.SHOW_SUMMARY, responses.ANSWER_SUMMARY),
])
def test_after_the_outcome_a_keyword_or_a_button_gives_the_measures_or_the_summary(text, intent, response):
    assert form_turn.after_outcome(text, intent) == response


@pytest.mark.parametrize("text", [
    "thanks",
    "measures and summary",
    "what measures should the hospital take when someone has a clot in their leg and cancer",
])
def test_anything_else_after_the_outcome_is_left_to_the_other_policies(text):
    assert form_turn.after_outcome(text, "thanks") is None
