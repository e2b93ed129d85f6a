"""The Rasa server's response generator: domain.yml's responses, with the clinic's details
filled in (endpoints.yml, `nlg:`).

Thin adapter over `dvt_triage.clinic`. Rasa's own generator fills a response's {placeholders}
from the slots and from the values an action sends with it ({reasons}); this one adds the
clinic's ({clinic_name}, {clinic_phone}, {emergency_number}, ...). It runs in the Rasa
server, so the emergency instructions are complete without the action server, and the
model holds only the placeholders: a new phone number needs a restart, not a retraining.
The settings are read and checked when the server starts; a bad value stops it.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig

from dvt_triage import clinic


class ClinicResponses(TemplatedNaturalLanguageGenerator):
    """Rasa's templated generator plus the clinic's values."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None) -> None:
        # Rasa replaces `responses` with the model's when it loads the model.
        super().__init__(domain.responses if domain else {})
        self.clinic_values = clinic.current().placeholders()

    def _fill_response(
        self, response: Dict[Text, Any], filled_slots: Optional[Dict[Text, Any]] = None, **kwargs: Any
    ) -> Dict[Text, Any]:
        # The clinic's values last: no slot or action can change the emergency number.
        return super()._fill_response(response, filled_slots, **{**kwargs, **self.clinic_values})
