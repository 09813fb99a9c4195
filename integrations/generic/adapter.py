"""The generic source: SocialEvents signed per Standard Webhooks, `POST /webhooks/events`."""
import binascii
import json

from flask import Blueprint, current_app, request
from marshmallow import ValidationError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from engine.errors import ApiError
from engine.inbox import accept
from engine.schema import first_error, load_event

bp = Blueprint("generic", __name__)


def verify(secret: str | None, body: bytes, headers) -> None:
    """Refuse a body whose Standard Webhooks signature or timestamp does not check out."""
    if not secret:
        raise ApiError(503, "source_not_configured",
                       "set GOODWILL_WEBHOOK_SECRET to receive events on /webhooks/events")
    try:
        Webhook(secret).verify(body, dict(headers), json_parse=False)
    except WebhookVerificationError as exc:
        raise ApiError(401, "bad_signature", f"signature refused: {exc}", "webhook-signature")
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ApiError(401, "bad_signature", f"signature refused: malformed ({exc})",
                       "webhook-signature")


def parse(body: bytes) -> dict:
    """Parse and validate the body into a SocialEvent, naming the first bad field."""
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise ApiError(400, "malformed_json", f"the body is not JSON: {exc}")
    try:
        return load_event(payload)
    except ValidationError as exc:
        field, message = first_error(exc.messages)
        field = None if field == "_schema" else field
        raise ApiError(422, "invalid_event", f"{field or 'body'}: {message}", field)


@bp.post("/webhooks/events")
def receive_event():
    """Verify, validate and store one event; answer 202 before any rule runs."""
    body = request.get_data(cache=False)
    runtime = current_app.extensions["goodwill"]
    verify(runtime.settings.webhook_secret, body, request.headers)
    event = parse(body)
    event_id, status = accept(runtime.sessionmaker, "events", event,
                              message=(request.headers["webhook-id"], body))
    runtime.wake_workers()
    return {"id": event_id, "status": status}, 202
