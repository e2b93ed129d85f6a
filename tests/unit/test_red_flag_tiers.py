"""The two tiers of red-flag detection and the NLU component on top of them.

- Signs (precise patterns, and words that occur together) are `current`: the emergency
  instruction at once.
- The suspicion tier is built for recall: a mention of a body system or event an emergency can
  show up in is `suspected`, and the assistant asks the confirming question, unless it is
  clearly denied, about someone else, or a general question.
- The intent classifier's own `emergency` prediction is a suspicion too, and is never demoted
  to a command.
"""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from dvt_triage import red_flags
from dvt_triage.red_flags import CURRENT, NEGATED, NONE, SUSPECTED, get_detector
from dvt_triage import intents
from rasa_plugins.red_flag_classifier import LANGUAGE_KEY, RED_FLAG_KEY, RedFlagClassifier

DETECTOR = get_detector()
CLASSIFIER = RedFlagClassifier({})


def detect(text: str) -> red_flags.RedFlagResult:
    return DETECTOR.detect(text)


@pytest.mark.parametrize(
    "text, sign",
    [
        ("I threw up and there was blood in it", "serious_bleeding"),
        ("my vomit looks like coffee grounds", "serious_bleeding"),
        ("black tarry poop since yesterday", "serious_bleeding"),
        ("my pee is full of blood", "serious_bleeding"),
        ("the cut on my hand won't stop bleeding", "serious_bleeding"),
        ("it's soaking through the bandage", "serious_bleeding"),
        ("worst headache of my life, came on suddenly", "serious_bleeding"),
        ("I slipped and banged my head on the counter", "serious_bleeding"),
        ("took a bad fall down the stairs", "serious_bleeding"),
    ],
)
def test_serious_bleeding_on_a_blood_thinner_is_a_sign_of_its_own(text, sign):
    result = detect(text)
    assert result.status == CURRENT and result.signs == (sign,), result


@pytest.mark.parametrize(
    "text, sign",
    [
        ("me duele mucho el pecho", "chest_pain"),
        ("no puedo respirar", "breathlessness"),
        ("me falta el aire", "breathlessness"),
        ("estoy tosiendo sangre", "coughing_blood"),
        ("me desmaye en el baño", "fainting"),
        ("tengo el corason muy acelerado", "racing_heart"),
        ("se me inchó la pierna de repente", "leg_swelling"),
        ("vomité sangre esta mañana", "serious_bleeding"),
        ("my chest me duele mucho", "chest_pain"),
        ("my heart esta latiendo super rapido", "racing_heart"),
    ],
)
def test_spanish_and_mixed_signs_without_accents_or_with_misspellings(text, sign):
    result = detect(text)
    assert result.status == CURRENT and sign in result.signs, result


@pytest.mark.parametrize(
    "text",
    [
        "my spit is pinkish and frothy when I cough",
        "heart rate keeps jumping to 140 on my watch",
        "the swelling in my calf is way worse, it's spreading up to my knee",
        "I have to stop halfway up the stairs to catch my breath",
        "I'm puffing after a few steps",
        "woke up on the floor of the bathroom",
    ],
)
def test_words_that_occur_together_are_a_sign_in_any_order(text):
    assert detect(text).status == CURRENT


@pytest.mark.parametrize(
    "text",
    [
        "my leg swelling looks the same as last week, not worse",
        "my stools are normal, no black or blood",
        "no blood when I cough",
    ],
)
def test_words_together_do_not_count_when_denied(text):
    assert detect(text).status in (NEGATED, NONE)


@pytest.mark.parametrize(
    "text",
    [
        "something feels wrong inside, like a pressure",
        "my chest feels weird",
        "breathing is strange, I have to think about every breath",
        "my pulse feels odd",
        "I feel dizzy",  # a sign (feeling faint): at once
        "I fell this morning",
        "my leg is bigger today",
    ],
)
def test_a_body_system_an_emergency_can_show_up_in_is_at_least_asked_about(text):
    assert detect(text).status in (CURRENT, SUSPECTED)


@pytest.mark.parametrize(
    "text",
    [
        "no chest pain",
        "my breathing is fine",
        "nothing wrong with my breathing",
        "my husband's chest hurts",
        "can a clot travel to the lungs?",
        "I have breast cancer",
        "lung cancer, finished treatment",
        "I fell asleep on the couch",
        "my blood thinner makes me cough a bit",
        "I hurt my back moving a chest of drawers",
        "my blood pressure was 128/80",
    ],
)
def test_suspicion_is_not_raised_by_a_denial_someone_else_a_general_question_or_a_compound_noun(text):
    assert detect(text).status not in (CURRENT, SUSPECTED), detect(text)


def through(text: str, intent: str = "greet", ranking: tuple[str, ...] = ("greet",)) -> Message:
    message = Message(
        {
            TEXT: text,
            INTENT: {"name": intent, "confidence": 0.6},
            INTENT_RANKING_KEY: [{"name": n, "confidence": 0.6 - i / 10} for i, n in enumerate(ranking)],
        }
    )
    CLASSIFIER.process([message])
    return message


def test_a_current_sign_is_an_emergency_and_a_suspicion_is_the_confirming_question():
    assert through("I threw up blood").get(INTENT)["name"] == intents.EMERGENCY
    assert through("my pulse feels odd").get(INTENT)["name"] == intents.RED_FLAG_CONTEXT


def test_the_classifiers_emergency_with_nothing_the_detector_sees_is_a_suspicion():
    message = through("something is really not right with me", intents.EMERGENCY, (intents.EMERGENCY, "inform"))
    assert message.get(INTENT)["name"] == intents.RED_FLAG_CONTEXT


def test_a_demoted_emergency_never_becomes_a_command():
    # "no chest pain" is a clear denial: the classifier's emergency is demoted, but never to
    # "stop" (which would end the check), whatever the ranking says.
    message = through("no chest pain", intents.EMERGENCY, (intents.EMERGENCY, intents.STOP, "deny"))
    assert message.get(INTENT)["name"] == "deny"


def test_the_language_and_the_red_flag_reading_reach_the_tracker():
    message = through("tengo una pregunta sobre mi cita")
    output = message.as_dict(only_output_properties=True)
    assert output[LANGUAGE_KEY] == "es" and output[RED_FLAG_KEY]["status"] == NONE
