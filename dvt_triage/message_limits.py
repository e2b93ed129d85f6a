"""What the assistant reads of a message: cleaned text, at most MAX_MESSAGE_CHARS of it.

Why: every channel hands Rasa whatever a client sent. Control characters and unpaired
UTF-16 surrogates crash the NLU pipeline (no reply at all), and a very long message blocks
the server for everyone: the red-flag detector takes about 6 s on 100 KB and refuses
1 MB (spaCy's limit). So the text is cleaned, and a message longer than MAX_MESSAGE_CHARS
is not read: the patient is asked for a shorter one. Its first MAX_SCAN_CHARS are still
checked for emergency signs, in overlapping windows (linear time), so that an emergency
in a long message is never answered with "too long". Plain Python, no Rasa import.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterator

# About 350 words: a long answer, well above the 1,600 characters of the longest SMS Twilio
# delivers; the detector reads this many characters in about 50 ms.
MAX_MESSAGE_CHARS = 2000
# How much of an over-long message is still checked for emergency signs (about 0.6 s).
MAX_SCAN_CHARS = 20_000
# Consecutive windows share this many characters, so that every stretch of text this long
# (a sign with the words around it that give its context) lies whole inside one window.
WINDOW_OVERLAP = 500
# Conversation ids: a phone number, a browser session id or a client's user id.
MAX_SENDER_CHARS = 128
SENDER = re.compile(r"[A-Za-z0-9_.:@+-]{1,%d}" % MAX_SENDER_CHARS)

# C0 and C1 control characters and DEL, except tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SPACE = re.compile(r"\s")
# Symbols that spaCy's English tokenizer leaves glued to a word ("pain</b>", "pain~",
# "breathe/"), which hides the word from the red-flag patterns.
_GLUED_SYMBOLS = re.compile(r"[<>/\\=|~^+]+")


def clean(text: object) -> str:
    """The text with what cannot be read removed: no text becomes "", an unpaired
    surrogate becomes U+FFFD, control characters (but tab and newlines) are dropped, and
    compatibility forms are unified (NFKC: full-width letters, ligatures)."""
    if not isinstance(text, str):
        return ""
    text = _SURROGATE.sub("\ufffd", text)
    return unicodedata.normalize("NFKC", _CONTROL.sub("", text))


def spaced(text: str) -> str:
    """The text with runs of symbols set apart from the words they touch (at most doubles
    its length): `<b>chest pain</b>` reads as `< b > chest pain </ b >`. A leading "/" stays:
    Rasa reads `/intent` as a command (the SMS channel sends `/restart`)."""
    body = text.lstrip()
    head = len(text) - len(body) + (1 if body.startswith("/") else 0)
    return text[:head] + _GLUED_SYMBOLS.sub(lambda m: f" {m.group()} ", text[head:])


def windows(text: str, size: int = MAX_MESSAGE_CHARS, overlap: int = WINDOW_OVERLAP) -> Iterator[str]:
    """Overlapping pieces of `text`, each at most `size` characters, cut at a space where
    one is near; any stretch of at most `overlap` - 100 characters lies whole in one piece."""
    if len(text) <= size:
        yield text
        return
    step = size - overlap
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            end = _space_before(text, end, limit=end - 50)
        yield text[start:end]
        if end >= len(text):
            return
        start = _space_after(text, start + step, limit=start + step + 50)


def _space_before(text: str, index: int, limit: int) -> int:
    for i in range(index, limit, -1):
        if _SPACE.match(text, i - 1):
            return i
    return index


def _space_after(text: str, index: int, limit: int) -> int:
    for i in range(index, min(limit, len(text))):
        if _SPACE.match(text, i):
            return i + 1
    return index


@dataclass(frozen=True)
class Reading:
    """What the assistant reads of one message."""

    text: str
    too_long: bool = False
    # Characters of the (cleaned) message, when it is too long.
    chars: int = 0


def part_to_read(text: object, is_current_red_flag: Callable[[str], bool]) -> Reading:
    """The cleaned text, or for an over-long message the part to read: the window with a
    current emergency sign if its first MAX_SCAN_CHARS have one, else its beginning. The
    length is that of the cleaned text; what is read has its symbols `spaced`."""
    cleaned = clean(text)
    if len(cleaned) <= MAX_MESSAGE_CHARS:
        return Reading(spaced(cleaned))
    pieces = (spaced(piece) for piece in windows(cleaned[:MAX_SCAN_CHARS]))
    first = next(pieces)
    if is_current_red_flag(first):
        return Reading(first, True, len(cleaned))
    for piece in pieces:
        if is_current_red_flag(piece):
            return Reading(piece, True, len(cleaned))
    return Reading(first, True, len(cleaned))


def valid_sender(sender: object) -> bool:
    """A conversation id a client may use: letters, digits and `_ . : @ + -` only (a phone
    number, a session id, a user id), so that no id carries markup or spans log lines."""
    return isinstance(sender, str) and SENDER.fullmatch(sender) is not None
