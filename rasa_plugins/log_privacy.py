"""Keeps what patients type, and their phone numbers, out of the logs of both processes.

Why: over SMS the conversation id is the patient's phone number, and messages carry health
information. At INFO, Rasa 3.6 and rasa_sdk log neither, but Rasa's structured warnings and
errors do (e.g. `message.parsing.failed user_text=...`, frame locals in error tracebacks),
and any log line may quote a conversation id. `install()` (idempotent) therefore
- blanks the user-data fields of Rasa's structured log events (the fields Rasa Pro
  anonymises) and leaves frame locals out of their tracebacks;
- masks phone-number-like digit runs and `token=` values in every log record;
- drops Rasa's warning that quotes a message starting with "/" ("Failed to parse arguments
  in line '/...'"), which Python's warnings module prints outside logging;
and `pseudonym()` gives our own log lines a salted hash instead of a conversation id.
Loaded by the Rasa server with the model (`MessageGuard`) and by the action server with
the actions package.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import warnings
from typing import Any, Callable, Dict, Optional

import structlog

REDACTED = "[redacted]"
# Rasa's own list of structured-log fields that carry user data (rasa.utils.log_utils),
# plus conversation ids.
SENSITIVE_KEYS = frozenset(
    {
        "text", "response_text", "user_text", "slot_values", "parse_data_text", "parse_data_entities",
        "prediction_events", "tracker_latest_message", "prefilled_slots", "message", "response",
        "slot_candidates", "rasa_event", "rasa_events", "tracker_states", "current_states", "old_states",
        "successes", "current_entity", "next_entity", "states", "entity", "token_text", "user_message",
        "json_message", "sender_id", "conversation_id", "metadata",
    }
)
# Seven or more digits, optionally with a leading + and single separators: phone numbers
# in any common notation (+15551234567, 555-123-4567, (555) 123 4567).
PHONE = re.compile(r"(?<![\w+])\+?\(?\d(?:[\s().-]{0,2}\d){6,}")
TOKEN = re.compile(r"(?i)\b(token|jwt|auth|password|secret)=[^&\s'\"]+")

# Salt for pseudonyms: LOG_ID_SALT (scripts/serve.sh sets one per run, shared by both
# servers), else random per process. Never a fixed value: phone numbers are few enough to
# be recovered from an unsalted or known-salt hash.
_SALT = (os.environ.get("LOG_ID_SALT") or secrets.token_hex(16)).encode()
_installed = False


def pseudonym(conversation_id: Optional[str]) -> str:
    """A short salted hash that identifies a conversation in logs without revealing it."""
    digest = hmac.new(_SALT, (conversation_id or "").encode("utf-8", "replace"), hashlib.sha256)
    return "conv-" + digest.hexdigest()[:12]


def redact_text(text: str) -> str:
    """The text with phone-number-like digit runs and credentials in URLs masked."""
    return TOKEN.sub(r"\1=" + REDACTED, PHONE.sub("[number]", text))


def redact_event(_: Any, __: str, event_dict: Dict[str, Any]) -> Dict[str, Any]:
    """structlog processor: blanks the values of user-data fields."""
    for key in SENSITIVE_KEYS.intersection(event_dict):
        event_dict[key] = REDACTED
    return event_dict


def _redacting_record_factory(factory: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return record
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
        return record

    make_record.redacting = True  # type: ignore[attr-defined]
    return make_record


def _configure_structlog() -> None:
    processors = structlog.get_config()["processors"]
    # In place: loggers that already logged keep a reference to this very list.
    if redact_event not in processors:
        processors.insert(0, redact_event)
    for i, processor in enumerate(processors):
        if processor is structlog.processors.dict_tracebacks:
            processors[i] = structlog.processors.ExceptionRenderer(
                structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
            )


def install() -> None:
    """Adds the redaction to logging and structlog in this process (once)."""
    global _installed
    if _installed:
        return
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "redacting", False):
        logging.setLogRecordFactory(_redacting_record_factory(factory))
    _configure_structlog()
    warnings.filterwarnings("ignore", message="Failed to parse arguments in line", category=UserWarning)
    _installed = True
