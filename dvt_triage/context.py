"""The context engine every reader of free text shares: is a mention negated, hedged, past,
future, hypothetical, or about someone else, and where does a self-correction start?

It follows ConText (Chapman et al.; medspaCy's `context` module is the model): the text is
split into spaCy tokens (so "don't" is "do" + "n't" and "appointment" is one word), cues
are found with spaCy's `Matcher`, each cue has a category, a direction (forward, backward,
both) and a maximum scope in tokens, and a scope never crosses a clause boundary
(sentence ends, "but", "however", a self-correction such as "wait" or "actually").
Longer cues win over the shorter cues they contain ("not sure" is a hedge, not a negation),
and PSEUDO cues ("no doubt") are matches that are no cue at all.

All cues are data: `data/context_rules.yml`, validated on load so that a misspelt key or a
malformed pattern fails loudly instead of matching nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Optional

import spacy
import yaml
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc

DATA = Path(__file__).parent / "data"
DEFAULT_RULES = DATA / "context_rules.yml"

# Cue categories (medspaCy's names where ConText has one).
NEGATED = "NEGATED_EXISTENCE"
POSSIBLE = "POSSIBLE_EXISTENCE"
HISTORICAL = "HISTORICAL"
CURRENT = "CURRENT"
FUTURE = "FUTURE"
HYPOTHETICAL = "HYPOTHETICAL"
OTHER_PERSON = "OTHER_PERSON"
SELF = "SELF"
FRAME = "FRAME"  # a figure of speech around a double negative: "it's not like I don't ..."
RESOLVED = "RESOLVED"  # said to be over: "in remission", "all clear", whatever time words follow
CATEGORIES = frozenset(
    {NEGATED, POSSIBLE, HISTORICAL, RESOLVED, CURRENT, FUTURE, HYPOTHETICAL, OTHER_PERSON, SELF, FRAME}
)

FORWARD, BACKWARD, BIDIRECTIONAL = "FORWARD", "BACKWARD", "BIDIRECTIONAL"
TERMINATE, PSEUDO, CORRECTION = "TERMINATE", "PSEUDO", "CORRECTION"
DIRECTIONS = frozenset({FORWARD, BACKWARD, BIDIRECTIONAL, TERMINATE, PSEUDO, CORRECTION})

RULE_KEYS = frozenset(
    {"literal", "category", "direction", "max_scope", "allowed_types", "phrases", "pattern", "comment"}
)
FILE_KEYS = frozenset(
    {
        "norms",
        "sentence_ends",
        "clause_starters",
        "comma_starters",
        "answer_words",
        "soft_breaks",
        "default_max_scope",
        "rules",
    }
)
# spaCy gives the "did" of "didn't" the norm "do" and the "had" of "hadn't" the norm "have";
# the tense matters here ("didn't say", "had cancer"), so they keep their own.
KEEP_TENSE = frozenset({"did", "had"})
SENTENCE_END_TEXTS = frozenset({".", "!", "?", ";", "\n", "\n\n"})


class RuleError(ValueError):
    """A rule file that does not say what its author meant (unknown key, bad value)."""


def words(where: str, items: Optional[Iterable[Any]]) -> set[str]:
    """A list of words; YAML reads a bare yes, no, on or off as true/false, which is an error here."""
    items = list(items or [])
    bad = [w for w in items if not isinstance(w, str)]
    if bad:
        raise RuleError(f"{where}: {bad!r} are not words (quote yes/no/on/off in YAML)")
    return set(items)


def check_keys(where: str, mapping: dict, allowed: Iterable[str], required: Iterable[str] = ()) -> None:
    """Fail loudly on a misspelt or missing key."""
    if not isinstance(mapping, dict):
        raise RuleError(f"{where}: expected a mapping, got {mapping!r}")
    unknown = set(mapping) - set(allowed)
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    missing = set(required) - set(mapping)
    if missing:
        raise RuleError(f"{where}: missing key(s) {sorted(missing)}")


def phrase_pattern(
    nlp: Language, phrase: str, norms: Optional[dict[str, str]] = None
) -> list[dict[str, Any]]:
    """A readable phrase as a Matcher pattern on token norms.

    Words are tokenised like the text ("don't know" -> do, not, know); "a|an|the" is one
    token among several; a trailing "?" makes a token optional; "_" is any one optional
    word; "#" is any number.
    """
    pattern: list[dict[str, Any]] = []
    for word in str(phrase).split():
        optional = len(word) > 1 and word.endswith("?")
        word = word[:-1] if optional else word
        if word == "_":
            pattern.append({"IS_PUNCT": False, "OP": "?"})
            continue
        if word == "#":
            token: dict[str, Any] = {"LIKE_NUM": True}
        elif "|" in word:
            token = {"NORM": {"IN": [_norm(nlp, w, norms) for w in word.split("|")]}}
        else:
            parts = _norms(nlp, word, norms)
            if len(parts) > 1:
                if optional:
                    raise RuleError(f"{phrase!r}: {word!r} is several tokens and cannot be optional")
                pattern.extend({"NORM": p} for p in parts)
                continue
            token = {"NORM": parts[0]}
        if optional:
            token["OP"] = "?"
        pattern.append(token)
    if not pattern:
        raise RuleError(f"empty phrase {phrase!r}")
    return pattern


def _norms(nlp: Language, text: str, norms: Optional[dict[str, str]]) -> list[str]:
    norms = norms or {}
    return [norms.get(t.norm_) or norms.get(t.text) or t.norm_ for t in nlp.make_doc(text.lower())]


def _norm(nlp: Language, word: str, norms: Optional[dict[str, str]]) -> str:
    parts = _norms(nlp, word, norms)
    if len(parts) != 1:
        raise RuleError(f"{word!r} is several tokens; alternatives ('a|b') must be single words")
    return parts[0]


def add_patterns(
    matcher: Matcher, nlp: Language, key: str, spec: dict, where: str, norms: Optional[dict[str, str]] = None
) -> None:
    """Adds the `phrases` (readable) and `pattern` (Matcher syntax) of one rule under `key`."""
    try:
        patterns = [phrase_pattern(nlp, p, norms) for p in spec.get("phrases") or []]
    except RuleError as error:
        raise RuleError(f"{where}: {error}") from error
    if spec.get("pattern"):
        raw = spec["pattern"]
        patterns += raw if raw and isinstance(raw[0], list) else [raw]
    if not patterns:
        raise RuleError(f"{where}: a rule needs `phrases` or `pattern`")
    try:
        matcher.add(key, patterns)
    except (ValueError, KeyError) as error:  # spaCy's validation of the pattern syntax
        raise RuleError(f"{where}: {error}") from error


@dataclass(frozen=True)
class Rule:
    literal: str
    category: Optional[str]
    direction: str
    max_scope: int
    allowed_types: Optional[frozenset[str]] = None  # the kinds of mention it may modify (all if None)


@dataclass(frozen=True)
class Cue:
    """One cue found in a text, and the tokens it modifies ([scope_start, scope_end))."""

    rule: Rule
    start: int
    end: int
    scope_start: int
    scope_end: int

    @property
    def category(self) -> Optional[str]:
        return self.rule.category

    def covers(self, start: int, end: int) -> bool:
        """Whether the mention [start, end) is in scope (a cue inside the mention is part of it)."""
        inside = self.start >= start and self.end <= end
        return not inside and start < self.scope_end and end > self.scope_start


@dataclass
class Parsed:
    """A text as tokens, its clauses (token ranges in reading order) and its cues."""

    doc: Doc
    clauses: list[tuple[int, int]]
    cues: list[Cue]
    corrections: list[int]  # token index where a self-correction starts
    pseudo: list[tuple[int, int]] = field(default_factory=list)  # spans that look like cues and are none

    def modifiers(self, start: int, end: int, kind: Optional[str] = None) -> list[Cue]:
        """The cues whose scope covers the mention [start, end) of the given kind, nearest first."""
        found = [
            c
            for c in self.cues
            if c.rule.category
            and c.covers(start, end)
            and (c.rule.allowed_types is None or kind in c.rule.allowed_types)
        ]
        return sorted(found, key=lambda c: min(abs(c.start - end), abs(start - c.end)))

    def clause_of(self, index: int) -> tuple[int, int]:
        for start, end in self.clauses:
            if start <= index < end:
                return start, end
        return 0, len(self.doc)

    def text(self, start: int, end: int) -> str:
        return self.doc[start:end].text


class ContextEngine:
    """Tokenises a text and finds its context cues; configured entirely by the rule file."""

    def __init__(self, rules_path: Path = DEFAULT_RULES, nlp: Optional[Language] = None) -> None:
        data = yaml.safe_load(Path(rules_path).read_text(encoding="utf-8"))
        check_keys(str(rules_path), data, FILE_KEYS, {"rules"})
        self.nlp = nlp or spacy.blank("en")
        norms = data.get("norms") or {}
        words(f"{rules_path}: norms", list(norms) + list(norms.values()))
        self.norms = dict(norms)
        self.sentence_ends = SENTENCE_END_TEXTS | words(
            f"{rules_path}: sentence_ends", data.get("sentence_ends")
        )
        self.clause_starters = words(f"{rules_path}: clause_starters", data.get("clause_starters"))
        self.comma_starters = self.clause_starters | words(
            f"{rules_path}: comma_starters", data.get("comma_starters")
        )
        self.answer_words = words(f"{rules_path}: answer_words", data.get("answer_words"))
        self.soft_breaks = words(f"{rules_path}: soft_breaks", data.get("soft_breaks"))
        default_scope = int(data.get("default_max_scope", 8))
        self.matcher = Matcher(self.nlp.vocab, validate=True)
        self.rules: dict[str, Rule] = {}
        for number, spec in enumerate(data["rules"]):
            where = f"{rules_path}: rule {number + 1} ({spec.get('literal', '?') if isinstance(spec, dict) else spec})"
            check_keys(where, spec, RULE_KEYS, {"literal", "direction"})
            direction = str(spec["direction"])
            category = spec.get("category")
            if direction not in DIRECTIONS:
                raise RuleError(f"{where}: direction {direction!r} not in {sorted(DIRECTIONS)}")
            if direction in (FORWARD, BACKWARD, BIDIRECTIONAL) and category not in CATEGORIES:
                raise RuleError(f"{where}: category {category!r} not in {sorted(CATEGORIES)}")
            if direction in (TERMINATE, PSEUDO, CORRECTION) and category is not None:
                raise RuleError(f"{where}: a {direction} rule has no category")
            key = f"rule{number}"
            allowed = spec.get("allowed_types")
            allowed_types = (
                frozenset(words(f"{where}: allowed_types", allowed)) if allowed is not None else None
            )
            scope = int(spec.get("max_scope", default_scope))
            self.rules[key] = Rule(str(spec["literal"]), category, direction, scope, allowed_types)
            add_patterns(self.matcher, self.nlp, key, spec, where, self.norms)

    def make_doc(self, text: str) -> Doc:
        """Tokens of the lower-cased text, with shorthand and typos given their norm."""
        text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u00b4", "'").lower()
        doc = self.nlp.make_doc(text)
        for token in doc:
            if token.text in KEEP_TENSE:
                token.norm_ = token.text
            norm = self.norms.get(token.norm_) or self.norms.get(token.text)
            if norm:
                token.norm_ = norm
        return doc

    def parse(self, text: str) -> Parsed:
        doc = self.make_doc(text)
        matches = [(self.rules[self.nlp.vocab.strings[m]], s, e) for m, s, e in self.matcher(doc)]
        # Longest match wins among overlapping cues ("not sure" over "not"); PSEUDO cues
        # take part, so that what they cover is no cue.
        matches.sort(key=lambda m: (-(m[2] - m[1]), m[1]))
        taken: list[tuple[Rule, int, int]] = []
        for rule, start, end in matches:
            if all(end <= s or start >= e for _, s, e in taken):
                taken.append((rule, start, end))
        taken.sort(key=lambda m: m[1])
        # A self-correction starts a clause ("no... actually yes", "no wait, yes"); in the middle
        # of one ("nothing's actually been arranged") the word is no correction.
        taken = [m for m in taken if m[0].direction != CORRECTION or self._at_clause_start(doc, m[1])]
        breaks = {s for r, s, _ in taken if r.direction in (TERMINATE, CORRECTION)}
        corrections = [s for r, s, _ in taken if r.direction == CORRECTION]
        clauses = self._clauses(
            doc, breaks, {e for r, _, e in taken if r.direction in (TERMINATE, CORRECTION)}
        )
        pseudo = [(s, e) for r, s, e in taken if r.direction == PSEUDO]
        parsed = Parsed(doc, clauses, [], corrections, pseudo)
        for rule, start, end in taken:
            if rule.direction in (TERMINATE, PSEUDO, CORRECTION):
                continue
            c_start, c_end = parsed.clause_of(start)
            scope_start, scope_end = start, end
            if rule.direction in (FORWARD, BIDIRECTIONAL):
                scope_end = min(c_end, end + rule.max_scope)
            if rule.direction in (BACKWARD, BIDIRECTIONAL):
                scope_start = max(c_start, start - rule.max_scope)
            parsed.cues.append(Cue(rule, start, end, scope_start, scope_end))
        return parsed

    def _is_symbol(self, token: Any) -> bool:
        """An emoji or other symbol that is no word of the lexicon: a pause, like a comma."""
        return (
            not any(ch.isalnum() for ch in token.text)
            and token.norm_ == token.text.lower()
            and token.text not in self.norms
        )

    def _at_clause_start(self, doc: Doc, index: int) -> bool:
        """Whether `index` opens a clause: at the start, after punctuation, or after answer
        words that follow punctuation ("no wait")."""
        if index == 0 or doc[index - 1].is_punct:
            return True
        i = index - 1
        while i >= 0 and doc[i].norm_ in self.answer_words:
            i -= 1
        return i < 0 or doc[i].is_punct

    def _clauses(self, doc: Doc, breaks: set[int], break_ends: set[int]) -> list[tuple[int, int]]:
        """Token ranges split at sentence ends, TERMINATE/CORRECTION cues, and at a comma or
        soft break ("and", "so") when a new subject follows or only an answer word precedes
        ("no, I have kidney disease")."""
        clauses: list[tuple[int, int]] = []
        start = 0

        def close(end: int) -> None:
            if end > start:
                clauses.append((start, end))

        for i, token in enumerate(doc):
            if i in breaks and i > start:
                close(i)
                start = i
            if i in break_ends and i > start:
                close(i)
                start = i
            word = token.norm_
            if token.text in self.sentence_ends or "\n" in token.text:
                close(i)
                start = i + 1
            elif (
                word == ","
                or token.is_punct
                and word in {"-", "--", "...", ")", "("}
                or self._is_symbol(token)
            ):
                before = [t.norm_ for t in doc[start:i]]
                nxt = doc[i + 1].norm_ if i + 1 < len(doc) else ""
                if nxt in self.comma_starters or (before and all(w in self.answer_words for w in before)):
                    close(i)
                    start = i + 1
            elif word in self.soft_breaks and i + 1 < len(doc) and doc[i + 1].norm_ in self.clause_starters:
                close(i)
                start = i + 1
            elif (
                i > start
                and all(t.norm_ in self.answer_words for t in doc[start:i])
                and word in self.clause_starters
            ):
                # "no i have kidney disease": an answer word before a statement is closed
                close(i)
                start = i
        close(len(doc))
        # Drop punctuation-only clauses.
        return [(s, e) for s, e in clauses if any(not t.is_punct for t in doc[s:e])]


@lru_cache(maxsize=4)
def get_engine(rules_path: Path = DEFAULT_RULES) -> ContextEngine:
    """One shared engine per rule file (building the matcher takes a few ms)."""
    return ContextEngine(rules_path)
