"""scripts/rasa_run.py: where the API token comes from (never the command line)."""

from __future__ import annotations

import pytest

from scripts.rasa_run import TokenError, api_token


def test_the_token_comes_from_a_file_first_then_the_environment(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("from-the-file\n")
    assert api_token({"RASA_API_TOKEN_FILE": str(token_file), "RASA_API_TOKEN": "env"}) == "from-the-file"
    assert api_token({"RASA_API_TOKEN": "from-the-environment"}) == "from-the-environment"
    assert api_token({}) is None and api_token({"RASA_API_TOKEN": ""}) is None  # the API stays off


@pytest.mark.parametrize("content", [None, "", "  \n"])
def test_a_missing_or_empty_token_file_stops_the_start(tmp_path, content):
    token_file = tmp_path / "token"
    if content is not None:
        token_file.write_text(content)
    with pytest.raises(TokenError, match="RASA_API_TOKEN_FILE"):
        api_token({"RASA_API_TOKEN_FILE": str(token_file)})
