"""Conversation ids scoped to their channel. Plain Python, no Rasa import.

Why: Rasa keys a conversation by its sender id alone, whatever the channel. When the SMS
channel used the phone number as the id, anyone who knew a patient's number could read and
answer their check over REST or socket.io. So each channel has ids of its own form:
- SMS: `sms:` + a keyed hash (HMAC-SHA256) of the number; the key is SMS_ID_KEY, or, when it
  is not set, a random key kept in the SMS channel's own database. Never the number itself.
- socket.io (the website widget): `web:` + 128 random bits, issued by the server only.
- REST: any id of the REST rule (1-128 letters, digits, `_ . : @ + -`) except those two forms.
No channel accepts an id of another channel's form, so none can address another's conversation.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

SMS_PREFIX = "sms:"
WEB_PREFIX = "web:"
# Prefixes that only their own channel may use (compared case-insensitively).
RESERVED_PREFIXES = (SMS_PREFIX, WEB_PREFIX)
WEB_ID = re.compile(r"web:[0-9a-f]{32}")
MIN_KEY_CHARS = 32


class IdKeyError(ValueError):
    """The key for SMS conversation ids is too short to keep phone numbers secret."""


def sms_conversation_id(phone: str, key: str) -> str:
    """The SMS conversation id of `phone`: the same for the same number and key, and no way
    back to the number without the key (numbers are few enough to try them all)."""
    if len(key) < MIN_KEY_CHARS:
        raise IdKeyError(f"the SMS id key must be at least {MIN_KEY_CHARS} characters")
    digest = hmac.new(key.encode(), phone.strip().encode(), hashlib.sha256).hexdigest()
    return SMS_PREFIX + digest[:32]


def new_web_id() -> str:
    """A fresh socket.io session id: the bearer secret the widget keeps in its tab."""
    return WEB_PREFIX + secrets.token_hex(16)


def is_web_id(value: object) -> bool:
    """Whether `value` has the form of a server-issued socket.io session id."""
    return isinstance(value, str) and WEB_ID.fullmatch(value) is not None


def is_reserved(sender: str) -> bool:
    """Whether `sender` has the form of another channel's ids (REST may not use it)."""
    return sender.lower().startswith(RESERVED_PREFIXES)


def new_key() -> str:
    """A random key for SMS conversation ids."""
    return secrets.token_hex(32)
