"""Language detection (dvt_triage/language.py): offline, from the shipped word lists."""

from __future__ import annotations

import pytest

from dvt_triage import language
from dvt_triage.context import RuleError


@pytest.mark.parametrize(
    "text",
    [
        "tengo dolor en el pecho",
        "no puedo respirar bien",
        "estoy tosiendo sangre desde ayer",
        "hola, tengo una pregunta sobre mi cita",
        "¿Está bien caminar con un coágulo?",
        "MI PIERNA ESTA MUY HINCHADA",
    ],
)
def test_spanish_is_spanish(text):
    assert language.detect(text) == language.SPANISH


@pytest.mark.parametrize(
    "text",
    [
        "my chest hurts",
        "I went to el hospital yesterday and the doctor said it is a clot",
        "my leg se hincho today and it hurts",  # mostly English: never treated as Spanish
        "I have a question about my Xarelto",
        "no",
        "sí",  # one word is not enough to tell
        "",
        "asdfgh",
        "Jose Garcia here, my leg is swollen",
    ],
)
def test_english_or_too_little_to_tell_is_english(text):
    assert language.detect(text) == language.ENGLISH


def test_accents_are_removed_but_not_the_enye():
    assert language.strip_accents("Está el corazón") == "Esta el corazon"
    assert language.strip_accents("año") == "año"


def test_a_bare_yes_no_or_on_in_the_word_lists_fails_loudly(tmp_path):
    path = tmp_path / "languages.yml"
    path.write_text("min_spanish: 2\nspanish: [de, la]\nenglish: [the, yes]\n")
    with pytest.raises(RuleError):
        language.LanguageDetector.load(path)
