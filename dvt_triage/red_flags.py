"""Red-flag detection: emergency signs in free text, with their context.

A blank spaCy English pipeline tokenises the text and a token `Matcher` finds the
signs listed in `data/red_flags.yml` (lay phrasing, spelling variants, typos). Each
mention is then classified by ConText-style rules with small scopes: `current` (the
person has it now), `negated` ("no chest pain"), or `context` (someone else,
hypothetical, in the past). The rules favour sensitivity: a mention is current unless a
cue says otherwise, and time words such as "until", "now" and "again" make it current.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

import spacy
import yaml
from spacy.matcher import Matcher
from spacy.tokens import Doc

DEFAULT_LEXICON = Path(__file__).parent / "data" / "red_flags.yml"

CURRENT = "current"
NEGATED = "negated"
CONTEXT = "context"
NONE = "none"

# Context kinds, reported with a `context` finding.
OTHER_PERSON = "other_person"
HYPOTHETICAL = "hypothetical"
HISTORICAL = "historical"
CONDITION = "condition"

SENTENCE_ENDS = {".", "!", "?", ";", "\n"}
QUESTION_STARTS = {"is", "are", "does", "do", "can", "could", "should", "would", "will", "what", "how", "when", "why", "which"}


@dataclass(frozen=True)
class Finding:
    """One mention of an emergency sign and what its context makes of it."""

    sign: str
    text: str
    status: str
    context: Optional[str] = None


@dataclass(frozen=True)
class RedFlagResult:
    """All findings in a message; `status` is the most urgent of them."""

    status: str
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def is_emergency(self) -> bool:
        return self.status == CURRENT

    @property
    def signs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.sign for f in self.findings if f.status == self.status))


def _token_pattern(spec: str, filler_stops: list[str]) -> dict:
    if spec == "_":
        return {"IS_PUNCT": False, "IS_SPACE": False, "LOWER": {"NOT_IN": filler_stops}, "OP": "?"}
    optional = spec.endswith("?") and not spec.endswith("\\?")
    regex = spec[:-1] if optional else spec
    token = {"LOWER": {"REGEX": f"^(?:{regex})$"}}
    if optional:
        token["OP"] = "?"
    return token


def _phrase_regex(phrases: Iterable[str]) -> re.Pattern[str]:
    alternatives = sorted((re.escape(p) for p in phrases), key=len, reverse=True)
    return re.compile(r"(?<![\w'])(?:" + "|".join(alternatives) + r")(?![\w'])")


class RedFlagDetector:
    """Finds emergency signs in a message; configured entirely by the lexicon file."""

    def __init__(self, lexicon_path: Path = DEFAULT_LEXICON) -> None:
        lexicon = yaml.safe_load(Path(lexicon_path).read_text(encoding="utf-8"))
        self.nlp = spacy.blank("en")
        self._normalise = [(re.compile(p), r) for p, r in lexicon["normalise"]]
        stops = [str(w) for w in lexicon["filler_stops"]]
        self.matcher = Matcher(self.nlp.vocab)
        for sign, patterns in lexicon["signs"].items():
            self.matcher.add(sign, [[_token_pattern(str(t), stops) for t in p] for p in patterns])
        self.context_only = set(lexicon.get("context_only_signs", []))
        ctx = lexicon["context"]
        self.negation_before = _phrase_regex(ctx["negation_before"])
        self.negation_after = _phrase_regex(ctx["negation_after"])
        self.negation_scope = int(ctx["negation_scope"])
        self.terminators = {str(t) for t in ctx["terminators"]}
        self.other_person = _phrase_regex(ctx["other_person"])
        self.hypothetical = _phrase_regex(ctx["hypothetical"])
        self.historical = _phrase_regex(ctx["historical"])
        self.current = _phrase_regex(ctx["current"])

    def normalise(self, text: str) -> str:
        """Lower-case and rewrite run-together words, contractions and shorthand."""
        text = text.replace("\u2019", "'").replace("\u2018", "'").lower()
        for pattern, replacement in self._normalise:
            text = pattern.sub(replacement, text)
        return text

    def detect(self, text: str) -> RedFlagResult:
        """Classify every emergency sign the text mentions."""
        if not text or not text.strip():
            return RedFlagResult(NONE)
        doc = self.nlp.make_doc(self.normalise(text))
        return self._classify(doc)

    def pipe(self, texts: Iterable[str]) -> list[RedFlagResult]:
        """Batch version of `detect`."""
        return [self.detect(t) for t in texts]

    def _classify(self, doc: Doc) -> RedFlagResult:
        spans = []
        for match_id, start, end in self.matcher(doc):
            sign = self.nlp.vocab.strings[match_id]
            # keep the longest match for overlapping mentions of one sign
            spans.append((start, end, sign))
        spans.sort(key=lambda m: (m[0], -(m[1] - m[0])))
        findings: list[Finding] = []
        covered_until = -1
        for start, end, sign in spans:
            if start < covered_until and findings and findings[-1].sign == sign:
                continue
            covered_until = max(covered_until, end)
            status, kind = self._context(doc, start, end, sign)
            findings.append(Finding(sign, doc[start:end].text, status, kind))
        if not findings:
            return RedFlagResult(NONE)
        for status in (CURRENT, CONTEXT, NEGATED):
            if any(f.status == status for f in findings):
                return RedFlagResult(status, tuple(findings))
        return RedFlagResult(NONE)  # pragma: no cover - every finding has a status

    def _bounds(self, doc: Doc, start: int, end: int, stops: set[str]) -> tuple[int, int]:
        left = start
        while left > 0 and doc[left - 1].lower_ not in stops:
            left -= 1
        right = end
        while right < len(doc) and doc[right].lower_ not in stops:
            right += 1
        return left, right

    def _context(self, doc: Doc, start: int, end: int, sign: str) -> tuple[str, Optional[str]]:
        s_left, s_right = self._bounds(doc, start, end, SENTENCE_ENDS)
        c_left, c_right = self._bounds(doc, start, end, SENTENCE_ENDS | self.terminators)
        before = doc[c_left:start].text
        near_before = doc[max(c_left, start - self.negation_scope) : start].text
        after = doc[end:c_right].text
        rest_of_sentence = doc[end:s_right].text
        sentence = doc[s_left:s_right].text
        clause_first = doc[c_left].lower_ if c_left < start else doc[start].lower_
        ends_in_question = s_right < len(doc) and doc[s_right].text == "?"

        if self.hypothetical.search(before) or (ends_in_question and clause_first in QUESTION_STARTS):
            return CONTEXT, HYPOTHETICAL
        # "until today", "but now", "again": a denied or past mention has come back.
        returned = bool(re.search(r"\b(until|till|again|now|today|tonight)\b", rest_of_sentence))
        if self.negation_before.search(near_before) or self.negation_after.match(after.strip()):
            return (CURRENT, None) if returned else (NEGATED, None)
        if sign in self.context_only:
            return (CURRENT, None) if returned else (CONTEXT, CONDITION)
        if self.other_person.search(before):
            return CONTEXT, OTHER_PERSON
        if (self.historical.search(before) or self.historical.search(after)) and not self.current.search(sentence):
            return CONTEXT, HISTORICAL
        return CURRENT, None


@lru_cache(maxsize=4)
def get_detector(lexicon_path: Path = DEFAULT_LEXICON) -> RedFlagDetector:
    """One shared detector per lexicon file (building the matcher takes a few ms)."""
    return RedFlagDetector(lexicon_path)
