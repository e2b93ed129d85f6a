"""The shared context engine: tokens, clauses, cue scopes, and rule files that fail loudly."""

from pathlib import Path

import pytest

from dvt_triage import context as ctx
from dvt_triage.answers import AnswerReader

ENGINE = ctx.get_engine()


def cues(text):
    parsed = ENGINE.parse(text)
    return [(c.category, parsed.text(c.start, c.end)) for c in parsed.cues]


def clauses(text):
    parsed = ENGINE.parse(text)
    return [parsed.text(a, b) for a, b in parsed.clauses]


@pytest.mark.parametrize(
    "word", ["appointment", "treatment", "patient", "significant", "constant", "urgent", "current"]
)
def test_a_word_ending_in_nt_is_no_negation(word):
    assert [c for c, _ in cues(f"my {word} on friday") if c == ctx.NEGATED] == []


@pytest.mark.parametrize("text", ["I don't", "i dont", "I do not", "doesn’t"])
def test_contractions_with_or_without_apostrophe_are_negations(text):
    assert [c for c, _ in cues(text)] == [ctx.NEGATED]


def test_the_longest_cue_wins_not_sure_is_a_hedge_not_a_negation():
    assert cues("not sure") == [(ctx.POSSIBLE, "not sure")]


def test_a_pseudo_cue_is_no_cue():
    assert cues("no doubt about it") == []


def test_a_negation_does_not_reach_past_but():
    parsed = ENGINE.parse("no cancer but kidney disease")
    (cue,) = [c for c in parsed.cues if c.category == ctx.NEGATED]
    assert parsed.text(cue.scope_start, cue.scope_end) == "no cancer"


def test_an_answer_word_before_a_statement_is_its_own_clause():
    assert clauses("no, I have kidney disease") == ["no", "i have kidney disease"]
    assert clauses("no i have kidney disease") == ["no", "i have kidney disease"]
    assert clauses("I don't have cancer, kidney disease or heart problems") == [
        "i don't have cancer, kidney disease or heart problems"
    ]


def test_a_self_correction_starts_a_clause_only_at_a_clause_start():
    assert ENGINE.parse("no wait, yes").corrections == [1]
    assert ENGINE.parse("nothing's actually been arranged").corrections == []


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "rules:\n- literal: x\n  category: NEGATED_EXISTENCE\n  direction: FORWARD\n  phrase: [x]\n",
            "unknown key",
        ),
        ("rules:\n- literal: x\n  category: NEGATED\n  direction: FORWARD\n  phrases: [x]\n", "category"),
        (
            "rules:\n- literal: x\n  category: NEGATED_EXISTENCE\n  direction: FORWARDS\n  phrases: [x]\n",
            "direction",
        ),
        ("rules:\n- literal: x\n  direction: TERMINATE\n  pattern: [{LOWR: x}]\n", "rule 1"),
        ("norms:\n  yep: yes\nrules: []\n", "not words"),
        ("rules: []\nclause_startrs: [i]\n", "unknown key"),
    ],
)
def test_a_rule_file_with_a_mistake_fails_loudly(tmp_path, text, message):
    with pytest.raises(ctx.RuleError, match=message):
        ctx.ContextEngine(write(tmp_path, text))


def test_a_topic_file_with_a_mistake_fails_loudly(tmp_path):
    topics = (ctx.DATA / "answer_topics.yml").read_text(encoding="utf-8")
    with pytest.raises(ctx.RuleError, match="unknown key"):
        AnswerReader(write(tmp_path, topics.replace("    asked_only:", "    asked_onyl:", 1)))
    with pytest.raises(ctx.RuleError, match="value must be"):
        AnswerReader(write(tmp_path, topics.replace('value: "no"', 'value: "nope"', 1)))
