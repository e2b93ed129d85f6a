"""The shared shape of this project's hand-written dialogue policies: nothing to train, and
each prediction is one action with certainty, or an abstention."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.generator import TrackerWithCachedStates


class DeterministicPolicy(Policy):
    """A policy written as rules of the clinic, not learnt from the data."""

    def train(
        self,
        training_trackers: List[TrackerWithCachedStates],
        domain: Domain,
        **kwargs: Any,
    ) -> Resource:
        # Nothing to learn: persist an empty resource so that Rasa can load the policy.
        with self._model_storage.write_to(self._resource):
            pass
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "DeterministicPolicy":
        return cls(config, model_storage, resource, execution_context)

    def _predict(
        self, action: Text, domain: Domain, events: Optional[List[Event]] = None
    ) -> PolicyPrediction:
        """`action` with certainty, and `events` applied before it runs. Marked as not
        depending on user input, which puts it on a par with a form's happy path (which Rasa
        otherwise always prefers); it then wins on the policy's priority."""
        probabilities = self._default_predictions(domain)
        probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities, optional_events=events, is_no_user_prediction=True)

    def _abstain(self, domain: Domain) -> PolicyPrediction:
        return self._prediction(self._default_predictions(domain))
