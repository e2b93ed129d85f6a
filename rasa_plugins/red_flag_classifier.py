"""NLU component that makes emergency signs and conversation commands deterministic.

It runs after the intent classifier and overrides its intent when the red-flag detector
(`dvt_triage.red_flags`) or a command ("stop", "start over") says so, so the emergency
path never depends on intent-classification confidence:
- a current sign: intent `emergency`;
- a suspected sign, or a mention in context (someone else's, past, hypothetical): intent
  `red_flag_context`, and the assistant asks the confirming question;
- the ML classifier's own `emergency` prediction with nothing the detector can see is a
  suspicion too, never silence; only a clear denial ("no chest pain") demotes it, and never
  to a command such as `stop`.
It also records the message's language (`dvt_triage.language`) for the override policy.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from dvt_triage import language, red_flags
from dvt_triage import intents

RED_FLAG_KEY = "red_flag"
LANGUAGE_KEY = "language"

COMMANDS = {
    intents.RESTART: re.compile(
        r"^\W*(/restart|restart|start ?over|start again|reset|begin again|start from scratch|"
        r"new (chat|conversation|check)|let'?s start over|can we start over|start the check over)\W*$",
        re.IGNORECASE,
    ),
    intents.STOP: re.compile(
        r"^\W*(/stop|stop|quit|cancel|exit|end|stop (it|this|the check|the assessment|the questions|asking)|"
        r"i want to stop|please stop|stop please|i'?m done|no more questions)\W*$",
        re.IGNORECASE,
    ),
}
ALARM_INTENTS = {intents.EMERGENCY, intents.RED_FLAG_CONTEXT}
# A demoted alarm never becomes a command: "stop" would end the check.
NOT_A_DEMOTION = ALARM_INTENTS | set(COMMANDS)


def _set_intent(message: Message, name: str) -> None:
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != name]
    message.set(INTENT, {"name": name, "confidence": 1.0}, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [{"name": name, "confidence": 1.0}] + ranking, add_to_output=True)


def _demote(message: Message, replacement: str) -> None:
    """Replace an alarm intent from the ML classifier with the best non-alarm one."""
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") not in NOT_A_DEMOTION]
    best = ranking[0] if ranking else {"name": replacement, "confidence": 1.0}
    message.set(INTENT, dict(best), add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RedFlagClassifier(GraphComponent, IntentClassifier):
    """Sets intent `emergency` for a current red flag, `red_flag_context` for a mention
    that is not the person's own current symptom, and `stop`/`restart` for commands."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"lexicon": None}

    def __init__(self, config: Dict[Text, Any]) -> None:
        lexicon = config.get("lexicon")
        self.detector = red_flags.get_detector(Path(lexicon) if lexicon else red_flags.DEFAULT_LEXICON)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "RedFlagClassifier":
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._classify(message)
        return messages

    def _classify(self, message: Message) -> None:
        text: Optional[str] = message.get(TEXT)
        if not text:
            return
        # Texts starting with "/" are checked too ("/I can't breathe" typed by a patient); a
        # real "/intent" command is still obeyed: Rasa's RegexMessageHandler, which runs
        # after the pipeline, replaces the intent of every message that is one.
        result = self.detector.detect(text)
        mentions = [f for f in result.findings if f.status == result.status]
        message.set(
            RED_FLAG_KEY,
            {
                "status": result.status,
                "signs": list(result.signs),
                "words": [f.text for f in mentions],
                "contexts": [f.context for f in mentions],
            },
            add_to_output=True,
        )
        message.set(LANGUAGE_KEY, language.detect(text), add_to_output=True)
        if result.is_emergency:
            _set_intent(message, intents.EMERGENCY)
            return
        for intent, pattern in COMMANDS.items():
            if pattern.match(text):
                _set_intent(message, intent)
                return
        if result.needs_confirming:
            _set_intent(message, intents.RED_FLAG_CONTEXT)
            return
        predicted = (message.get(INTENT) or {}).get("name")
        if predicted in ALARM_INTENTS:
            if result.status == red_flags.NEGATED:
                _demote(message, "deny")
            else:
                # The ML classifier suspects a red flag the patterns do not see:
                # ask rather than stay silent or cry wolf.
                _set_intent(message, intents.RED_FLAG_CONTEXT)
