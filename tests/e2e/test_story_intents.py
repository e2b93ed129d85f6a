"""Every user line of the conversation stories is understood as the story says, by the
trained model's NLU (including the deterministic red-flag component)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from harness.servers import latest_model


STORIES = yaml.safe_load((Path(__file__).resolve().parents[1] / "stories" / "test_stories.yml").read_text())["stories"]
LINES = sorted(
    {(step["user"], step["intent"]) for story in STORIES for step in story["steps"] if "user" in step}
)
# Lines the form reads as free text; their intent only matters outside the form.
FREE_TEXT_INTENTS = {"affirm", "deny", "unsure", "inform", "nlu_fallback", "start_check"}


@pytest.fixture(scope="module")
def agent():
    from rasa.core.agent import load_agent

    return asyncio.run(load_agent(model_path=str(latest_model())))


@pytest.mark.parametrize("text, intent", LINES, ids=[t for t, _ in LINES])
def test_story_line_is_understood(agent, text, intent):
    parsed = asyncio.run(agent.parse_message(text))
    predicted = parsed["intent"]["name"]
    if intent in FREE_TEXT_INTENTS:
        assert predicted not in {"emergency", "red_flag_context", "stop", "restart"}
    else:
        assert predicted == intent
