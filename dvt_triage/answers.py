"""Understands a patient's free-text answers to the assessment questions.

"nope", "my kidneys are fine", "I started apixaban yesterday", "no cancer but I do have
heart failure": every mention of a question's topic (data/answer_topics.yml) answers that
question, whichever was asked, so one message can answer several; a clause with no topic
("yes", "not yet", "I don't think so") answers the question that was asked. The context
engine (dvt_triage.context, data/context_rules.yml) says whether each mention is negated,
hedged, past, future, or someone else's.

Safety is asymmetric: a reading that makes the patient look safer needs a clear statement.
- A hedge, a double negative, or a past condition with no clear status is "unsure".
- Someone else's condition answers nothing about the patient (for the question asked it is
  "unsure": the patient has not said).
- A self-correction ("no wait, actually yes") replaces what came before it; otherwise, when
  the clauses disagree, the reading that is not the safer-looking one wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

import yaml
from spacy.matcher import Matcher
from spacy.tokens import Doc

from dvt_triage import context as ctx
from dvt_triage import slots as s

DEFAULT_TOPICS = ctx.DATA / "answer_topics.yml"

PAST_VALUES = {"unsure": s.UNSURE, "yes": s.YES, "ignore": None}
FUTURE_VALUES = {"no": s.NO, "ignore": None}
SLOT_KEYS = frozenset({"topics", "asked_only", "past", "future", "negated", "parts", "shadowed_by"})
TOPIC_KEYS = frozenset({"phrases", "pattern", "value", "part", "past"})
# A mention that names the topic without saying yes or no ("the pain", "my risk of a PE"):
# read as yes (no if negated), but only when nothing clearer is said.
MENTION = "mention"
TOPIC_VALUES = (s.YES, s.NO, MENTION)
FILE_KEYS = frozenset({"typo_terms", "not_typos", "slots", "answers"})
ANSWER_KEYS = frozenset({"fillers", "trailing", "yes", "no"})
# The kinds of mention a context rule's `allowed_types` can name.
KINDS = {
    s.EMERGENCY_SCREEN: "emergency",
    **{slot: "condition" for slot in s.CONDITIONS},
    **{slot: "exclusion" for slot in s.EXCLUSIONS},
}
# The reading that makes a patient look safer than they are.
SAFE_LOOKING = {
    **{slot: s.NO for slot in (s.EMERGENCY_SCREEN, *s.EXCLUSIONS)},
    **{slot: s.YES for slot in s.CONDITIONS},
}
CAUTIOUS = {slot: s.YES if value == s.NO else s.NO for slot, value in SAFE_LOOKING.items()}
QUESTION_WORDS = frozenset(
    {
        "what",
        "why",
        "how",
        "when",
        "where",
        "who",
        "which",
        "is",
        "are",
        "can",
        "could",
        "should",
        "does",
        "do",
        "will",
        "would",
    }
)


@dataclass(frozen=True)
class Mention:
    slot: str
    start: int
    end: int
    value: str
    asked_only: bool
    part: Optional[str] = None
    past: Optional[str] = None  # the topic's own reading of the past (a pacemaker fitted stays)


@dataclass(frozen=True)
class SlotRules:
    past: Optional[str]
    future: Optional[str]
    negated: str
    parts: tuple[str, ...] = ()
    shadowed_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reading:
    """One clause's answer to one question, where it starts, and whether it is weak (a
    double negative, read only when nothing clearer is said)."""

    slot: str
    position: int
    value: str
    weak: bool = False
    part: Optional[str] = None


def _damerau1(a: str, b: str) -> bool:
    """Whether b is a at one edit: a letter missing, extra, wrong, or two swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


class AnswerReader:
    """Reads answers; configured entirely by the topic file and the context engine's rules."""

    def __init__(
        self, topics_path: Path = DEFAULT_TOPICS, engine: Optional[ctx.ContextEngine] = None
    ) -> None:
        self.engine = engine or ctx.get_engine()
        nlp, norms = self.engine.nlp, self.engine.norms
        data = yaml.safe_load(Path(topics_path).read_text(encoding="utf-8"))
        ctx.check_keys(str(topics_path), data, FILE_KEYS, FILE_KEYS)
        unknown = set(data["slots"]) - set(s.FORM_SLOTS)
        if unknown or set(s.FORM_SLOTS) - set(data["slots"]):
            raise ctx.RuleError(
                f"{topics_path}: slots must be exactly {s.FORM_SLOTS}; unknown {sorted(unknown)}"
            )
        self.typo_terms = ctx.words(f"{topics_path}: typo_terms", data["typo_terms"])
        self.not_typos = ctx.words(f"{topics_path}: not_typos", data["not_typos"])
        self.matcher = Matcher(nlp.vocab, validate=True)
        self.slot_rules: dict[str, SlotRules] = {}
        for slot, spec in data["slots"].items():
            where = f"{topics_path}: {slot}"
            ctx.check_keys(where, spec, SLOT_KEYS, {"topics", "past", "future"})
            if spec["past"] not in PAST_VALUES or spec["future"] not in FUTURE_VALUES:
                raise ctx.RuleError(
                    f"{where}: past must be one of {list(PAST_VALUES)}, future one of {list(FUTURE_VALUES)}"
                )
            negated = str(spec.get("negated", s.NO))
            if negated not in (s.NO, s.UNSURE):
                raise ctx.RuleError(f"{where}: negated must be no or unsure")
            parts = tuple(str(p) for p in spec.get("parts") or ())
            shadowed_by = tuple(str(p) for p in spec.get("shadowed_by") or ())
            if set(shadowed_by) - set(s.FORM_SLOTS):
                raise ctx.RuleError(f"{where}: shadowed_by names unknown slots {shadowed_by}")
            self.slot_rules[slot] = SlotRules(
                PAST_VALUES[spec["past"]], FUTURE_VALUES[spec["future"]], negated, parts, shadowed_by
            )
            for group in ("topics", "asked_only"):
                for number, topic in enumerate(spec.get(group) or []):
                    twhere = f"{where}: {group} {number + 1}"
                    ctx.check_keys(twhere, topic, TOPIC_KEYS)
                    value = str(topic.get("value", s.YES))
                    if value not in TOPIC_VALUES:
                        raise ctx.RuleError(f"{twhere}: value must be one of {TOPIC_VALUES}")
                    part = str(topic.get("part", ""))
                    if part and part not in parts:
                        raise ctx.RuleError(f"{twhere}: part {part!r} not in the slot's parts {parts}")
                    past = str(topic.get("past", ""))
                    if past and past not in PAST_VALUES:
                        raise ctx.RuleError(f"{twhere}: past must be one of {list(PAST_VALUES)}")
                    key = f"{slot}|{value}|{group}|{part}|{past}"
                    ctx.add_patterns(self.matcher, nlp, key, topic, twhere, norms)
        answers = data["answers"]
        ctx.check_keys(f"{topics_path}: answers", answers, ANSWER_KEYS, ANSWER_KEYS)
        self.fillers = ctx.words(f"{topics_path}: fillers", answers["fillers"])
        self.trailing = ctx.words(f"{topics_path}: trailing", answers["trailing"])
        self.answer_matcher = Matcher(nlp.vocab, validate=True)
        for value in (s.YES, s.NO):
            for number, spec in enumerate(answers[value]):
                where = f"{topics_path}: answers {value} {number + 1}"
                ctx.check_keys(where, spec, {"phrases", "pattern", "whole_clause"})
                key = f"{value}|{'whole' if spec.get('whole_clause') else 'start'}"
                ctx.add_patterns(self.answer_matcher, nlp, key, spec, where, norms)

    # --- tokens --------------------------------------------------------------------------
    def _correct_typos(self, doc: Doc) -> None:
        for token in doc:
            word = token.norm_
            if len(word) < 5 or not word.isalpha() or word in self.typo_terms or word in self.not_typos:
                continue
            near = [t for t in self.typo_terms if t[0] == word[0] and _damerau1(word, t)]
            if len(near) == 1:
                token.norm_ = near[0]

    def parse(self, text: str) -> ctx.Parsed:
        parsed = self.engine.parse(text)
        self._correct_typos(parsed.doc)
        return parsed

    # --- reading -------------------------------------------------------------------------
    def mentions(self, parsed: ctx.Parsed, requested: Optional[str]) -> list[Mention]:
        found = []
        for match_id, start, end in self.matcher(parsed.doc):
            slot, value, group, part, past = self.engine.nlp.vocab.strings[match_id].split("|")
            if group == "asked_only" and slot != requested:
                continue
            if slot == s.EMERGENCY_SCREEN and requested != s.EMERGENCY_SCREEN:
                continue
            found.append(
                Mention(
                    slot,
                    start,
                    end,
                    value,
                    group == "asked_only",
                    part or None,
                    PAST_VALUES[past] if past else None,
                )
            )
        # Per slot, the longest mention wins over those inside it ("small clot" over "small").
        found.sort(key=lambda m: (-(m.end - m.start), m.start))
        kept: list[Mention] = []
        for m in found:
            if all(k.slot != m.slot or m.end <= k.start or m.start >= k.end for k in kept):
                kept.append(m)
        # A topic named in full outranks a word that only answers the question asked.
        return sorted(kept, key=lambda m: m.start)

    def _answer_no(self, parsed: ctx.Parsed, cue: ctx.Cue) -> bool:
        """A clause that opens with a bare "no": the patient's answer, which a further negation
        reinforces ("no, never", "nope, first time") rather than cancels."""
        return (
            cue.end - cue.start == 1
            and parsed.doc[cue.start].norm_ == "no"
            and parsed.clause_of(cue.start)[0] == cue.start
        )

    @staticmethod
    def _joined(parsed: ctx.Parsed, first: Mention, then: Mention) -> bool:
        """`then` follows `first` after "or" / "nor": a denial inside `first` carries over
        ("isn't growing or moving")."""
        return then.start == first.end + 1 and parsed.doc[first.end].norm_ in ("or", "nor")

    def _mention_value(
        self, parsed: ctx.Parsed, m: Mention, others: list[Mention]
    ) -> tuple[Optional[str], bool]:
        """The value of one mention and whether it is weak; None when it says nothing about
        the patient (someone else's, hypothetical)."""
        # A cue inside another mention belongs to it ("not bad" does not deny "a little tender").
        mods = [
            c
            for c in parsed.modifiers(m.start, m.end, KINDS[m.slot])
            if not any(
                o is not m and o.start <= c.start and c.end <= o.end and not self._joined(parsed, o, m)
                for o in others
            )
        ]
        cats = [c.category for c in mods]
        rules = self.slot_rules[m.slot]
        # "my mum has it and so do I": the speaker's own after all, wherever they say so
        own = ctx.SELF in cats or any(c.category == ctx.SELF and c.start >= m.end for c in parsed.cues)
        if ctx.OTHER_PERSON in cats and not own:
            return None, False
        if ctx.POSSIBLE in cats:
            return s.UNSURE, False  # "not sure if it's a blood thinner": a hedge is clear
        if ctx.HYPOTHETICAL in cats:
            return None, False
        if ctx.FRAME in cats:
            return s.UNSURE, True  # "it's not like I've never ...": only what follows is clear
        weak = m.value == MENTION
        value = s.YES if m.value == MENTION else m.value
        # Negation cues on one side of the mention: two of them ("not that I haven't") are a
        # double negative, one on each side ("no chest pain, breathing fine") is no more than one.
        negations = [c for c in mods if c.category == ctx.NEGATED]
        answer_no = [c for c in negations if self._answer_no(parsed, c)]
        before = sum(1 for c in negations if c.start < m.start and c not in answer_no)
        after = sum(1 for c in negations if c.start >= m.end)
        if max(before, after) >= 2:
            return s.UNSURE, True
        if before or after or answer_no:
            if value == s.YES:
                return rules.negated, weak
            if answer_no and not (before or after):
                return s.NO, weak  # "nope, first time", "nah low risk"
            return s.UNSURE, weak  # "not small": a denied "no" is no clear yes
        if value == s.YES and ctx.FUTURE in cats and rules.future is not None:
            return rules.future, weak
        past = m.past or rules.past
        if value == s.YES and ctx.RESOLVED in cats and past is not None:
            return past, weak  # "in remission since 2019": over, whatever the time words say
        if value == s.YES and ctx.HISTORICAL in cats and ctx.CURRENT not in cats and past is not None:
            return past, weak
        return value, weak

    def _clause_answer(self, parsed: ctx.Parsed, start: int, end: int) -> Optional[tuple[str, bool]]:
        """A clause that answers without a topic: "yes", "no", "not yet", "dunno"."""
        cats = [c.category for c in parsed.cues if start <= c.start < end]
        if ctx.FRAME in cats:
            return s.UNSURE, True
        if ctx.POSSIBLE in cats:
            return s.UNSURE, False
        i = start
        while i < end and (parsed.doc[i].norm_ in self.fillers or parsed.doc[i].is_punct):
            i += 1
        if i >= end or any(p_start <= i < p_end for p_start, p_end in parsed.pseudo):
            return None  # "nothing to worry about" is no "nothing"
        last = end
        while last > i and (parsed.doc[last - 1].norm_ in self.trailing or parsed.doc[last - 1].is_punct):
            last -= 1
        matches = []
        for match_id, m_start, m_end in self.answer_matcher(parsed.doc[i:end]):
            value, extent = self.engine.nlp.vocab.strings[match_id].split("|")
            # "i have" is a yes only on its own: "I have a cold" says something else
            if m_start == 0 and (extent == "start" or i + m_end >= last):
                matches.append((value, m_end))
        if not matches:
            return None
        value = max(matches, key=lambda x: x[1])[0]
        if ctx.OTHER_PERSON in cats and ctx.SELF not in cats and value == s.YES:
            return None
        negations = [c for c in parsed.cues if start <= c.start < end and c.category == ctx.NEGATED]
        if value == s.NO and len([c for c in negations if not self._answer_no(parsed, c)]) >= 2:
            return s.UNSURE, True  # "not that I haven't": no clear no
        return value, False

    def says_yes(self, text: str) -> bool:
        """Whether the reply answers with a plain yes ("yes", "yeah I do", "sure"), not only by
        naming things ("the swelling is the same"); a later self-correction undoes it."""
        if not text or not text.strip():
            return False
        parsed = self.parse(text)
        for c_start, c_end in parsed.clauses:
            answer = self._clause_answer(parsed, c_start, c_end)
            if answer == (s.YES, False) and not any(c > c_start for c in parsed.corrections):
                return True
        return False

    def read(self, text: str, requested: Optional[str] = None) -> dict[str, str]:
        if not text or not text.strip():
            return {}
        parsed = self.parse(text)
        if is_question_doc(parsed.doc):
            return {}
        readings: list[Reading] = []
        others_only: set[str] = set()
        mentions = self.mentions(parsed, requested)
        clause_answers: dict[tuple[int, int], Optional[tuple[str, bool]]] = {}

        def clause_answer(clause: tuple[int, int]) -> Optional[tuple[str, bool]]:
            if clause not in clause_answers:
                clause_answers[clause] = self._clause_answer(parsed, *clause)
            return clause_answers[clause]

        for c_start, c_end in parsed.clauses:
            in_clause = [m for m in mentions if c_start <= m.start < c_end]
            slots_here = {m.slot for m in in_clause}
            # A word that only answers the question asked ("stage 3") is about another topic
            # when the clause names one ("CKD stage 3" when asked about cancer).
            named = {m.slot for m in in_clause if not m.asked_only}
            in_clause = [
                m
                for m in in_clause
                if not m.asked_only or m.slot == s.EMERGENCY_SCREEN or not named - {m.slot}
            ]
            in_clause = [
                m
                for m in in_clause
                if m.slot == requested or not set(self.slot_rules[m.slot].shadowed_by) & slots_here
            ]
            answered = set()
            for m in in_clause:
                value, weak = self._mention_value(parsed, m, in_clause)
                if value is None:
                    others_only.add(m.slot)
                    answered.add(m.slot)
                    continue
                readings.append(Reading(m.slot, m.start, value, weak, m.part))
                answered.add(m.slot)
            if requested and not answered:
                clause = clause_answer((c_start, c_end))
                if clause:
                    readings.append(Reading(requested, c_start, clause[0], clause[1]))
        result = {}
        for slot in dict.fromkeys(r.slot for r in readings):
            result[slot] = combine(slot, [r for r in readings if r.slot == slot], parsed.corrections)
            parts = self.slot_rules[slot].parts
            if parts and result[slot] == s.YES:
                # "small" alone does not answer "small and stable?"
                said = {r.part for r in readings if r.slot == slot and r.value == s.YES}
                if None not in said and not set(parts) <= said:
                    result[slot] = s.UNSURE
        if requested and result.get(requested) == s.YES:
            # "high blood pressure only, not sure if that counts": a hedge after the answer
            # qualifies it, unless the patient corrected themself after it
            for c_start, c_end in parsed.clauses:
                if any(c_start <= m.start < c_end for m in mentions):
                    continue
                lead = clause_answer((c_start, c_end))
                if (
                    lead
                    and lead[0] == s.UNSURE
                    and not lead[1]
                    and not any(c > c_start for c in parsed.corrections)
                ):
                    if any(r.slot == requested and r.position < c_start for r in readings):
                        result[requested] = s.UNSURE
        if requested and parsed.clauses and requested in result:
            # "maybe, I had a swollen leg years ago": a hedge given as the answer covers what follows
            first = parsed.clauses[0]
            lead = clause_answer(first)
            if (
                lead
                and lead == (s.UNSURE, False)
                and not any(first[0] <= m.start < first[1] for m in mentions)
            ):
                if not any(c > first[0] for c in parsed.corrections):
                    result[requested] = s.UNSURE
        if requested and requested not in result and requested in others_only:
            result[requested] = s.UNSURE  # only someone else's: the patient has not said
        return result


def combine(slot: str, readings: list[Reading], corrections: list[int]) -> str:
    """One value from a slot's readings in reading order. After a self-correction only what
    follows it counts; a weak reading counts only when nothing clearer was said; otherwise
    disagreeing readings give the reading that is not the safer-looking one."""
    readings = sorted(readings, key=lambda r: r.position)
    last_correction = max((c for c in corrections if any(r.position >= c for r in readings)), default=None)
    if last_correction is not None:
        readings = [r for r in readings if r.position >= last_correction]
    clear = [r for r in readings if not r.weak] or readings
    values = {r.value for r in clear}
    if len(values) == 1:
        return values.pop()
    if CAUTIOUS[slot] in values:
        return CAUTIOUS[slot]
    return s.UNSURE


def is_question_doc(doc: Doc) -> bool:
    words = [t.norm_ for t in doc if not t.is_punct]
    if not words:
        return False
    asks = doc[-1].text == "?" or len(words) <= 8
    return (
        words[0] in QUESTION_WORDS
        and asks
        and not (words[0] in {"is", "are", "do", "does"} and doc[-1].text != "?")
    )


@lru_cache(maxsize=4)
def get_reader(topics_path: Path = DEFAULT_TOPICS) -> AnswerReader:
    """One shared reader per topic file."""
    return AnswerReader(topics_path)


def interpret(text: str, requested_slot: Optional[str] = None) -> dict[str, str]:
    """Every slot the message answers, with its value (yes / no / unsure)."""
    return get_reader().read(text, requested_slot)


def says_yes(text: str) -> bool:
    """Whether the reply answers with a plain yes, not only by naming things."""
    return get_reader().says_yes(text)
