"""Red-flag detection: emergency signs in free text, with their context.

A blank spaCy English pipeline tokenises the text and a token `Matcher` finds the
signs listed in `data/red_flags.yml` (lay phrasing, spelling variants, typos). Each
mention is then classified by ConText-style rules with small scopes: `current` (the
person has it now), `negated` ("no chest pain"), or `context` (someone else,
hypothetical, in the past). The rules favour sensitivity: a mention is current unless a
cue says otherwise, and time words such as "until", "now" and "again" make it current.
Context cues (someone else, hypothetical, past) reach over "and" unless a new subject
follows it, and yield to the person speaking of themself ("my husband says I'm short of
breath") or asking about their own symptom ("why is my heart racing?").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

import yaml
from spacy.matcher import Matcher
from spacy.tokens import Doc

from dvt_triage import context

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
# A sign used as a heading, answered after it: "chest pain: none", "breathlessness - no",
# "chest pain? no".
HEADING_MARKS = {":", "-", "?"}
NOT_SIGN_PREFIX = "not_sign:"
QUESTION_STARTS = {
    "is",
    "are",
    "does",
    "do",
    "can",
    "could",
    "should",
    "would",
    "will",
    "what",
    "how",
    "when",
    "why",
    "which",
}


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
    alternatives = sorted((re.escape(str(p)) for p in phrases), key=len, reverse=True)
    # a phrase may carry a possessive: "my daughter's heart"
    return re.compile(r"(?<![\w'])(?:" + "|".join(alternatives) + r")(?!\w)(?!'(?!s\b))")


class RedFlagDetector:
    """Finds emergency signs in a message; configured entirely by the lexicon file."""

    def __init__(self, lexicon_path: Path = DEFAULT_LEXICON) -> None:
        lexicon = yaml.safe_load(Path(lexicon_path).read_text(encoding="utf-8"))
        # One tokeniser for every reader of free text: the shared context engine's.
        self.nlp = context.get_engine().nlp
        self._normalise = [(re.compile(p), r) for p, r in lexicon["normalise"]]
        stops = [str(w) for w in lexicon["filler_stops"]]
        self.matcher = Matcher(self.nlp.vocab)
        for sign, patterns in lexicon["signs"].items():
            self.matcher.add(sign, [[_token_pattern(str(t), stops) for t in p] for p in patterns])
        for sign, patterns in (lexicon.get("not_signs") or {}).items():
            rules = [[_token_pattern(str(t), stops) for t in p] for p in patterns]
            self.matcher.add(NOT_SIGN_PREFIX + sign, rules)
        self.context_only = set(lexicon.get("context_only_signs", []))
        ctx = lexicon["context"]
        self.negation_before = _phrase_regex(ctx["negation_before"])
        self.negation_after = _phrase_regex(ctx["negation_after"])
        self.negation_inside = _phrase_regex(ctx["negation_inside"])
        self.negation_scope = int(ctx["negation_scope"])
        self.answer_denials = {str(w) for w in ctx["answer_denials"]}
        self.returned = _phrase_regex(ctx["returned"])
        self.returned_after_break = {str(w) for w in ctx["returned_after_break"]}
        self.breaks = {str(w) for w in ctx["breaks"]}
        self.terminators = {str(t) for t in ctx["terminators"]}
        self.soft_terminators = {str(t) for t in ctx["soft_terminators"]}
        self.clause_starters = {str(w) for w in ctx["clause_starters"]}
        self.other_person = _phrase_regex(ctx["other_person"])
        self.first_person = _phrase_regex(ctx["first_person"])
        self.me_too = _phrase_regex(ctx["me_too"])
        self.hypothetical = _phrase_regex(ctx["hypothetical"])
        self.own_question = _phrase_regex(ctx["own_question"])
        self.historical = _phrase_regex(ctx["historical"])
        self.long_standing = _phrase_regex(ctx["long_standing"])
        self.current = _phrase_regex(ctx["current"])
        self.current_negators = {str(w) for w in ctx["current_negators"]}

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
        not_signs = []
        for match_id, start, end in self.matcher(doc):
            sign = self.nlp.vocab.strings[match_id]
            if sign.startswith(NOT_SIGN_PREFIX):
                not_signs.append((start, end, sign[len(NOT_SIGN_PREFIX) :]))
            else:
                spans.append((start, end, sign))
        # "out of breath mints", "a faint bruise": the words are there, the sign is not
        spans = [
            (start, end, sign)
            for start, end, sign in spans
            if not any(s == sign and start < n_end and n_start < end for n_start, n_end, s in not_signs)
        ]
        # keep the longest match for overlapping mentions of one sign
        spans.sort(key=lambda m: (m[0], -(m[1] - m[0])))
        findings: list[Finding] = []
        covered_until = -1
        previous_end = -1
        for start, end, sign in spans:
            if start < covered_until and findings and findings[-1].sign == sign:
                continue
            covered_until = max(covered_until, end)
            status, kind = self._context(doc, start, end, sign)
            # "not having any chest pain or trouble breathing": a denial carries over "or"
            if (
                status == CURRENT
                and findings
                and findings[-1].status == NEGATED
                and start >= 1
                and previous_end == start - 1
                and doc[start - 1].lower_ in {"or", "nor"}
            ):
                status = NEGATED
            previous_end = end
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

    def _context_bounds(self, doc: Doc, start: int, end: int) -> tuple[int, int]:
        """Scope of the context cues: like a clause, but a soft terminator ("and") only
        ends it when a new subject follows ("and I'm short of breath")."""

        def ends_scope(i: int) -> bool:
            word = doc[i].lower_
            if word in self.soft_terminators:
                return i + 1 < len(doc) and doc[i + 1].lower_ in self.clause_starters
            return word in SENTENCE_ENDS or word in self.terminators

        left = start
        while left > 0 and not ends_scope(left - 1):
            left -= 1
        right = end
        while right < len(doc) and not ends_scope(right):
            right += 1
        return left, right

    def _returned(self, doc: Doc, start: int, end: int, s_right: int) -> bool:
        """A time word after the mention says a denied or past sign is back (or never left)."""
        if self.returned.search(doc[start:s_right].text):
            return True
        rest = doc[end:s_right]
        after_break = False
        for token in rest:
            if token.lower_ in self.breaks:
                after_break = True
            elif after_break and token.lower_ in self.returned_after_break:
                return True
        return False

    def _has_current_cue(self, text: str) -> bool:
        for match in self.current.finditer(text):
            preceding = text[: match.start()].split()
            if preceding and preceding[-1] in self.current_negators:
                continue  # "nothing since", "nothing new", "no worse"
            return True
        return False

    def _is_other_person(self, before: str, rest_of_sentence: str) -> bool:
        others = list(self.other_person.finditer(before))
        if not others or self.me_too.search(rest_of_sentence):
            return False
        selves = list(self.first_person.finditer(before))
        # the person nearest the mention owns it
        return not selves or selves[-1].start() < others[-1].start()

    def _negated(self, doc: Doc, start: int, end: int, c_left: int, c_right: int) -> bool:
        near_before = doc[max(c_left, start - self.negation_scope) : start].text
        if self.negation_before.search(near_before):
            return True
        if self.negation_inside.search(doc[start:end].text):
            return True
        after = doc[end:c_right].text.strip()
        if after:
            return bool(self.negation_after.match(after))
        # "chest pain: none", "breathlessness - gone", "chest pain?? no"
        answer = end
        while answer < len(doc) and doc[answer].text in HEADING_MARKS:
            answer += 1
        if answer == end or answer == len(doc):
            return False
        _, right = self._bounds(doc, answer, answer, SENTENCE_ENDS | self.terminators)
        after = doc[answer:right].text.strip()
        return bool(self.negation_after.match(after)) or after in self.answer_denials

    def _context(self, doc: Doc, start: int, end: int, sign: str) -> tuple[str, Optional[str]]:
        s_left, s_right = self._bounds(doc, start, end, SENTENCE_ENDS)
        c_left, c_right = self._bounds(doc, start, end, SENTENCE_ENDS | self.terminators)
        w_left, w_right = self._context_bounds(doc, start, end)
        before = doc[w_left:start].text
        after = doc[end:w_right].text
        sentence = doc[s_left:s_right].text
        clause_first = doc[c_left].lower_
        sentence_first = doc[s_left].lower_
        ends_in_question = s_right < len(doc) and doc[s_right].text == "?"

        own_question = self.own_question.search(doc[s_left:start].text)
        # A question opener earlier in the sentence covers the mention ("what are the
        # warning signs, like chest pain?") unless its clause is the person's own
        # statement ("what should I do, I'm short of breath?").
        question = ends_in_question and (
            clause_first in QUESTION_STARTS
            or (sentence_first in QUESTION_STARTS and not self.first_person.search(doc[c_left:start].text))
        )
        if not own_question and (self.hypothetical.search(before) or question):
            return CONTEXT, HYPOTHETICAL
        # "until today", "but now", "again": a denied or past mention has come back.
        returned = self._returned(doc, start, end, s_right)
        if self._negated(doc, start, end, c_left, c_right):
            return (CURRENT, None) if returned else (NEGATED, None)
        if sign in self.context_only:
            return (CURRENT, None) if returned else (CONTEXT, CONDITION)
        if self._is_other_person(before, doc[end:s_right].text):
            return CONTEXT, OTHER_PERSON
        historical = (
            self.historical.search(before)
            or self.historical.search(after)
            or self.long_standing.search(doc[end:s_right].text)
        )
        if historical and not self._has_current_cue(sentence):
            return CONTEXT, HISTORICAL
        return CURRENT, None


@lru_cache(maxsize=4)
def get_detector(lexicon_path: Path = DEFAULT_LEXICON) -> RedFlagDetector:
    """One shared detector per lexicon file (building the matcher takes a few ms)."""
    return RedFlagDetector(lexicon_path)
