"""The read-back before the outcome: what a reply to "is this what you told me?" says.

When every question is answered the assistant shows the twelve answers as a numbered list
(`slots.READ_BACK_ITEMS`, 1-12) and asks whether it is right. The reply can confirm it
("that's right", "yes", "looks good"), correct items ("cancer should be yes", "I do have a
follow-up", "change 3 to no", "8 and 10 are yes", "number 5 is wrong"), or only say that
something is wrong ("no", "not right"). Plain Python, no Rasa import:
`rasa_plugins.form_policy` applies the reading to the conversation.

Safety rule: ambiguity never produces the safer reading. A reply that cannot be read as a
whole is not confirmation: it is asked again. Only a reply made of nothing but confirming
words confirms; any number, topic or other word makes it a correction or unclear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Optional

from dvt_triage import answers, responses
from dvt_triage import slots as s

ITEMS = s.READ_BACK_ITEMS

# Responses (domain.yml) of the read-back.
RESPONSES = (
    responses.READ_BACK,
    responses.READ_BACK_CHANGED,
    responses.READ_BACK_WHICH,
    responses.READ_BACK_UNCLEAR,
    responses.READ_BACK_PROMPT,
)

# A confirmation is made only of these words, with at least one that affirms.
CONFIRM_WORDS = frozenset(
    "yes yeah yep yup ya correct right thats that is its it all looks look good fine perfect "
    "exactly confirm confirmed everything everythings totally absolutely they are theyre".split()
)
AFFIRMING = frozenset("yes yeah yep yup ya correct right good fine perfect exactly confirm confirmed".split())
# Words that affirm the list itself rather than only say "yes" (needed after "which one?").
AFFIRMING_THE_LIST = AFFIRMING - {"yes", "yeah", "yep", "yup", "ya"}

# "It is not right" without saying what: only these words, at least one that disagrees.
DISAGREE_WORDS = frozenset(
    "no nope not wrong incorrect isnt thats that is its it right correct quite all something "
    "some one an answer answers mistake there a i want to change fix edit need wish would like "
    "please made".split()
)
DISAGREEING = frozenset("no nope not wrong incorrect isnt mistake change fix edit".split())

NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "one two three four five six seven eight nine ten eleven twelve".split(), start=1
    )
}
NUMBER = re.compile(
    r"\b(?:(?:number|item|question|line|#)\s*(" + "|".join(NUMBER_WORDS) + r")|(\d+))\b"
)
UNSURE_WORDS = re.compile(
    r"\b(not sure|unsure|not certain|uncertain|don'?t know|do not know|no idea|unknown|dunno)\b"
)
YES_WORDS = re.compile(r"\b(yes|yeah|yep|yup|true)\b")
NO_WORDS = re.compile(r"\b(no|nope|false)\b")
FLIP_WORDS = re.compile(
    r"\b(wrong|incorrect|not right|isn'?t right|not correct|mistake|mistaken|the other way|"
    r"opposite|switch|flip|swap|reverse)\b"
)
# A leading "no," / "not right:" says the list is wrong; it is not the new value.
DISAGREE_PREFIX = re.compile(
    r"^\s*(?:(?:no|nope|not right|wrong|incorrect|not quite)\s*[,.!;:-]+|"
    r"(?:no|nope)\s+(?=(?:i|i'm|im|i've|ive|my|it|it's|its|the|there|that|that's|thats|actually|wait|sorry)\b))\s*"
)
CLAUSE_BREAK = re.compile(r"\s*(?:[,;]|\band\b|\bbut\b|\balso\b|\bplus\b)\s*")


@dataclass(frozen=True)
class Reading:
    """What a reply to the read-back says.

    `confirmed`: the list is right. `changes`: slot -> new value. `ask_value`: an item to
    ask the value of (its answer was "not sure", or only its number was given).
    `ask_which`: the list is wrong but the reply does not say where. None of these: unclear.
    """

    confirmed: bool = False
    changes: Mapping[str, str] = field(default_factory=dict)
    ask_value: Optional[str] = None
    ask_which: bool = False

    @property
    def understood(self) -> bool:
        return self.confirmed or bool(self.changes) or self.ask_value is not None or self.ask_which


UNCLEAR = Reading()


def pending(state: Optional[str]) -> bool:
    """Whether the read-back is waiting for the patient (shown, not yet confirmed)."""
    return state in (s.READ_BACK_SHOWN, s.READ_BACK_WHICH) or asked_item(state) is not None


def asked_item(state: Optional[str]) -> Optional[str]:
    """The item whose answer was asked for, in state "ask:<slot>"."""
    if state and state.startswith(s.READ_BACK_ASK_PREFIX):
        slot = state[len(s.READ_BACK_ASK_PREFIX):]
        return slot if slot in ITEMS else None
    return None


def item_slot(number: int) -> Optional[str]:
    """The slot of item `number` (1-12), or None."""
    return ITEMS[number - 1] if 1 <= number <= len(ITEMS) else None


def _normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"\bno\.\s*(?=\d)", "number ", text)  # "no. 5"
    return " ".join(text.split())


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9 ]", " ", text.replace("'", "")).split()


def _is_confirmation(text: str, bare_yes_counts: bool) -> bool:
    if "?" in text:
        return False
    words = _words(text)
    if not words or any(w not in CONFIRM_WORDS for w in words):
        return False
    return bool(set(words) & (AFFIRMING if bare_yes_counts else AFFIRMING_THE_LIST))


def _is_disagreement(text: str) -> bool:
    words = _words(text)
    return bool(words) and all(w in DISAGREE_WORDS for w in words) and bool(set(words) & DISAGREEING)


def _explicit_value(clause: str) -> Optional[str]:
    """The one value word in a clause ("yes", "no", "not sure"), None, or "" when it holds
    several different ones."""
    found = set()
    if UNSURE_WORDS.search(clause):
        found.add(s.UNSURE)
        clause = UNSURE_WORDS.sub(" ", clause)
    if YES_WORDS.search(clause):
        found.add(s.YES)
    if NO_WORDS.search(clause):
        found.add(s.NO)
    if len(found) > 1:
        return ""
    return found.pop() if found else None


@dataclass
class _Clause:
    numbered: list[str]
    topics: dict[str, str]  # slot -> the polarity the clause gives it
    value: Optional[str]
    flip: bool


def _clause(text: str) -> Optional[_Clause]:
    """None when the clause cannot be read (a number out of range, two values)."""
    numbered = []
    for match in NUMBER.finditer(text):
        number = NUMBER_WORDS[match.group(1)] if match.group(1) else int(match.group(2))
        slot = item_slot(number)
        if slot is None:
            return None
        numbered.append(slot)
    topics = {slot: v for slot, v in answers.interpret(text, None).items() if slot in ITEMS}
    value = _explicit_value(text)
    if value == "":
        return None
    if numbered and any(t not in numbered for t in topics):
        # "I had 2 clots before": the number is not an item number.
        return None
    return _Clause(numbered, topics, value, bool(FLIP_WORDS.search(text)))


def read_reply(text: str, current: Mapping[str, Optional[str]], state: Optional[str] = s.READ_BACK_SHOWN) -> Reading:
    """What `text` says about the list of `current` answers. `state` is where the read-back
    is (`slots.READ_BACK_*`): after "which one?" a bare "yes" no longer confirms, and after
    an item's question a bare answer is that item's value."""
    normal = _normalise(text)
    asked = asked_item(state)
    if asked and not NUMBER.search(normal):
        value = answers.interpret(text, asked).get(asked)
        others = [slot for slot in answers.interpret(text, None) if slot in ITEMS and slot != asked]
        if value in s.ANSWER_VALUES and not others:
            return Reading(changes={asked: value})
    if _is_confirmation(normal, bare_yes_counts=state != s.READ_BACK_WHICH):
        return Reading(confirmed=True)
    if _is_disagreement(normal):
        return Reading(ask_which=True)
    return _correction(normal, current)


def _correction(text: str, current: Mapping[str, Optional[str]]) -> Reading:
    rest = DISAGREE_PREFIX.sub("", text, count=1)
    clauses = []
    for piece in CLAUSE_BREAK.split(rest):
        if piece.strip():
            clause = _clause(piece)
            if clause is None:
                return UNCLEAR
            clauses.append(clause)
    if not any(c.numbered or c.topics for c in clauses):
        return UNCLEAR
    whole = answers.interpret(rest, None)
    wanted: dict[str, str] = {}  # slot -> value, or "?" to ask
    for index, clause in enumerate(clauses):
        for slot in clause.numbered + [t for t in clause.topics if t not in clause.numbered]:
            value = _value_for(slot, clause, clauses[index + 1:], whole, current)
            if value is None:
                return UNCLEAR
            if wanted.get(slot, value) != value:
                return UNCLEAR  # the reply says two things about one item
            wanted[slot] = value
    loose = {c.value for c in clauses if c.value and not (c.numbered or c.topics)}
    if loose - set(wanted.values()):
        return UNCLEAR  # "8 is yes and no": a value that belongs to no item
    changes = {slot: v for slot, v in wanted.items() if v != "?"}
    to_ask = [slot for slot in ITEMS if wanted.get(slot) == "?"]
    return Reading(changes=changes, ask_value=to_ask[0] if to_ask else None)


def _value_for(
    slot: str,
    clause: _Clause,
    later: list[_Clause],
    whole: Mapping[str, str],
    current: Mapping[str, Optional[str]],
) -> Optional[str]:
    """The new value of `slot` named in `clause`: its explicit value word, a flip ("is
    wrong"), its topic's own polarity, or the value of a later clause ("8 and 10 are yes");
    "?" when it must be asked; None when it cannot be read."""
    if clause.value:
        return clause.value
    if clause.flip:
        return {s.YES: s.NO, s.NO: s.YES}.get(current.get(slot) or "", "?")
    if slot in clause.topics and slot not in clause.numbered:
        return whole.get(slot, clause.topics[slot])
    for following in later:
        if following.value:
            return following.value
        if following.flip:  # "3 and 4 are wrong"
            return {s.YES: s.NO, s.NO: s.YES}.get(current.get(slot) or "", "?")
    return "?"  # only its number: ask what it should be
