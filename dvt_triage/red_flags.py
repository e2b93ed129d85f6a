"""Red-flag detection: emergency signs in free text, with their context.

A blank spaCy English pipeline tokenises the text and a token `Matcher` finds the
signs listed in `data/red_flags.yml` (lay phrasing, spelling variants, typos). Each
mention is then classified by ConText-style rules with small scopes: `current` (the
person has it now), `negated` ("no chest pain"), or `context` (someone else,
hypothetical, in the past). The rules favour sensitivity: a mention is current unless a
cue says otherwise, and time words such as "until", "now", "again" and "yesterday" make it
current. "New" means recent, not only now: a sign that has passed ("it went away") is current
with a recent time word, context with a long-ago one, and otherwise `suspected`.

Two tiers. The signs are precise patterns: a current one gets the emergency instruction at
once. The suspicion tier is built for recall: when the signs find nothing current, any
mention of a body system or event an emergency can show up in (chest, breath, heartbeat,
blood in a cough, fainting, a leg swelling that changes, bleeding) is `suspected`, unless it
is denied, about someone else or a general question, and the assistant asks the confirming
question. Spanish signs are in the same lexicon; accents are removed before matching.
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
from dvt_triage.language import strip_accents

DEFAULT_LEXICON = Path(__file__).parent / "data" / "red_flags.yml"

CURRENT = "current"
SUSPECTED = "suspected"
NEGATED = "negated"
CONTEXT = "context"
NONE = "none"
# The most urgent status of a message's findings wins.
URGENCY = (CURRENT, SUSPECTED, CONTEXT, NEGATED)

# Context kinds, reported with a `context` finding.
OTHER_PERSON = "other_person"
HYPOTHETICAL = "hypothetical"
HISTORICAL = "historical"
CONDITION = "condition"
PASSED = "passed"  # said to be over, with no time word: was it in the last few days?

SENTENCE_ENDS = {".", "!", "?", ";", "\n"}
# A sign used as a heading, answered after it: "chest pain: none", "breathlessness - no",
# "chest pain? no".
HEADING_MARKS = {":", "-", "?"}
NOT_SIGN_PREFIX = "not_sign:"
NOT_SUSPECT = "not_suspicion"
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
    def needs_confirming(self) -> bool:
        """A mention that is not clearly the person's current sign, and not denied: ask."""
        return self.status in (SUSPECTED, CONTEXT)

    @property
    def signs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.sign for f in self.findings if f.status == self.status))


# A token spec that is a list of plain words ("(chest|chst)", "pains?", "-"): matched as a
# set lookup, far cheaper for the Matcher than a regex. "?" after a letter makes it optional.
PLAIN_WORD = re.compile(r"[a-z0-9'&/,-]+\??")


def _plain_words(regex: str) -> Optional[list[str]]:
    """The words a spec of plain alternatives matches, or None if it needs a regex."""
    body = regex[1:-1] if regex.startswith("(") and regex.endswith(")") else regex
    words: list[str] = []
    for alternative in body.split("|"):
        if not PLAIN_WORD.fullmatch(alternative) or alternative.count("?") > 1:
            return None
        if alternative.endswith("?"):
            words += [alternative[:-2], alternative[:-1]]
        else:
            words.append(alternative)
    return words


def _token_pattern(spec: str, filler_stops: list[str]) -> dict:
    if spec == "_":
        return {"IS_PUNCT": False, "IS_SPACE": False, "LOWER": {"NOT_IN": filler_stops}, "OP": "?"}
    optional = spec.endswith("?") and not spec.endswith("\\?")
    regex = spec[:-1] if optional else spec
    words = _plain_words(regex)
    token = {"LOWER": {"IN": words}} if words else {"LOWER": {"REGEX": f"^(?:{regex})$"}}
    if optional:
        token["OP"] = "?"
    return token


def _phrase_regex(phrases: Iterable[str]) -> re.Pattern[str]:
    alternatives = sorted((re.escape(str(p)) for p in phrases), key=len, reverse=True)
    # a phrase may carry a possessive: "my daughter's heart"
    return re.compile(r"(?<![\w'])(?:" + "|".join(alternatives) + r")(?!\w)(?!'(?!s\b))")


# Per sign, its rules: (the first word, the other words), each a regex that finds one
# space-delimited word in " word word word ".
WordRules = dict[str, list[tuple[re.Pattern[str], list[re.Pattern[str]]]]]
# A word just after one of these does not count towards a rule of words ("not worse").
WORD_NEGATORS = {"not", "no", "never", "nothing", "without", "sin", "nunca"}


def _word_rules(section: Optional[dict]) -> WordRules:
    """Rules of words that must occur together in a sentence: each word a regex on one token."""

    def word(pattern: str) -> re.Pattern[str]:
        return re.compile(f" (?:{pattern})(?= )")

    return {
        sign: [(word(first), [word(w) for w in others]) for first, *others in rules]
        for sign, rules in (section or {}).items()
    }


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
        # Run only when a message has a word the rules of words start with (most have none).
        self.not_suspect_matcher = Matcher(self.nlp.vocab)
        self.not_suspect_matcher.add(
            NOT_SUSPECT, [[_token_pattern(str(t), stops) for t in pattern] for pattern in lexicon.get(NOT_SUSPECT) or []]
        )
        self.together = _word_rules(lexicon.get("signs_together"))
        self.suspicion = _word_rules(lexicon.get("suspicion"))
        self.first_words = re.compile(
            "|".join(first.pattern for rules in (self.together, self.suspicion) for s in rules.values() for first, _ in s)
        )
        self.context_only = set(lexicon.get("context_only_signs", []))
        ctx = lexicon["context"]
        self.negation_before = _phrase_regex(ctx["negation_before"])
        self.negation_after = _phrase_regex(ctx["negation_after"])
        self.passed = _phrase_regex(ctx["passed"])
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
        self.now_statement = _phrase_regex(ctx["now_statement"])
        self.current = _phrase_regex(ctx["current"])
        self.current_negators = {str(w) for w in ctx["current_negators"]}

    def normalise(self, text: str) -> str:
        """Lower-case and rewrite run-together words, contractions and shorthand."""
        text = strip_accents(text.replace("\u2019", "'").replace("\u2018", "'").lower())
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
        # what is not a sign is not a suspicion either
        not_suspect = [(start, end) for start, end, _ in not_signs]
        # keep the longest match for overlapping mentions of one sign
        spans.sort(key=lambda m: (m[0], -(m[1] - m[0])))
        findings: list[Finding] = []
        covered: set[int] = set()
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
            covered.update(range(start, end))
        if not self.first_words.search(" " + " ".join(t.lower_ for t in doc) + " "):
            return self._result(findings)
        not_suspect += [(start, end) for _, start, end in self.not_suspect_matcher(doc)]
        not_words = set().union(*(range(start, end) for start, end in not_suspect))
        excluded = covered | not_words
        for sign, index in self._words_together(doc, self.together, excluded):
            status, kind = self._context(doc, index, index + 1, sign)
            if status == NEGATED and not self._clearly_denied(doc, index):
                status = SUSPECTED  # "my jeans won't go over my calf, it's so much bigger"
            findings.append(Finding(sign, doc[index].text, status, kind))
            excluded.add(index)
        if not any(f.status == CURRENT for f in findings):
            findings += self._suspicions(doc, excluded)
        return self._result(findings)

    @staticmethod
    def _result(findings: list[Finding]) -> RedFlagResult:
        for status in URGENCY:
            if any(f.status == status for f in findings):
                return RedFlagResult(status, tuple(findings))
        return RedFlagResult(NONE)

    @staticmethod
    def _sentences(doc: Doc) -> list[tuple[int, int]]:
        sentences = []
        start = 0
        for i, token in enumerate(doc):
            if token.lower_ in SENTENCE_ENDS:
                sentences.append((start, i))
                start = i + 1
        sentences.append((start, len(doc)))
        return sentences

    def _words_together(self, doc: Doc, rules: WordRules, excluded: set[int]) -> list[tuple[str, int]]:
        """(sign, index of its first word) for each sign with a rule whose words all occur in
        one sentence, none right after a negator nor already used; at most one per sign."""
        sentences = []
        for s_start, s_end in self._sentences(doc):
            kept = [i for i in range(s_start, s_end) if i not in excluded and not self._word_negated(doc, i)]
            if kept:
                sentences.append((kept, " " + " ".join(doc[i].lower_ for i in kept) + " "))
        found = []
        for sign, sign_rules in rules.items():
            hit = None
            for first, others in sign_rules:
                for kept, words in sentences:
                    if first.search(words) and all(o.search(words) for o in others):
                        hit = next(i for i in kept if first.search(f" {doc[i].lower_} "))
                        break
                if hit is not None:
                    found.append((sign, hit))
                    break
        return found

    @staticmethod
    def _word_negated(doc: Doc, index: int) -> bool:
        """A negator up to three words before, in the same clause ("not worse", "no black or
        blood")."""
        for i in range(index - 1, max(-1, index - 4), -1):
            if doc[i].is_punct:
                return False
            if doc[i].lower_ in WORD_NEGATORS:
                return True
        return False

    def _clearly_denied(self, doc: Doc, index: int) -> bool:
        """For the suspicion tier, recall first: a denial counts when it follows the word
        ("breathing is fine") or is close before it in the same clause ("no chest pain", "not
        having any chest pain"), not five words back ("my jeans won't go over my calf")."""
        clause_start, _ = self._bounds(doc, index, index + 1, SENTENCE_ENDS | self.terminators)
        near_before = doc[max(clause_start, index - self.negation_scope) : index].text
        cues = list(self.negation_before.finditer(near_before))
        # a negation of several words is unambiguous: "nothing wrong with my breathing"
        return self._word_negated(doc, index) or not cues or any(" " in c.group(0) for c in cues)

    def _suspicions(self, doc: Doc, excluded: set[int]) -> list[Finding]:
        """The suspicion tier: body systems and events an emergency can show up in, unless
        denied, about someone else, or a general question."""
        found = []
        for sign, index in self._words_together(doc, self.suspicion, excluded):
            status, kind = self._context(doc, index, index + 1, sign)
            if kind in (OTHER_PERSON, HYPOTHETICAL) or (status == NEGATED and self._clearly_denied(doc, index)):
                continue
            found.append(Finding(sign, doc[index].text, SUSPECTED, kind))
        return found

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

    def _returned(self, doc: Doc, start: int, end: int, sentence_end: int) -> bool:
        """A time word after the mention says a denied or past sign is back (or never left)."""
        if self.returned.search(doc[start:sentence_end].text):
            return True
        rest = doc[end:sentence_end]
        after_break = False
        for token in rest:
            if token.lower_ in self.breaks:
                after_break = True
            elif after_break and token.lower_ in self.returned_after_break:
                return True
        return False

    def _historical(self, doc: Doc, sentence_start: int, start: int, sentence_end: int) -> bool:
        """A past or long-standing cue in the sentence, unless the person starts a statement
        about now between it and the mention ("I had a PE years ago and I'm short of breath")."""
        if self.historical.search(doc[start:sentence_end].text) or self.long_standing.search(doc[sentence_start:sentence_end].text):
            return True
        before = doc[sentence_start:start].text
        cues = list(self.historical.finditer(before))
        return bool(cues) and not self.now_statement.search(before[cues[-1].end() :])

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

    def _negated(self, doc: Doc, start: int, end: int, clause_start: int, clause_end: int) -> bool:
        near_before = doc[max(clause_start, start - self.negation_scope) : start].text
        if self.negation_before.search(near_before):
            return True
        if self.negation_inside.search(doc[start:end].text):
            return True
        after = doc[end:clause_end].text.strip()
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
        sentence_start, sentence_end = self._bounds(doc, start, end, SENTENCE_ENDS)
        clause_start, clause_end = self._bounds(doc, start, end, SENTENCE_ENDS | self.terminators)
        window_start, _ = self._context_bounds(doc, start, end)
        before = doc[window_start:start].text
        sentence = doc[sentence_start:sentence_end].text
        clause_first = doc[clause_start].lower_
        sentence_first = doc[sentence_start].lower_
        ends_in_question = sentence_end < len(doc) and doc[sentence_end].text == "?"

        own_question = self.own_question.search(doc[sentence_start:start].text)
        # A question opener earlier in the sentence covers the mention ("what are the
        # warning signs, like chest pain?") unless its clause is the person's own
        # statement ("what should I do, I'm short of breath?").
        question = ends_in_question and (
            clause_first in QUESTION_STARTS
            or (sentence_first in QUESTION_STARTS and not self.first_person.search(doc[clause_start:start].text))
        )
        if not own_question and (self.hypothetical.search(before) or question):
            return CONTEXT, HYPOTHETICAL
        # "until today", "but now", "again": a denied or past mention has come back.
        returned = self._returned(doc, start, end, sentence_end)
        if self._negated(doc, start, end, clause_start, clause_end):
            return (CURRENT, None) if returned else (NEGATED, None)
        rest_of_sentence = doc[end:sentence_end].text
        if sign in self.context_only:
            # A long-standing condition is current only if the person says it is worse
            # ("my asthma is not getting better"), not because a later clause says "today".
            flared = self.returned.search(doc[start:sentence_end].text)
            return (CURRENT, None) if flared else (CONTEXT, CONDITION)
        if self._is_other_person(before, rest_of_sentence):
            return CONTEXT, OTHER_PERSON
        historical = self._historical(doc, sentence_start, start, sentence_end)
        recent = self._has_current_cue(sentence)
        if self.passed.search(rest_of_sentence) and not returned:
            # "New" means recent: a sign that has passed counts if it was in the last few days.
            if recent:
                return CURRENT, None
            return (CONTEXT, HISTORICAL) if historical else (SUSPECTED, PASSED)
        if historical and not recent:
            return CONTEXT, HISTORICAL
        return CURRENT, None


@lru_cache(maxsize=4)
def get_detector(lexicon_path: Path = DEFAULT_LEXICON) -> RedFlagDetector:
    """One shared detector per lexicon file (building the matcher takes a few ms)."""
    return RedFlagDetector(lexicon_path)
