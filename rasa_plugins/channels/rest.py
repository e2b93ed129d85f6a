"""The REST channel (`POST /webhooks/rest/webhook`), with its input checked.

Rasa 3.6's own channel answers a JSON list with 500, a message that is not text (number,
list, null) or missing with an empty reply, puts every request without a sender into one
shared conversation called "default", lets a client pick the `input_channel` (and so
another channel's wording), and logs the message text when handling fails. This one
answers each of those requests with 400 and a JSON explanation, and never logs the text.
It also refuses (400) a body not sent as `application/json`: a web page can post `text/plain`
to any site without a CORS preflight, so accepting it let any page the patient visits send
messages in their name. And it refuses (400) ids of another channel's form
(`conversation_ids`): a REST client cannot reach an SMS or website conversation.
Same name (`rest`), URL and reply format, so clients do not change.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text, Union

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

import rasa.utils.endpoints
from dvt_triage.message_limits import MAX_SENDER_CHARS, valid_sender
from rasa_plugins.channels.conversation_ids import RESERVED_PREFIXES, is_reserved
from rasa_plugins.log_privacy import pseudonym

logger = logging.getLogger(__name__)


class BadRequest(ValueError):
    """The request is not a message this channel accepts; the text says why."""


def parse_body(body: Any) -> tuple[str, str, Optional[Dict[str, Any]]]:
    """(sender, message, metadata) from a decoded JSON body, or BadRequest."""
    if not isinstance(body, dict):
        raise BadRequest('the body must be a JSON object: {"sender": "...", "message": "..."}')
    sender = body.get("sender")
    if not valid_sender(sender):
        raise BadRequest(
            f'"sender" must be the conversation id: 1 to {MAX_SENDER_CHARS} letters, digits or _ . : @ + -'
        )
    if is_reserved(sender):
        raise BadRequest(f'"sender" must not start with {" or ".join(RESERVED_PREFIXES)} (other channels\' ids)')
    message = body.get("message")
    if not isinstance(message, str):
        raise BadRequest('"message" must be a string (the text the person typed)')
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest('"metadata", when given, must be a JSON object')
    return sender, message, metadata


def _bad_request(reason: str) -> HTTPResponse:
    return response.json({"error": "bad_request", "message": reason}, status=400)


def is_json(content_type: Optional[str]) -> bool:
    """Whether a Content-Type header names JSON (`application/json`, parameters allowed)."""
    return (content_type or "").split(";", 1)[0].strip().lower() == "application/json"


class RestInput(RasaRestInput):
    """Rasa's REST channel with its input checked; still named `rest`."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        custom_webhook = Blueprint("custom_webhook_RestInput", __name__)

        @custom_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @custom_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Union[ResponseStream, HTTPResponse]:
            if not is_json(request.headers.get("Content-Type")):
                return _bad_request("the body must be sent as Content-Type: application/json")
            try:
                body = request.json
            except InvalidUsage:
                return _bad_request("the body is not valid JSON (UTF-8)")
            try:
                sender, text, metadata = parse_body(body)
            except BadRequest as reason:
                return _bad_request(str(reason))
            if rasa.utils.endpoints.bool_arg(request, "stream", default=False):
                return response.stream(
                    self.stream_response(on_new_message, text, sender, self.name(), metadata),
                    content_type="text/event-stream",
                )
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)
                )
            except Exception:
                # Logged without the message or the conversation id (a phone number over SMS).
                logger.exception("rest: could not handle a message in conversation %s", pseudonym(sender))
                return response.json(
                    {"error": "internal_error", "message": "the message could not be handled"}, status=500
                )
            return response.json(collector.messages)

        return custom_webhook
