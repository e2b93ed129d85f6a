"""The trained model in-process, as the Rasa server runs it: with the response generator that
endpoints.yml names (the clinic's details filled in), conversations kept in memory."""

from __future__ import annotations

from pathlib import Path

from harness.servers import ROOT


async def load_assistant(model: Path):
    """An Agent for `model` whose replies read as the Rasa server's do."""
    import yaml
    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.endpoints import EndpointConfig

    # Only the generator: the tracker store and action server of endpoints.yml stay out.
    nlg = EndpointConfig.from_dict(yaml.safe_load((ROOT / "endpoints.yml").read_text())["nlg"])
    return await load_agent(model_path=str(model), endpoints=AvailableEndpoints(nlg=nlg))
