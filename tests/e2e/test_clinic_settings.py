"""End to end: servers started with another clinic's settings (and the same trained model)
show that clinic's name, phone number and emergency number on every channel, and none of
clinic.yml's: REST, the website's socket, SMS, the web page, and the reply sent when the
action server is down. A bad setting stops the servers at start-up."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
import requests
import yaml

from dvt_triage import clinic
from dvt_triage import slots as s
from harness.servers import (
    ROOT, Chat, Server, WidgetSocket, free_port, latest_model, start_actions, start_rasa, wait_until,
)
from tests.support import clinics
from tests.support.fake_twilio import FakeTwilio, Phone, sms_server_settings
from tests.support.robustness import HOME_CARE_ANSWERS, joined, response

NEW = clinics.OTHER
OLD = clinic.load({})  # clinic.yml as shipped
SID, TOKEN = "AC" + "3" * 32, "clinic-settings-token"
BREATHLESS = "I can't breathe"


def assert_only_the_new_clinic(text: str) -> None:
    assert OLD.name not in text and OLD.phone not in text, text
    assert not re.search(rf"\b{OLD.emergency_number}\b", text), text
    assert "{" not in text, text  # no placeholder left unfilled


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[dict]:
    """Rasa (REST, socket, SMS) with the new clinic in its environment; the web page with it
    in a settings file named by CLINIC_SETTINGS."""
    tmp: Path = tmp_path_factory.mktemp("e2e-clinic")
    fake = FakeTwilio(SID, TOKEN).start()
    credentials, env = sms_server_settings(tmp, fake, **clinics.environment(NEW))
    actions, actions_port = start_actions(tmp)
    rasa, port = start_rasa(tmp, actions_port, tmp / "trackers.db", free_port(), credentials, env)
    settings_file = tmp / "clinic.yml"
    settings_file.write_text(yaml.safe_dump(vars(NEW)), encoding="utf-8")
    web_port = free_port()
    web = Server(
        [sys.executable, "web/server.py", "--port", str(web_port), "--socket-url", f"http://127.0.0.1:{port}"],
        {**os.environ, clinic.SETTINGS_FILE_VARIABLE: str(settings_file)},
        tmp / "web.log",
    )
    wait_until(f"http://127.0.0.1:{web_port}/", 60, web.proc, web.log)
    base = f"http://127.0.0.1:{port}"
    state = {"chat": Chat(base), "base": base, "fake": fake, "actions": actions, "web": f"http://127.0.0.1:{web_port}"}
    yield state
    web.stop()
    rasa.stop()
    state["actions"].stop()
    fake.stop()


def test_rest_the_emergency_instruction_gives_the_new_emergency_number(servers):
    reply = servers["chat"].send("rest-emergency", BREATHLESS)
    assert reply[0] == response("utter_emergency", settings=NEW)
    assert reply[0].startswith(f"EMERGENCY: call {NEW.emergency_number} ")
    assert_only_the_new_clinic(joined(reply))


def test_rest_booking_insurance_and_a_fallback_give_the_new_clinic(servers):
    chat: Chat = servers["chat"]
    booking = joined(chat.send("rest-booking", "How do I book an appointment with you?"))
    assert f"Call {NEW.name} at {NEW.phone} to book" in booking
    insurance = joined(chat.send("rest-insurance", "Will my insurance pay for this?"))
    assert NEW.placeholders()["insurance_note"] in insurance
    fallback = joined(chat.send("rest-fallback", "purple monkey dishwasher"))
    assert fallback.endswith(f"call {NEW.emergency_number} now.")
    for text in (booking, insurance, fallback):
        assert_only_the_new_clinic(text)


async def test_the_website_socket_greets_as_the_new_clinic_and_links_its_emergency_number(servers):
    socket = await WidgetSocket(servers["base"]).connect()
    try:
        await socket.request_session()
        greeting = joined(await socket.say("/greet"))
        emergency = joined(await socket.say(BREATHLESS, until="EMERGENCY"))
    finally:
        await socket.close()
    assert f"I'm the {NEW.name}'s blood clot helper" in greeting
    assert f"**EMERGENCY: call {NEW.emergency_number}**" in emergency
    assert f"[tap here to call {NEW.emergency_number}](tel:{NEW.emergency_tel})" in emergency
    assert_only_the_new_clinic(greeting + emergency)


def test_sms_help_and_the_emergency_give_the_new_clinic(servers):
    phone = Phone(servers)
    help_text = joined(phone.text("HELP"))
    assert f"call {NEW.name} at {NEW.phone}" in help_text and f"call {NEW.emergency_number} now" in help_text
    emergency = phone.text(BREATHLESS)
    assert emergency[0].startswith(f"EMERGENCY: call {NEW.emergency_number} ")
    assert_only_the_new_clinic(help_text + joined(emergency))


def test_the_web_page_shows_the_new_clinic(servers):
    page = requests.get(servers["web"] + "/", timeout=30)
    html = page.text
    assert f"<span class=\"logo\">{NEW.name}</span>" in html
    assert f'href="tel:{NEW.phone_tel}">Call {NEW.phone}</a>' in html
    assert f"Call {NEW.emergency_number}." in html
    assert_only_the_new_clinic(re.sub(r"<script>.*?</script>", "", html, flags=re.DOTALL))
    config = requests.get(servers["web"] + "/config.js", timeout=30).text
    assert f'"clinicName": "{NEW.name}"' in config and OLD.name not in config


def test_with_the_action_server_down_the_reply_gives_the_new_clinic(servers):
    """Last: stops the action server."""
    chat: Chat = servers["chat"]
    chat.send("down", "hi")
    chat.send("down", "yes, start the check")
    for slot in s.FORM_SLOTS:
        chat.send("down", HOME_CARE_ANSWERS[slot])
    servers["actions"].stop()
    down = joined(chat.send("down", "that's right"))
    assert down == response("utter_assessment_unavailable", settings=NEW)
    assert NEW.phone in down and f"call {NEW.emergency_number} now" in down
    assert_only_the_new_clinic(down)
    emergency = chat.send("down-emergency", BREATHLESS)[0]
    assert emergency.startswith(f"EMERGENCY: call {NEW.emergency_number} ")


def test_a_bad_setting_stops_the_rasa_server_and_the_web_page_at_start_up(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ACTION_ENDPOINT_URL": "http://127.0.0.1:9/webhook",
           "TRACKER_DB": str(tmp_path / "trackers.db"), "CLINIC_PHONE": "call the front desk"}
    log = tmp_path / "rasa.log"
    rasa = Server(
        [str(Path(sys.executable).parent / "rasa"), "run", "--model", str(latest_model()), "--port", str(free_port()),
         "--endpoints", "endpoints.yml", "--credentials", "credentials.yml", "--interface", "127.0.0.1"],
        env,
        log,
    )
    try:
        rasa.proc.wait(timeout=240)
    finally:
        rasa.stop()
    assert rasa.proc.returncode != 0
    assert "clinic settings: phone (from environment variable CLINIC_PHONE) must be a number" in log.read_text()
    web = subprocess.run([sys.executable, "web/server.py", "--port", "0"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert web.returncode != 0 and "clinic settings: phone" in web.stderr
