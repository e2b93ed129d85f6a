import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="session")
def make_policy(tmp_path_factory):
    """A policy of ours, created as Rasa creates it, with its default configuration."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    def make(policy_class):
        return policy_class.create(
            policy_class.get_default_config(),
            LocalModelStorage(tmp_path_factory.mktemp("storage")),
            Resource(policy_class.__name__),
            ExecutionContext(GraphSchema({})),
        )

    return make
