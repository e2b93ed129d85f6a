"""SMS through Twilio: Rasa's Twilio channel, hardened for a triage assistant.

Thin adapter: the SMS rules (keywords, buttons as text, GSM-7, splitting) are in
`sms_text`, what must survive a restart (opt-outs, last offered choices) in `sms_store`.
Compared with `rasa.core.channels.twilio` this channel
- accepts only requests signed by Twilio (X-Twilio-Signature over the public webhook URL);
- answers STOP/START/HELP itself and never sends to a number that opted out;
- asks for text when a message is empty or only a picture;
- renders buttons as "Reply YES, NO or NOT SURE" / "Reply 1 for ..." and maps replies back;
- sends GSM-7 messages of at most 320 characters, the emergency instruction at once and on
  its own, the rest of a turn packed into as few messages as fit;
- sends with aiohttp (never blocking the event loop) to a configurable REST base URL;
- keys the conversation by a keyed hash of the number (`conversation_ids`), never the number
  itself, so that no other channel can reach it; replies still go to the number that wrote;
- processes each MessageSid once: a replayed request (or Twilio's own retry) is acknowledged
  and nothing is sent again.

Configured in credentials.sms.yml (see docs/channels.md, SMS).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Text
from urllib.parse import parse_qs, urlparse

import aiohttp
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request, RequestParameters
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from dvt_triage import clinic
from dvt_triage import intents, responses
from rasa_plugins.channels.conversation_ids import MIN_KEY_CHARS, sms_conversation_id
from rasa_plugins.channels.sms_store import SMSStore
from rasa_plugins.channels.sms_text import (
    Choice,
    Keyword,
    keyword,
    match_choice,
    render_choices,
    to_messages,
)
from rasa_plugins.override_policy import EMERGENCY_INSTRUCTIONS

logger = logging.getLogger(__name__)

CHANNEL_NAME = "sms"
DEFAULT_API_BASE_URL = "https://api.twilio.com"
STORE_FILE = "sms.db"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
# Twilio's error code for "the recipient replied STOP": keep our own store in step with it.
TWILIO_OPTED_OUT_ERROR = 21610
SEND_ATTEMPTS = 3
RESTART_COMMAND = f"/{intents.RESTART}"
# The key of the SMS conversation ids; when unset, a random key kept in the SMS store.
ID_KEY_VARIABLE = "SMS_ID_KEY"


class SMSConfigError(ValueError):
    """A setting in the SMS channel's credentials is missing or unsafe."""


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise SMSConfigError(f"{name}: expected true or false, got {value!r}")


def _is_local(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class SMSSettings:
    """The channel's settings, checked once at start-up so that a mistake stops `rasa run`."""

    account_sid: str
    auth_token: str
    twilio_number: str
    webhook_url: str
    validate_signature: bool
    store_path: Path
    api_base_url: str
    id_key: str = ""

    @classmethod
    def from_credentials(
        cls, credentials: Optional[Mapping[str, Any]], environ: Mapping[str, str] = os.environ
    ) -> "SMSSettings":
        """Empty optional values take their defaults (the opt-out store next to TRACKER_DB)."""
        creds = {k: ("" if v is None else v) for k, v in (credentials or {}).items()}
        missing = [k for k in ("account_sid", "auth_token", "twilio_number") if not str(creds.get(k, ""))]
        if missing:
            raise SMSConfigError(f"SMS channel: set {', '.join(missing)} (see credentials.sms.yml)")
        webhook_url = str(creds.get("webhook_url", "")).strip()
        raw_validate = creds.get("validate_signature", "")
        validate = True if raw_validate == "" else _flag(raw_validate, "validate_signature")
        if validate and not webhook_url:
            raise SMSConfigError(
                "SMS channel: set webhook_url to the URL Twilio posts to, exactly as entered in the "
                "Twilio console; request signatures are computed over it"
            )
        if not validate and webhook_url and not _is_local(webhook_url):
            raise SMSConfigError(
                "SMS channel: validate_signature may be off only for local testing "
                f"(webhook_url on localhost), not for {webhook_url}"
            )
        store = str(creds.get("opt_out_db", "")).strip()
        store_path = (
            Path(store) if store else Path(environ.get("TRACKER_DB") or "trackers.db").parent / STORE_FILE
        )
        api_base_url = str(creds.get("twilio_api_base_url", "")).strip() or DEFAULT_API_BASE_URL
        id_key = environ.get(ID_KEY_VARIABLE, "")
        if id_key and len(id_key) < MIN_KEY_CHARS:
            raise SMSConfigError(f"SMS channel: {ID_KEY_VARIABLE} must be at least {MIN_KEY_CHARS} characters")
        return cls(
            account_sid=str(creds["account_sid"]),
            auth_token=str(creds["auth_token"]),
            twilio_number=str(creds["twilio_number"]),
            webhook_url=webhook_url,
            validate_signature=validate,
            store_path=store_path,
            api_base_url=api_base_url.rstrip("/"),
            id_key=id_key,
        )


class TwilioMessages:
    """Sends text messages with Twilio's REST API (one POST per message, in order)."""

    def __init__(self, settings: SMSSettings, store: SMSStore) -> None:
        self.settings = settings
        self.store = store
        self.url = f"{settings.api_base_url}/2010-04-01/Accounts/{settings.account_sid}/Messages.json"
        self._session: Optional[aiohttp.ClientSession] = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                auth=aiohttp.BasicAuth(self.settings.account_sid, self.settings.auth_token),
                timeout=aiohttp.ClientTimeout(total=20),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def send(self, to: str, bodies: List[str], even_if_opted_out: bool = False) -> None:
        """Sends each body as one message; nothing to a number that opted out (checked per
        message, so a STOP that arrives meanwhile stops the rest)."""
        for body in bodies:
            if not even_if_opted_out and await asyncio.to_thread(self.store.is_opted_out, to):
                logger.info("sms: not sending to a number that opted out")
                return
            await self._post(to, body)

    async def _post(self, to: str, body: str) -> None:
        data = {"To": to, "From": self.settings.twilio_number, "Body": body}
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                async with self._client().post(self.url, data=data) as reply:
                    if reply.status < 300:
                        return
                    code = _error_code(await reply.text())
                    if code == TWILIO_OPTED_OUT_ERROR:
                        await asyncio.to_thread(self.store.opt_out, to)
                        logger.info("sms: Twilio reports the number opted out; recorded")
                        return
                    retry = reply.status >= 500 or reply.status == 429
                    logger.error(
                        "sms: Twilio answered %s (code %s) on attempt %d", reply.status, code, attempt
                    )
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                retry = True
                logger.error("sms: sending failed on attempt %d: %r", attempt, error)
            if not retry or attempt == SEND_ATTEMPTS:
                return
            await asyncio.sleep(attempt)


def _error_code(body: str) -> Optional[int]:
    try:
        detail = json.loads(body)
    except ValueError:
        return None
    return detail.get("code") if isinstance(detail, dict) else None


class TwilioSMSOutput(OutputChannel):
    """Collects one turn's replies and sends them as SMS to `phone`; the emergency
    instruction goes out immediately and on its own, before anything else of the turn.

    Rasa passes the conversation id as the recipient; it is a hash, so the number the
    message came from is given here instead. Without one (a message Rasa sends on its own,
    e.g. an external trigger) nothing can be sent, and nothing is."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL_NAME

    def __init__(self, messages: TwilioMessages, phone: Optional[str], buffered: bool = True) -> None:
        self.messages = messages
        self.phone = phone
        self.buffered = buffered
        self.choices: List[Choice] = []
        self._pending: List[str] = []

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._queue(recipient_id, text, kwargs.get("utter_action"))

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        prompt, self.choices = render_choices(buttons)
        await self._queue(recipient_id, "\n".join(t for t in (text, prompt) if t), kwargs.get("utter_action"))

    async def send_quick_replies(
        self, recipient_id: Text, text: Text, quick_replies: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies, **kwargs)

    async def send_custom_json(
        self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any
    ) -> None:
        logger.debug("sms: custom payloads cannot be sent as text; dropped")

    async def _queue(self, recipient_id: Text, text: Text, utter_action: Optional[Text]) -> None:
        if utter_action in EMERGENCY_INSTRUCTIONS:
            await self._send(to_messages([text]))
            return
        self._pending.append(text)
        if not self.buffered:
            await self.flush()

    async def send_now(self, text: Text, even_if_opted_out: bool = False) -> None:
        await self._send(to_messages([text]), even_if_opted_out)

    async def flush(self) -> None:
        texts, self._pending = self._pending, []
        if texts:
            await self._send(to_messages(texts))

    async def _send(self, bodies: List[str], even_if_opted_out: bool = False) -> None:
        if self.phone is None:
            logger.warning("sms: no phone number for a message Rasa sent on its own; not sent")
            return
        await self.messages.send(self.phone, bodies, even_if_opted_out)


class TwilioSMSInput(InputChannel):
    """Receives Twilio's SMS webhook at /webhooks/sms/webhook."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(SMSSettings.from_credentials(credentials))

    def __init__(self, settings: SMSSettings) -> None:
        self.settings = settings
        self.store = SMSStore(settings.store_path)
        self.id_key = settings.id_key or self.store.id_key()
        self.messages = TwilioMessages(settings, self.store)
        self.validator = RequestValidator(settings.auth_token)
        self._locks: "weakref.WeakValueDictionary[str, asyncio.Lock]" = weakref.WeakValueDictionary()
        if not settings.validate_signature:
            logger.warning("sms: X-Twilio-Signature checking is OFF; use this only for local testing")

    def get_output_channel(self) -> OutputChannel:
        """For messages Rasa sends on its own (e.g. an external trigger): the conversation id
        does not give the number back, so these are dropped with a warning."""
        return TwilioSMSOutput(self.messages, None, buffered=False)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sms_webhook = Blueprint("sms_webhook", __name__)

        @sms_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sms_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            form = self._form(request)
            if self.settings.validate_signature and not self._signed_by_twilio(request, form):
                logger.warning("sms: rejected a request without a valid X-Twilio-Signature")
                return response.text("invalid signature", status=403)
            sender = (form.get("From") or "").strip()
            if not sender:
                return response.text("missing From", status=400)
            message_sid = (form.get("MessageSid") or "").strip()
            if not message_sid:
                return response.text("missing MessageSid", status=400)
            if not await asyncio.to_thread(self.store.first_delivery, message_sid):
                # A replay, or Twilio retrying a request it thinks failed: answered once already.
                logger.info("sms: a MessageSid seen before; acknowledged, not processed again")
                return response.text(EMPTY_TWIML, content_type="text/xml")
            lock = self._locks.setdefault(sender, asyncio.Lock())
            async with lock:  # one message per number at a time, so replies stay in order
                await self._handle(request, form, sender, on_new_message)
            return response.text(EMPTY_TWIML, content_type="text/xml")

        @sms_webhook.listener("after_server_stop")
        async def close(*_: Any) -> None:
            await self.messages.close()

        return sms_webhook

    @staticmethod
    def _form(request: Request) -> RequestParameters:
        """The form with empty values kept (Sanic drops them; Twilio signs them, e.g. the
        empty Body of a picture message)."""
        if (request.content_type or "").startswith("application/x-www-form-urlencoded"):
            # errors="replace": a body that is not UTF-8 (never Twilio's) fails the signature
            # check with 403 instead of failing here with 500.
            return RequestParameters(parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        return request.form

    def _signed_by_twilio(self, request: Request, form: RequestParameters) -> bool:
        signature = request.headers.get("X-Twilio-Signature", "")
        url = self.settings.webhook_url
        if request.query_string and "?" not in url:
            url = f"{url}?{request.query_string}"
        return bool(signature) and self.validator.validate(url, form, signature)

    async def _handle(
        self,
        request: Request,
        form: RequestParameters,
        sender: str,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        body = form.get("Body") or ""
        out = TwilioSMSOutput(self.messages, sender)
        conversation_id = sms_conversation_id(sender, self.id_key)
        opted_out = await asyncio.to_thread(self.store.is_opted_out, sender)
        word = keyword(body, opted_out)
        if word is Keyword.OPT_OUT:
            if await asyncio.to_thread(self.store.opt_out, sender):  # confirm once
                await self._reply(request, out, responses.SMS_OPTED_OUT, even_if_opted_out=True)
                await self._restart_conversation(conversation_id, on_new_message)
            return
        if word is Keyword.OPT_IN:
            await asyncio.to_thread(self.store.opt_in, sender)
            await self._reply(request, out, responses.SMS_OPTED_IN)
            return
        if opted_out:
            logger.info("sms: message from a number that opted out; not answered until START")
            return
        if word is Keyword.HELP:
            await self._reply(request, out, responses.SMS_HELP)
            return
        if not body.strip():  # empty, or a picture without text
            await self._reply(request, out, responses.SMS_TEXT_ONLY)
            return

        choices = await asyncio.to_thread(self.store.choices, sender)
        text = match_choice(body, choices) or body
        metadata = {"message_sid": form.get("MessageSid"), "num_media": form.get("NumMedia")}
        try:
            await on_new_message(
                UserMessage(text, out, conversation_id, input_channel=self.name(), metadata=metadata)
            )
        finally:
            await out.flush()
            await asyncio.to_thread(self.store.set_choices, sender, out.choices)

    async def _restart_conversation(
        self, conversation_id: str, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        """STOP also ends the check: after START the patient begins afresh, not in the middle
        of a question. The assistant's replies to the restart are not sent."""
        try:
            await on_new_message(
                UserMessage(RESTART_COMMAND, CollectingOutputChannel(), conversation_id, input_channel=self.name())
            )
        except Exception:  # the opt-out itself is recorded and confirmed already
            logger.exception("sms: could not restart the conversation after STOP")

    async def _reply(
        self,
        request: Request,
        out: TwilioSMSOutput,
        response_name: str,
        even_if_opted_out: bool = False,
    ) -> None:
        text = _response_text(request, response_name)
        if text is None:
            logger.error("sms: response %s is missing from the model's domain; retrain", response_name)
            return
        await out.send_now(text, even_if_opted_out)


def _response_text(request: Request, name: str) -> Optional[str]:
    """The channel's own wording, from domain.yml like every other response (an `sms`
    channel variant first), with the clinic's details filled in as the assistant's are."""
    agent = getattr(request.app.ctx, "agent", None)
    domain = getattr(agent, "domain", None)
    variants = (domain.responses.get(name) if domain else None) or []
    for wanted in (CHANNEL_NAME, None):
        for variant in variants:
            if variant.get("channel") == wanted and variant.get("text"):
                return clinic.current().fill(str(variant["text"]))
    return None
