"""NLU component, first in the pipeline: what the rest of the pipeline reads of a message.

Thin adapter over `dvt_triage.message_limits`: it cleans the text (no crash on control
characters or broken Unicode, from any channel) and, for a message longer than
MAX_MESSAGE_CHARS, passes on only a bounded part, marked `too_long`, so that
`TriageOverridePolicy` asks for a shorter message. The part passed on is the one with a
current emergency sign if there is one, so `RedFlagClassifier` still sets `emergency`.
The tracker keeps the message as sent.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from dvt_triage import message_limits, red_flags
from rasa_plugins import log_privacy

# Set on the parse data of an over-long message: {"chars": <length of the message>}.
TOO_LONG_KEY = "too_long"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class MessageGuard(GraphComponent):
    """Cleans each message and bounds how much of it the pipeline reads."""

    def __init__(self) -> None:
        self.detector = red_flags.get_detector(red_flags.DEFAULT_LEXICON)
        # Loaded with the model in the Rasa server's process: keep user data out of its logs.
        log_privacy.install()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "MessageGuard":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            reading = message_limits.part_to_read(message.get(TEXT), self._is_current)
            message.set(TEXT, reading.text)
            if reading.too_long:
                message.set(TOO_LONG_KEY, {"chars": reading.chars}, add_to_output=True)
        return messages

    def _is_current(self, text: str) -> bool:
        return self.detector.detect(text).status == red_flags.CURRENT
