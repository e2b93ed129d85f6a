"""Helpers for the tests only: the fake Twilio, expected replies, tracker readers."""
