"""The clinic the assistant speaks for: name, phone number, emergency number and insurance
note, read from clinic.yml (or the file CLINIC_SETTINGS names) and the environment.

Plain Python, no Rasa import. The wording in domain.yml and web/public/index.html names
these values by placeholder ({clinic_name}, {clinic_phone}, {emergency_number}, ...), and
every process that shows wording to a patient fills them in from `current()`: the Rasa
server (rasa_plugins.clinic_responses), the SMS channel's own replies and the web page.
The settings are not a training input, so a new phone number needs a restart, not a model.

A missing or empty value, an unknown key, or a value that could break the wording (a phone
number with no digits, markdown or placeholder characters, a name longer than the SMS
texts were measured with) stops start-up with a message that names it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Mapping, Optional

import yaml

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "clinic.yml"
SETTINGS_FILE_VARIABLE = "CLINIC_SETTINGS"

# Each setting, and the environment variable that overrides it.
ENVIRONMENT = {
    "name": "CLINIC_NAME",
    "phone": "CLINIC_PHONE",
    "emergency_number": "EMERGENCY_NUMBER",
    "insurance_note": "CLINIC_INSURANCE_NOTE",
}

# The longest values accepted. The SMS texts are checked to fit their limits with values this
# long (tests/unit/test_sms_text.py, test_outcome_length.py), so that no clinic can push an
# emergency text past one SMS or the longest outcome past three. Name and phone share the
# room: 28 + 16 characters is the most with which the outcome still fits.
MAX_NAME_CHARS = 28
MAX_PHONE_CHARS = 16
MAX_EMERGENCY_DIGITS = 5  # 911, 112, 999, 000, ... and South Africa's 10111
MAX_INSURANCE_NOTE_CHARS = 160
MIN_PHONE_DIGITS = 3

# Characters that would change what the wording means around a value: markdown in the chat
# widget ([link](tel:...), **bold**, _italics_), placeholders, HTML tags.
FORBIDDEN_CHARACTERS = set("{}[]*_`<>\\|\n\r\t")
PHONE_CHARACTERS = re.compile(r"\+?[0-9 ().\-]+")
# The one placeholder the insurance note may use itself.
NOTE_NAME_PLACEHOLDER = "{clinic_name}"


class ClinicSettingsError(ValueError):
    """A clinic setting is missing, empty or unusable; the message names it and where it came from."""


@dataclass(frozen=True)
class Clinic:
    name: str
    phone: str
    emergency_number: str
    insurance_note: str

    @property
    def phone_tel(self) -> str:
        """What a tel: link dials: the phone's digits, with its leading + if it has one."""
        return ("+" if self.phone.startswith("+") else "") + _digits(self.phone)

    @property
    def emergency_tel(self) -> str:
        return _digits(self.emergency_number)

    def placeholders(self) -> dict[str, str]:
        """The values for the placeholders in domain.yml and the web page, by name."""
        return {
            "clinic_name": self.name,
            "clinic_phone": self.phone,
            "clinic_phone_tel": self.phone_tel,
            "emergency_number": self.emergency_number,
            "emergency_tel": self.emergency_tel,
            "insurance_note": self.insurance_note.replace(NOTE_NAME_PLACEHOLDER, self.name),
        }

    def fill(self, text: str, escape: Callable[[str], str] = str) -> str:
        """`text` with the clinic's placeholders filled in (each value passed through
        `escape`, e.g. html.escape for a page); any other {placeholder}, such as a slot's,
        is left for whoever fills it."""
        values = {key: escape(value) for key, value in self.placeholders().items()}
        return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


# The placeholders `Clinic.placeholders()` fills (tests/unit/test_clinic.py keeps them in step).
PLACEHOLDER_NAMES = ("clinic_name", "clinic_phone", "clinic_phone_tel", "emergency_number", "emergency_tel", "insurance_note")
PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDER_NAMES) + r")\}")


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _read_file(path: Path) -> dict[str, str]:
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ClinicSettingsError(f"clinic settings: cannot read {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ClinicSettingsError(f"clinic settings: {path} is not valid YAML: {error}") from None
    if not isinstance(content, dict):
        raise ClinicSettingsError(f"clinic settings: {path} must be a mapping of {', '.join(ENVIRONMENT)}")
    unknown = sorted(set(content) - set(ENVIRONMENT))
    if unknown:
        raise ClinicSettingsError(f"clinic settings: {path}: unknown key(s) {', '.join(map(str, unknown))}")
    return {key: "" if value is None else str(value) for key, value in content.items()}


def _check(key: str, value: str, source: str) -> str:
    value = value.strip()
    where = f"clinic settings: {key} (from {source})"
    if not value:
        raise ClinicSettingsError(f"{where} is missing or empty")
    plain = value.replace(NOTE_NAME_PLACEHOLDER, "") if key == "insurance_note" else value
    bad = sorted(set(plain) & FORBIDDEN_CHARACTERS)
    if bad:
        raise ClinicSettingsError(f"{where} has characters the wording cannot carry: {' '.join(map(repr, bad))}")
    if key == "name" and len(value) > MAX_NAME_CHARS:
        raise ClinicSettingsError(f"{where} is longer than {MAX_NAME_CHARS} characters")
    if key == "phone":
        if not PHONE_CHARACTERS.fullmatch(value) or len(_digits(value)) < MIN_PHONE_DIGITS:
            raise ClinicSettingsError(
                f"{where} must be a number as patients read it (digits, spaces, - ( ) . and a leading +), got {value!r}"
            )
        if len(value) > MAX_PHONE_CHARS:
            raise ClinicSettingsError(f"{where} is longer than {MAX_PHONE_CHARS} characters")
    if key == "emergency_number" and not (value.isdigit() and len(value) <= MAX_EMERGENCY_DIGITS):
        raise ClinicSettingsError(f"{where} must be 1 to {MAX_EMERGENCY_DIGITS} digits, got {value!r}")
    if key == "insurance_note" and len(value.replace(NOTE_NAME_PLACEHOLDER, "x" * MAX_NAME_CHARS)) > MAX_INSURANCE_NOTE_CHARS:
        raise ClinicSettingsError(f"{where} is longer than {MAX_INSURANCE_NOTE_CHARS} characters")
    return value


def load(environ: Mapping[str, str] = os.environ, path: Optional[Path] = None) -> Clinic:
    """The settings from `path` (default: CLINIC_SETTINGS, else clinic.yml), each overridden by
    its environment variable when that is set; checked, or ClinicSettingsError."""
    path = path or Path(environ.get(SETTINGS_FILE_VARIABLE) or DEFAULT_FILE)
    from_file = _read_file(path)
    values = {}
    for key, variable in ENVIRONMENT.items():
        if variable in environ:
            values[key] = _check(key, environ[variable], f"environment variable {variable}")
        else:
            values[key] = _check(key, from_file.get(key, ""), str(path))
    return Clinic(**values)


@lru_cache(maxsize=1)
def current() -> Clinic:
    """The settings of this process, read once (at start-up, by whoever asks first)."""
    return load()
