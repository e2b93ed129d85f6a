"""Understands a patient's free-text answers to the assessment questions.

"nope", "my kidneys are fine", "I started apixaban yesterday", "no cancer but I do
have heart failure": each clause of a message is matched against the topic of every
assessment slot (so one message can answer several questions) and given a polarity.
A bare "yes"/"no"/"not sure" answers the question that was asked. Hedged answers
("not that I know of", "I think so") are `unsure`: an unknown never counts as safe.
"""

from __future__ import annotations

import re
from typing import Optional

from dvt_triage import slots as s

# What each question is about. A clause that mentions a topic answers that slot.
TOPICS: dict[str, str] = {
    s.EMERGENCY_SCREEN: r"chest pain|trouble breathing|short(ness)? of breath|breathless",
    s.DIAGNOSIS_CONFIRMED: (
        r"ultra ?sound|doppler|duplex|scan(ned)?|imaging|venogra|diagnos|confirmed|"
        r"they (saw|found) (it|the clot|a clot)"
    ),
    s.CLOT_SMALL_STABLE: r"(clot|it|dvt)('s| is| was) (\w+ )?(small|stable|tiny|minor|large|big|growing|extensive)|(small|stable|tiny|large|big) (clot|dvt)",
    s.ANTICOAGULANT_STARTED: (
        r"blood ?thinner|anti-?coagula|apixaban|eliquis|rivaroxaban|xarelto|warfarin|"
        r"coumadin|jantoven|heparin|enoxaparin|lovenox|dalteparin|fragmin|dabigatran|"
        r"pradaxa|edoxaban|savaysa|lixiana|fondaparinux|arixtra|tinzaparin|injections?\b|shots?\b"
    ),
    s.FOLLOW_UP_AVAILABLE: (
        r"follow[- ]?up|appointment|check[- ]?up|see (my|the|a) (doctor|gp|nurse|specialist)|"
        r"booked|scheduled|review|clinic visit|coming back"
    ),
    s.SEVERE_SYMPTOMS: r"swell|swollen|(leg|calf|thigh|ankle|foot|knee) (is |are )?(very |really |so )?(pain|hurt|ache|aching|sore|tender)|severe (pain|swelling)",
    s.RECURRENT_CLOTS: (
        r"clots? (twice|before|again|in the past|previously)|(had|have had|got) (a |another |other )?clots?|"
        r"recurr|previous (clot|dvt|pe)|dvt before|(second|third|2nd|3rd|another|first) (clot|dvt|one|time)|"
        r"clots? (\w+ )?(times|years ago)|more than one clot|several clots|many clots|history of (clots|dvt)"
    ),
    s.HIGH_PE_RISK: r"pulmonary embol|\bpe\b|embolism",
    s.CANCER: r"cancer|tumou?r|chemo|oncolog|lymphoma|leuka?emia|malignan|metasta|myeloma|radiotherapy|radiation",
    s.KIDNEY_DISEASE: r"kidney|renal|dialysis|nephr",
    s.HEART_DISEASE: (
        r"heart (disease|failure|problem|condition|attack|trouble|issue)|heart'?s? (is |are )?(fine|ok|okay|good|healthy|normal)|"
        r"cardiac|angina|arrhythm|a-?fib|atrial fib|coronary|bypass|stent|pacemaker|valve"
    ),
    s.CLOTTING_DISORDER: (
        r"clotting (disorder|problem|condition)|bleeding disorder|factor v|leiden|thrombophilia|antiphospholipid|"
        r"protein [cs]|antithrombin|prothrombin|hypercoag|lupus anticoag|blood disorder"
    ),
    s.BLOOD_THINNER_UNSAFE: (
        r"bleed|bleeding|haemorrhag|hemorrhag|ulcer|allerg|interact|"
        r"(can'?t|cannot|can not|unable to|not able to|not allowed to|shouldn'?t|can) take|tolerate"
    ),
}

# Words that answer the question being asked, but are too common to assign to it otherwise
# ("pain" in "chest pain" is not an answer about leg pain).
ASKED_TOPICS: dict[str, str] = {
    s.SEVERE_SYMPTOMS: r"pain|hurt|ache|aching|sore|tender|severe|mild|bad\b|agony|unbearable|terrible|awful",
    s.CLOT_SMALL_STABLE: r"\bsmall\b|\bstable\b|\btiny\b|\bminor\b|\blarge\b|\bbig\b|\bgrowing\b|\bextensive\b",
    s.HIGH_PE_RISK: r"high[- ]risk|\blow[- ]risk|lungs?\b|\brisk\b",
}
# A clause that answers the first slot is not also an answer to the second
# ("I had a bad bleed on warfarin" is about safety, not about having started it).
SHADOWS = {s.BLOOD_THINNER_UNSAFE: s.ANTICOAGULANT_STARTED}

# A clause whose answer is uncertain. Checked before negation ("not sure", "don't know").
UNSURE_CUES = (
    r"not sure|unsure|don'?t know|do not know|dunno|no idea|not certain|uncertain|can'?t remember|"
    r"cannot remember|don'?t remember|not that i know|not that i'?m aware|not to my knowledge|"
    r"maybe|might|perhaps|possibly|i think|i guess|i believe|probably|not yet sure|haven'?t been told|"
    r"nobody told|no one told|wasn'?t told|ask(ed)? my doctor|idk|\?\s*$|hmm+|not clear|unclear|waiting for"
)
# A clause that denies what it mentions.
NEGATION_CUES = (
    r"\bno\b|\bnot\b|\bnope\b|\bnah\b|\bnever\b|\bnone\b|\bnothing\b|\bwithout\b|\bneither\b|\bnor\b|"
    r"n'?t\b|\bdon'?t\b|\bhaven'?t\b|\bhasn'?t\b|\bisn'?t\b|\baren'?t\b|\bwasn'?t\b|\bdidn'?t\b|\bnegative\b|"
    r"\bfree of\b|\bclear of\b|\bruled out\b"
)
# Words that mean "nothing wrong there" for a condition one might have.
HEALTHY_CUES = r"\bfine\b|\bok\b|\bokay\b|\bhealthy\b|\bnormal\b|\bgood\b|\bgreat\b|\bperfect\b|\ball clear\b"

# Slot-specific phrases whose polarity the generic rules would get wrong.
OVERRIDES: dict[str, tuple[tuple[str, str], ...]] = {
    s.BLOOD_THINNER_UNSAFE: (
        (r"(can'?t|cannot|can not|unable to|not able to|not allowed to|shouldn'?t) (take|have|use)", s.YES),
        (r"\bcan (take|have|use)|tolerate[sd]? (it|them|\w+) (fine|well)|no (problem|issue)s? (with|taking)", s.NO),
        (r"(had|have|get|got) (a )?(bad |major |serious |big )?(bleed|bleeding|haemorrhage|hemorrhage|ulcer)", s.YES),
    ),
    s.CLOT_SMALL_STABLE: (
        (r"\blarge\b|\bbig\b|\bgrowing\b|\bextensive\b|not (small|stable)", s.NO),
    ),
    s.SEVERE_SYMPTOMS: (
        (r"\bmild\b|\bslight\b|\ba (little|bit)\b|not (too |that |very )?(bad|severe)|manageable|bearable", s.NO),
    ),
    s.RECURRENT_CLOTS: (
        (r"\bfirst (clot|dvt|one|time)\b|only (one|this) (clot|one)|never (had|have had) (a |another )?clot", s.NO),
        (r"clots? (twice|\w+ times)|(second|third|2nd|3rd|another) (clot|dvt|one|time)|more than one clot|several clots", s.YES),
    ),
    s.ANTICOAGULANT_STARTED: (
        (r"(haven'?t|have not|not|didn'?t|did not|hasn'?t|not yet) (yet )?(started|begun|been (given|prescribed|started))", s.NO),
        (r"\b(started|starting|began|on|taking|take|prescribed|given|using|injecting)\b", s.YES),
    ),
}

YES_WORDS = (
    r"^(yes|yeah|yea|yep|yup|ya|yah|y|sure|correct|right|true|definitely|absolutely|affirmative|indeed|"
    r"of course|i do|i did|i have|i am|i'm|it is|it was|they did|they have|it has|that's right|uh huh|ok|okay|"
    r"yes i do|yes i have|certainly|totally|100%)\b"
)
NO_WORDS = (
    r"^(no|nope|nah|nay|n|never|not really|negative|none|nothing|no way|not at all|i don'?t|i do not|"
    r"i haven'?t|i have not|it isn'?t|it's not|they didn'?t|nothing like that)\b"
)

CLAUSE_SPLIT = re.compile(r"[.;!\n]+|,\s*(?:but|though|however|and)\b|\bbut\b|\bhowever\b|\bthough\b|\balthough\b")
QUESTION_START = re.compile(
    r"^\s*(what|why|how|when|where|who|which|is it|are you|can you|could you|should i|do i need|does)\b"
)


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_TOPICS = {slot: _compile(p) for slot, p in TOPICS.items()}
_ASKED_TOPICS = {slot: _compile(p) for slot, p in ASKED_TOPICS.items()}
_OVERRIDES = {slot: [(_compile(p), v) for p, v in rules] for slot, rules in OVERRIDES.items()}
_UNSURE = _compile(UNSURE_CUES)
_NEGATION = _compile(NEGATION_CUES)
_HEALTHY = _compile(HEALTHY_CUES)
_YES = _compile(YES_WORDS)
_HEDGED_NO = _compile(r"^(no,? )?(i )?(don'?t|do not) think so\b|^(i )?(don'?t|do not) believe so\b")
_NO = _compile(NO_WORDS)


def normalise(text: str) -> str:
    """Lower-case, straighten quotes and collapse white space."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    return re.sub(r"\s+", " ", text).strip()


def clauses(text: str) -> list[str]:
    """Split a message at sentence ends and contrastive words ("but", "however")."""
    return [c.strip(" ,") for c in CLAUSE_SPLIT.split(normalise(text)) if c and c.strip(" ,")]


def is_question(text: str) -> bool:
    """True for a message that asks rather than answers ("why do you ask?")."""
    t = normalise(text)
    return bool(QUESTION_START.match(t)) and (t.endswith("?") or len(t.split()) <= 8)


def generic_answer(text: str) -> Optional[str]:
    """A bare yes / no / not sure, without a topic ("nope", "I'm not sure")."""
    t = normalise(text).strip(" .!,")
    if _HEDGED_NO.match(t):
        return s.NO
    if _UNSURE.search(t) and not t.endswith("?"):
        return s.UNSURE
    if _NO.match(t):
        return s.NO
    if _YES.match(t):
        return s.YES
    return None


def _polarity(slot: str, clause: str) -> str:
    for pattern, value in _OVERRIDES.get(slot, ()):
        if pattern.search(clause):
            return value
    if _UNSURE.search(clause):
        return s.UNSURE
    if _NEGATION.search(clause):
        return s.NO
    if slot in s.EXCLUSIONS and _HEALTHY.search(clause):
        return s.NO
    return s.YES


def interpret(text: str, requested_slot: Optional[str] = None) -> dict[str, str]:
    """Every slot the message answers, with its value.

    A topic mentioned in a clause answers that slot; the question being asked is
    answered by a bare yes/no/unsure when no clause mentions its topic.
    """
    answers: dict[str, str] = {}
    if not text or not text.strip():
        return answers
    if is_question(text):
        return answers
    asked_topic = _ASKED_TOPICS.get(requested_slot) if requested_slot else None
    for clause in clauses(text):
        mentioned = {slot for slot, topic in _TOPICS.items() if topic.search(clause)}
        if asked_topic and asked_topic.search(clause):
            mentioned.add(requested_slot)
        if requested_slot != s.EMERGENCY_SCREEN:
            mentioned.discard(s.EMERGENCY_SCREEN)
        for slot, shadowed in SHADOWS.items():
            if slot in mentioned and shadowed != requested_slot:
                mentioned.discard(shadowed)
        for slot in mentioned:
            answers[slot] = _polarity(slot, clause)
    if requested_slot and requested_slot not in answers:
        first = clauses(text)[0] if clauses(text) else ""
        value = generic_answer(first) or generic_answer(text)
        if value:
            answers[requested_slot] = value
    return answers
