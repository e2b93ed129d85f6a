"""Logs keep no message text and no phone number (rasa_plugins.log_privacy). Logging is
configured in a fresh Python process each time, as `rasa run` configures it, so that the
test sees exactly what would reach the log."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from rasa_plugins.log_privacy import pseudonym, redact_text
from harness.servers import ROOT

PHONE = "+15551234567"
SECRET = "zebra-quartz-secret-text"


@pytest.mark.parametrize(
    "number", ["+15551234567", "15551234567", "555-123-4567", "(555) 123 4567", "+44 20 7946 0958", "555.123.4567"]
)
def test_phone_numbers_in_any_notation_are_masked(number):
    assert number not in redact_text(f"message from {number} handled")
    assert "[number]" in redact_text(f"message from {number} handled")


def test_credentials_in_urls_are_masked_and_ordinary_text_kept():
    line = "GET /conversations/x/tracker?token=s3cr3t&include_events=ALL on port 5005"
    assert redact_text(line) == "GET /conversations/x/tracker?token=[redacted]&include_events=ALL on port 5005"
    assert redact_text("Loading model models/dvt-1d9356717cc2.tar.gz") == "Loading model models/dvt-1d9356717cc2.tar.gz"


def test_a_pseudonym_hides_the_number_and_is_stable_within_a_process():
    assert pseudonym(PHONE) == pseudonym(PHONE) != pseudonym("+15551234568")
    assert "555" not in pseudonym(PHONE) and "1234567" not in pseudonym(PHONE)


def run_python(code: str, salt: str | None = None) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FORCE_JSON_LOGGING": ""}
    env.pop("LOG_ID_SALT", None)
    if salt is not None:
        env["LOG_ID_SALT"] = salt
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    return run.stdout + run.stderr


def test_pseudonyms_follow_the_salt_so_both_servers_agree_only_when_given_one():
    code = f"from rasa_plugins.log_privacy import pseudonym; print(pseudonym({PHONE!r}))"
    same = {run_python(code, salt="run-1").strip() for _ in range(2)}
    assert len(same) == 1
    assert run_python(code, salt="run-2").strip() not in same
    unsalted = {run_python(code).strip() for _ in range(2)}
    assert len(unsalted) == 2  # random per process without LOG_ID_SALT


def test_rasa_structured_logs_and_plain_logs_carry_no_text_or_number():
    out = run_python(
        f"""
        import logging
        import structlog
        from rasa.utils.log_utils import configure_structlog
        configure_structlog(logging.INFO)  # as `rasa run` does
        from rasa_plugins import log_privacy
        log_privacy.install()
        log_privacy.install()  # idempotent
        structlog.get_logger().warning("message.parsing.failed", user_text="/{SECRET}")
        structlog.get_logger().info("rest.message", text="{SECRET}", sender_id="{PHONE}")
        def failing(text):
            raise ValueError("could not handle")
        try:
            failing("{SECRET}")
        except ValueError:
            structlog.get_logger().exception("rest.message.received.failure", text="{SECRET}")
        logging.getLogger("rasa.core.x").info("conversation %s started", "{PHONE}")
        logging.getLogger("sanic.error").error("Exception for uri 'http://h/conversations/a/tracker?token=tok123'")
        from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
        from rasa.shared.core.domain import Domain
        from rasa.shared.nlu.training_data.message import Message
        YAMLStoryReader.unpack_regex_message(Message({{"text": "/{SECRET} words"}}), Domain.empty())
        YAMLStoryReader.unpack_regex_message(Message({{"text": "/{{{SECRET}"}}), Domain.empty())
        print("done")
        """
    )
    assert "done" in out and "message.parsing.failed" in out and "could not handle" in out
    assert SECRET not in out
    assert PHONE not in out and "5551234567" not in out
    assert "tok123" not in out
