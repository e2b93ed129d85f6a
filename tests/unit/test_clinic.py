"""The clinic settings (dvt_triage/clinic.py, clinic.yml) and the Rasa server's response
generator that fills them in (rasa_plugins/clinic_responses.py): each value can be
overridden by its environment variable, a bad value stops start-up with a message that
names it, and the filling leaves the slots' placeholders working."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from dvt_triage import clinic
from dvt_triage import slots as s
from rasa_plugins.clinic_responses import ClinicResponses
from tests.support import clinics

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = yaml.safe_load((ROOT / "clinic.yml").read_text(encoding="utf-8"))


def settings_file(tmp_path: Path, **changes: object) -> Path:
    """A settings file like the shipped one, with `changes` (None: key left out)."""
    content = {**SHIPPED, **changes}
    path = tmp_path / "clinic.yml"
    path.write_text(yaml.safe_dump({k: v for k, v in content.items() if v is not None}), encoding="utf-8")
    return path


def test_the_settings_are_not_a_training_input_so_a_new_number_needs_no_new_model():
    # The Makefile names a model after a hash of its training inputs.
    printed = subprocess.run(
        ["make", "-s", "--eval", "print-training-inputs: ; @echo $(TRAINING_INPUTS)", "print-training-inputs"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()
    assert "domain.yml" in printed and "clinic.yml" not in printed


def test_the_shipped_file_has_every_setting_and_loads_as_written():
    assert set(SHIPPED) == set(clinic.ENVIRONMENT)
    settings = clinic.load({})
    assert (settings.name, settings.phone, settings.emergency_number) == (
        SHIPPED["name"], SHIPPED["phone"], SHIPPED["emergency_number"]
    )


@pytest.mark.parametrize("key", sorted(clinic.ENVIRONMENT))
def test_each_environment_variable_overrides_its_setting_only(key):
    value = getattr(clinics.OTHER, key)
    settings = clinic.load({clinic.ENVIRONMENT[key]: value})
    assert getattr(settings, key) == value
    for other in set(clinic.ENVIRONMENT) - {key}:
        assert getattr(settings, other) == SHIPPED[other]


def test_clinic_settings_names_another_file(tmp_path):
    path = settings_file(tmp_path, name="Lakeside Leg Clinic", phone="555-0100")
    settings = clinic.load({clinic.SETTINGS_FILE_VARIABLE: str(path)})
    assert (settings.name, settings.phone) == ("Lakeside Leg Clinic", "555-0100")


def test_the_environment_overrides_the_other_file_too(tmp_path):
    path = settings_file(tmp_path, phone="555-0100")
    environ = {clinic.SETTINGS_FILE_VARIABLE: str(path), "CLINIC_PHONE": "555-0199"}
    assert clinic.load(environ).phone == "555-0199"


@pytest.mark.parametrize("key", sorted(clinic.ENVIRONMENT))
@pytest.mark.parametrize("value", [None, "", "   "], ids=["missing", "empty", "blank"])
def test_a_missing_or_empty_setting_stops_start_up_and_names_it(tmp_path, key, value):
    with pytest.raises(clinic.ClinicSettingsError, match=rf"{key} \(from .*clinic.yml\) is missing or empty"):
        clinic.load({}, settings_file(tmp_path, **{key: value}))


def test_an_empty_environment_variable_stops_start_up_and_names_it():
    with pytest.raises(clinic.ClinicSettingsError, match="phone .from environment variable CLINIC_PHONE. is missing"):
        clinic.load({"CLINIC_PHONE": ""})


def test_an_unknown_key_stops_start_up(tmp_path):
    # A misspelt key would otherwise be ignored and its value never shown.
    with pytest.raises(clinic.ClinicSettingsError, match="unknown key.* phone_number"):
        clinic.load({}, settings_file(tmp_path, phone_number="555-0100"))


def test_a_missing_or_broken_file_stops_start_up(tmp_path):
    with pytest.raises(clinic.ClinicSettingsError, match="cannot read"):
        clinic.load({clinic.SETTINGS_FILE_VARIABLE: str(tmp_path / "nowhere.yml")})
    broken = tmp_path / "broken.yml"
    broken.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(clinic.ClinicSettingsError, match="not valid YAML"):
        clinic.load({}, broken)
    listed = tmp_path / "list.yml"
    listed.write_text("- name\n", encoding="utf-8")
    with pytest.raises(clinic.ClinicSettingsError, match="must be a mapping"):
        clinic.load({}, listed)


@pytest.mark.parametrize(
    "variable, value, message",
    [
        ("CLINIC_PHONE", "call the front desk", "phone .* must be a number"),
        ("CLINIC_PHONE", "---", "phone .* must be a number"),
        ("CLINIC_PHONE", "+1 925 477 3030 ext 5", "phone .* must be a number"),
        ("CLINIC_PHONE", "+1 (925) 477-3030", "longer than 16"),
        ("EMERGENCY_NUMBER", "9-1-1", "emergency_number .* must be 1 to 5 digits"),
        ("EMERGENCY_NUMBER", "123456", "emergency_number .* must be 1 to 5 digits"),
        ("CLINIC_NAME", "A" * (clinic.MAX_NAME_CHARS + 1), "longer than 28"),
        ("CLINIC_NAME", "**Best** Vein Clinic", "characters the wording cannot carry"),
        ("CLINIC_NAME", "Vein [Clinic](http://evil.example)", "characters the wording cannot carry"),
        ("CLINIC_NAME", "{emergency_number} Clinic", "characters the wording cannot carry"),
        ("CLINIC_INSURANCE_NOTE", "{clinic_phone} checks your benefits.", "characters the wording cannot carry"),
        ("CLINIC_INSURANCE_NOTE", "We check. " * 20, "longer than 160"),
    ],
)
def test_a_value_that_would_break_the_wording_stops_start_up(variable, value, message):
    with pytest.raises(clinic.ClinicSettingsError, match=message):
        clinic.load({variable: value})


@pytest.mark.parametrize(
    "phone, tel", [("925-477-3030", "9254773030"), ("+44 20 7946 0018", "+442079460018"), ("(555) 010.4477", "5550104477")]
)
def test_tel_links_dial_the_phones_digits_with_its_plus(phone, tel):
    assert clinic.load({"CLINIC_PHONE": phone}).phone_tel == tel


def test_the_insurance_note_names_the_clinic_by_placeholder():
    values = clinic.load({"CLINIC_NAME": "Lakeside Leg Clinic"}).placeholders()
    assert values["insurance_note"].startswith("Lakeside Leg Clinic will check your benefits")


def test_fill_replaces_the_clinics_placeholders_only_and_escapes_on_request():
    settings = clinic.load({"CLINIC_NAME": "Smith & Jones Vein Care"})
    text = "Call {clinic_name} at {clinic_phone} about {reasons}; dial {emergency_number}."
    expected = f"Call Smith & Jones Vein Care at {settings.phone} about {{reasons}}; dial {settings.emergency_number}."
    assert settings.fill(text) == expected
    assert "Smith &amp; Jones" in settings.fill("{clinic_name}", escape=lambda v: v.replace("&", "&amp;"))


def test_every_placeholder_name_has_a_value():
    assert tuple(clinics.OTHER.placeholders()) == clinic.PLACEHOLDER_NAMES


def test_current_reads_the_settings_once(monkeypatch):
    clinic.current.cache_clear()
    monkeypatch.setenv("CLINIC_NAME", "Lakeside Leg Clinic")
    try:
        first = clinic.current()
        monkeypatch.setenv("CLINIC_NAME", "Another Clinic")
        assert clinic.current() is first and first.name == "Lakeside Leg Clinic"
    finally:
        clinic.current.cache_clear()


# --- the Rasa server's response generator --------------------------------------------------


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture
def other_clinics_generator(domain, monkeypatch) -> ClinicResponses:
    """The generator as `rasa run` creates it, in a server started with OTHER's settings."""
    for variable, value in clinics.environment(clinics.OTHER).items():
        monkeypatch.setenv(variable, value)
    clinic.current.cache_clear()
    try:
        yield ClinicResponses(endpoint_config=None, domain=domain)
    finally:
        clinic.current.cache_clear()


def tracker(domain: Domain, **slots: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("someone", [SlotSet(k, v) for k, v in slots.items()], domain.slots)


async def test_the_emergency_instruction_gives_the_configured_number_on_every_channel(other_clinics_generator, domain):
    for channel in ("rest", "socketio", "sms"):
        text = (await other_clinics_generator.generate("utter_emergency", tracker(domain), channel))["text"]
        assert text.startswith("EMERGENCY: call 112") or text.startswith("**EMERGENCY: call 112**"), channel
        assert clinic.load({}).emergency_number not in text and "{" not in text
    widget = (await other_clinics_generator.generate("utter_emergency", tracker(domain), "socketio"))["text"]
    assert "[tap here to call 112](tel:112)" in widget


async def test_the_clinics_name_phone_and_note_replace_the_shipped_ones(other_clinics_generator, domain):
    shipped = clinic.load({})
    for name in ("utter_faq_booking", "utter_faq_insurance", "utter_default", "utter_spanish_only"):
        text = (await other_clinics_generator.generate(name, tracker(domain), "rest"))["text"]
        assert shipped.name not in text and shipped.phone not in text and "{" not in text, name
    booking = (await other_clinics_generator.generate("utter_faq_booking", tracker(domain), "rest"))["text"]
    assert booking.startswith("Call Lakeside Leg Clinic at +44 20 7946 0018 to book")
    insurance = (await other_clinics_generator.generate("utter_faq_insurance", tracker(domain), "rest"))["text"]
    assert "Lakeside Leg Clinic can tell you before your visit what your plan covers." in insurance


async def test_slots_and_an_actions_values_are_still_filled_in(other_clinics_generator, domain):
    read_back = await other_clinics_generator.generate("utter_read_back", tracker(domain, cancer=s.YES), "rest")
    assert "8. Cancer: yes" in read_back["text"]
    verdict = await other_clinics_generator.generate(
        "utter_outcome_not_home_care", tracker(domain), "rest", reasons="cancer"
    )
    assert verdict["text"].startswith("For people with cancer, doctors usually")


async def test_no_value_sent_with_a_response_can_change_the_emergency_number(other_clinics_generator, domain):
    text = (await other_clinics_generator.generate("utter_noted", tracker(domain), "rest", emergency_number="0"))["text"]
    assert text.endswith("call 112 now.")


def test_endpoints_files_name_this_generator():
    for path in (ROOT / "endpoints.yml", ROOT / "deploy" / "endpoints.scale.yml", ROOT / "deploy" / "endpoints.scale-broker.yml"):
        nlg = yaml.safe_load(path.read_text(encoding="utf-8"))["nlg"]
        assert nlg == {"type": "rasa_plugins.clinic_responses.ClinicResponses"}, path
