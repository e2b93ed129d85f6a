"""scripts/rasa_run.py: where the API token comes from (never the command line), and which Rasa
command it runs."""

from __future__ import annotations

import pytest

from scripts.rasa_run import TokenError, api_token, debugging, is_server, rasa_command


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


def test_options_alone_mean_the_server_and_a_command_word_any_other_rasa_command():
    assert rasa_command(["--model", "m.tar.gz"]) == ["run", "--model", "m.tar.gz"]
    assert rasa_command(["run", "actions", "--port", "5055"]) == ["run", "actions", "--port", "5055"]
    assert rasa_command(["train", "--quiet"]) == ["train", "--quiet"]


def test_only_the_rasa_server_gets_the_api_token_and_the_model_check():
    assert is_server(rasa_command(["--model", "m.tar.gz"]))
    assert not is_server(["run", "actions", "--actions", "actions"])
    assert not is_server(["train", "--quiet"]) and not is_server(["shell"])


def test_debugging_shows_every_warning():
    assert debugging(["run", "--debug"], {}) and debugging(["train", "-vv"], {})
    assert debugging(["run"], {"LOG_LEVEL": "debug"})
    assert not debugging(["run", "--model", "m"], {})
