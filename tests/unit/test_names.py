"""Every response and intent name the code uses is defined once (dvt_triage.responses,
dvt_triage.intents) and exists in domain.yml; the policies' priorities are set in one place."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dvt_triage import intents, responses
from dvt_triage import slots as s
from rasa_plugins.form_policy import AssessmentFormPolicy
from rasa_plugins.override_policy import TriageOverridePolicy

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
CONFIG = yaml.safe_load((ROOT / "config.yml").read_text())


def constants(module) -> dict[str, str]:
    return {name: value for name, value in vars(module).items() if name.isupper() and isinstance(value, str)}


@pytest.mark.parametrize("name", sorted(set(constants(responses).values()) - {responses.ASK_PREFIX}))
def test_every_response_name_is_a_response_in_the_domain(name):
    assert name in DOMAIN["responses"]


def test_every_response_family_exists_for_each_question_level_and_faq():
    names = set(DOMAIN["responses"])
    assert {responses.ask(slot) for slot in s.FORM_SLOTS} <= names
    assert {responses.why(slot) for slot in s.FORM_SLOTS} <= names
    assert {responses.outcome(level) for level in s.TRIAGE_LEVELS if level != s.EMERGENCY} <= names
    assert {responses.reason(slot) for slot in s.EXCLUSIONS} <= names
    assert {responses.missing(slot) for slot in s.CONDITIONS} <= names
    assert {responses.unsure(slot) for slot in s.ASSESSMENT_SLOTS} <= names
    faqs = [intent for intent in DOMAIN["intents"] if intents.is_faq(intent)]
    assert faqs and {responses.faq_answer(intent) for intent in faqs} <= names


@pytest.mark.parametrize("name", sorted(set(constants(intents).values()) - {intents.FAQ_PREFIX, intents.NLU_FALLBACK}))
def test_every_intent_name_is_an_intent_in_the_domain(name):
    assert name in DOMAIN["intents"]


def test_each_name_is_defined_once():
    for module in (responses, intents):
        values = list(constants(module).values())
        assert len(values) == len(set(values)), module.__name__


def test_the_policies_priorities_are_set_in_the_policies_only_and_keep_the_safety_order():
    ours = [p for p in CONFIG["policies"] if p["name"].startswith("rasa_plugins.")]
    assert ours and all("priority" not in p for p in ours)
    override = TriageOverridePolicy.get_default_config()["priority"]
    form = AssessmentFormPolicy.get_default_config()["priority"]
    others = [p.get("priority", 0) for p in CONFIG["policies"] if not p["name"].startswith("rasa_plugins.")]
    assert override > form > max(others + [4])  # 4: RulePolicy's default priority
