"""What a text message may contain and how replies map back: plain Python, no Rasa import.

SMS has rules a chat widget does not: carrier keywords (STOP, HELP) that must be answered
before the assistant sees them, no buttons, a character set (GSM-7) outside of which a
message is sent as UCS-2 at less than half the length per segment, and long texts that
arrive as several messages. The channel adapter (`sms.py`) applies these rules.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum
from typing import Iterable, Optional, Sequence

from dvt_triage import responses

# At most this many characters (GSM-7 septets) per message: two to three segments, which
# phones join into one message.
MAX_SMS_LENGTH = 320

# Responses in domain.yml that the SMS channel sends itself, without the assistant.
CHANNEL_RESPONSES = (responses.SMS_OPTED_OUT, responses.SMS_OPTED_IN, responses.SMS_HELP, responses.SMS_TEXT_ONLY)


class Keyword(Enum):
    """Carrier keywords: the whole message is the keyword (Twilio's and the CTIA's rule)."""

    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
# YES opts back in only a number that has opted out; otherwise it is an answer.
OPT_IN_WORDS = frozenset({"START", "UNSTOP"})
OPT_IN_WHEN_OPTED_OUT = frozenset({"YES"})
HELP_WORDS = frozenset({"HELP", "INFO"})


def keyword(body: str, opted_out: bool) -> Optional[Keyword]:
    """The carrier keyword the message is, if the whole message is one."""
    word = body.strip().strip(".!").strip().upper()
    if word in OPT_OUT_WORDS:
        return Keyword.OPT_OUT
    if word in OPT_IN_WORDS or (opted_out and word in OPT_IN_WHEN_OPTED_OUT):
        return Keyword.OPT_IN
    if word in HELP_WORDS:
        return Keyword.HELP
    return None


# --- GSM-7 -------------------------------------------------------------------------------

# GSM 03.38 basic character set (without the escape character) and its extension table,
# whose characters take two septets each.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€")

# Characters that phones and editors produce and GSM-7 lacks, with their plain equivalent.
REPLACEMENTS = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "`": "'",
    "\u00b4": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u2022": "-",
    "\u00b7": "-",
    "\u25cf": "-",
    "\u2023": "-",
    "\u00a0": " ",
    "\u2007": " ",
    "\u2009": " ",
    "\u200a": " ",
    "\u202f": " ",
    "\t": " ",
    "\u200b": "",
    "\u200d": "",
    "\ufe0f": "",
    "\u00d7": "x",
    "\u00a9": "(c)",
    "\u00ae": "(R)",
    "\u2122": "(TM)",
    "\u00b0": " degrees",
    "\u2192": "->",
    "\u2190": "<-",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u00bd": "1/2",
    "\u00bc": "1/4",
}


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def sms_length(text: str) -> int:
    """Length in GSM-7 septets: extension characters count twice."""
    return sum(2 if c in GSM7_EXTENSION else 1 for c in text)


def to_gsm7(text: str) -> str:
    """The text in GSM-7 only: typographic characters made plain, accents dropped where
    GSM-7 lacks them, emoji and other symbols removed."""
    out: list[str] = []
    for char in text.replace("\r\n", "\n"):
        if char in GSM7_BASIC or char in GSM7_EXTENSION:
            out.append(char)
        elif char in REPLACEMENTS:
            out.append(REPLACEMENTS[char])
        else:
            out.extend(c for c in unicodedata.normalize("NFKD", char) if c in GSM7_BASIC)
    lines = [re.sub(r" {2,}", " ", line).strip() for line in "".join(out).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- splitting -----------------------------------------------------------------------------

SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
CLAUSE_END = re.compile(r"(?<=[;:,])\s+(?=\S)")


def _pack(pieces: Iterable[str], sep: str, limit: int) -> list[str]:
    """Join consecutive pieces with `sep` while the result stays within `limit`."""
    parts: list[str] = []
    for piece in pieces:
        if parts and sms_length(parts[-1] + sep + piece) <= limit:
            parts[-1] += sep + piece
        else:
            parts.append(piece)
    return parts


def _hard_cut(word: str, limit: int) -> list[str]:
    parts, current = [], ""
    for char in word:
        if sms_length(current + char) > limit:
            parts.append(current)
            current = ""
        current += char
    return parts + [current] if current else parts


def split_text(text: str, limit: int = MAX_SMS_LENGTH) -> list[str]:
    """Split one text into messages of at most `limit` septets, at line breaks first, then
    at sentence ends, then after a clause, then between words."""
    if sms_length(text) <= limit:
        return [text] if text else []
    levels = [
        ("\n", lambda t: t.split("\n")),
        (" ", SENTENCE_END.split),
        (" ", CLAUSE_END.split),
        (" ", str.split),
    ]

    def split(chunk: str, level: int) -> list[str]:
        if sms_length(chunk) <= limit:
            return [chunk]
        if level == len(levels):
            return _hard_cut(chunk, limit)
        sep, cut = levels[level]
        pieces = [p.strip() for p in cut(chunk) if p.strip()]
        if len(pieces) <= 1:
            return split(chunk, level + 1)
        fitted = [small for piece in pieces for small in split(piece, level + 1)]
        return _pack(fitted, sep, limit)

    return split(text, 0)


def to_messages(texts: Sequence[str], limit: int = MAX_SMS_LENGTH) -> list[str]:
    """The bot's replies of one turn as text messages: each made GSM-7, long ones split,
    short consecutive ones joined (one per line) so that a list arrives as one message."""
    parts = [part for text in texts for part in split_text(to_gsm7(text), limit)]
    return _pack(parts, "\n", limit)


# --- buttons ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """A button as a text reply: its number, its title and what choosing it sends."""

    number: int
    title: str
    payload: str


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", to_gsm7(text).lower()).split())


def _is_keyword_title(title: str) -> bool:
    """Short plain titles ("Yes", "Not sure") read well as words to reply with."""
    return bool(re.fullmatch(r"[A-Za-z]+( [A-Za-z]+)?", title.strip()))


def render_choices(buttons: Sequence[dict]) -> tuple[str, list[Choice]]:
    """The line that replaces the buttons, and the choices a reply can map to.

    "Reply YES, NO or NOT SURE." when every title is one or two plain words, otherwise
    "Reply 1 for <title> or 2 for <title>."
    """
    choices = [
        Choice(i, to_gsm7(str(b.get("title") or b.get("payload") or "")), str(b.get("payload") or ""))
        for i, b in enumerate(buttons, start=1)
    ]
    choices = [c for c in choices if c.title and c.payload]
    if not choices:
        return "", []
    titles = [c.title for c in choices]
    if all(_is_keyword_title(t) for t in titles) and len({_normalise(t) for t in titles}) == len(titles):
        options = [t.upper() for t in titles]
    else:
        options = [f"{c.number} for {c.title}" for c in choices]
    if len(options) == 1:
        return f"Reply {options[0]}.", choices
    return f"Reply {', '.join(options[:-1])} or {options[-1]}.", choices


def match_choice(body: str, choices: Sequence[Choice]) -> Optional[str]:
    """The payload a reply chooses: its number, or its title as the whole reply."""
    reply = _normalise(body)
    if not reply:
        return None
    for choice in choices:
        if reply == str(choice.number) or reply == _normalise(choice.title):
            return choice.payload
    return None
