"""The SMS store: opt-outs and offered choices survive a restart (a new store on the same file)."""

from __future__ import annotations

from rasa_plugins.channels.sms_store import SMSStore
from rasa_plugins.channels.sms_text import Choice

PHONE = "+15550001111"
OTHER = "+15550002222"
CHOICES = [Choice(1, "Yes", "yes"), Choice(2, "No", "no")]


def test_opt_out_is_recorded_once_and_survives_a_restart(tmp_path):
    store = SMSStore(tmp_path / "sms.db")
    assert not store.is_opted_out(PHONE)
    assert store.opt_out(PHONE) is True
    assert store.opt_out(PHONE) is False  # already opted out: confirm only once
    restarted = SMSStore(tmp_path / "sms.db")
    assert restarted.is_opted_out(PHONE) and not restarted.is_opted_out(OTHER)


def test_opt_in_removes_the_opt_out(tmp_path):
    store = SMSStore(tmp_path / "sms.db")
    store.opt_out(PHONE)
    assert store.opt_in(PHONE) is True
    assert not SMSStore(tmp_path / "sms.db").is_opted_out(PHONE)
    assert store.opt_in(PHONE) is False


def test_choices_are_remembered_per_number_and_replaced_or_forgotten(tmp_path):
    store = SMSStore(tmp_path / "sms.db")
    store.set_choices(PHONE, CHOICES)
    assert SMSStore(tmp_path / "sms.db").choices(PHONE) == CHOICES
    assert store.choices(OTHER) == []
    store.set_choices(PHONE, CHOICES[:1])
    assert store.choices(PHONE) == CHOICES[:1]
    store.set_choices(PHONE, [])
    assert store.choices(PHONE) == []


def test_opting_out_forgets_the_offered_choices(tmp_path):
    store = SMSStore(tmp_path / "sms.db")
    store.set_choices(PHONE, CHOICES)
    store.opt_out(PHONE)
    assert store.choices(PHONE) == []


def test_the_store_creates_its_folder(tmp_path):
    store = SMSStore(tmp_path / "new" / "dir" / "sms.db")
    store.opt_out(PHONE)
    assert (tmp_path / "new" / "dir" / "sms.db").exists()


def test_a_message_sid_is_processed_once_within_the_replay_window(tmp_path):
    from rasa_plugins.channels.sms_store import REPLAY_WINDOW_HOURS

    store = SMSStore(tmp_path / "sms.db")
    assert REPLAY_WINDOW_HOURS >= 24
    assert store.first_delivery("SM1", now=1000.0)
    assert not store.first_delivery("SM1", now=1001.0)
    # after a restart, and up to the end of the window
    restarted = SMSStore(tmp_path / "sms.db")
    assert not restarted.first_delivery("SM1", now=1000.0 + 24 * 3600)
    assert restarted.first_delivery("SM2", now=1000.0 + 24 * 3600)
    # forgotten once the window is over (the table does not grow for ever)
    assert restarted.first_delivery("SM1", now=1000.0 + REPLAY_WINDOW_HOURS * 3600 + 1)


def test_the_id_key_is_created_once_and_kept(tmp_path):
    key = SMSStore(tmp_path / "sms.db").id_key()
    assert len(key) >= 32 and SMSStore(tmp_path / "sms.db").id_key() == key
    assert SMSStore(tmp_path / "other.db").id_key() != key
