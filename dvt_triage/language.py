"""Is a message written in Spanish? Offline, from word lists a reviewer can read
(`data/languages.yml`): a message is Spanish when it has enough Spanish words and more of
them than English words, so a mostly English message is never treated as Spanish."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from dvt_triage.context import check_keys, words

DEFAULT_WORDS = Path(__file__).parent / "data" / "languages.yml"
ENGLISH = "en"
SPANISH = "es"
WORD = re.compile(r"[a-zñ]+")


def strip_accents(text: str) -> str:
    """"está" -> "esta", "pierna" unchanged; "ñ" is kept ("año" is not "ano")."""
    decomposed = unicodedata.normalize("NFD", text.replace("ñ", "\0").replace("Ñ", "\1"))
    plain = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return plain.replace("\0", "ñ").replace("\1", "Ñ")


@dataclass(frozen=True)
class LanguageDetector:
    spanish: frozenset[str]
    english: frozenset[str]
    min_spanish: int

    @classmethod
    def load(cls, path: Path = DEFAULT_WORDS) -> "LanguageDetector":
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        check_keys(str(path), data, {"min_spanish", "spanish", "english"}, {"min_spanish", "spanish", "english"})
        spanish = words(f"{path}: spanish", data["spanish"])
        english = words(f"{path}: english", data["english"])
        return cls(frozenset(spanish - english), frozenset(english - spanish), int(data["min_spanish"]))

    def detect(self, text: str) -> str:
        tokens = WORD.findall(strip_accents(text.lower()))
        spanish = sum(t in self.spanish for t in tokens)
        english = sum(t in self.english for t in tokens)
        return SPANISH if spanish >= self.min_spanish and spanish > english else ENGLISH


@lru_cache(maxsize=2)
def get_detector(path: Path = DEFAULT_WORDS) -> LanguageDetector:
    return LanguageDetector.load(path)


def detect(text: str) -> str:
    """"es" for a message written in Spanish, "en" otherwise."""
    return get_detector().detect(text or "")
