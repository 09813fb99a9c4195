"""What the platform adapters share: body limits, constant-time checks, storing a batch, counts."""
import hmac
import json
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timezone

from flask import current_app, request
from marshmallow import ValidationError

from engine.counters import ITEMS_SKIPPED
from engine.errors import ApiError
from engine.inbox import accept
from engine.schema import first_error, load_event

log = logging.getLogger("goodwill.integrations")

# A handler turns one item of a delivery into a SocialEvent dict; a bad item raises one of these.
MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError)
# The event type a splitter gives an item that is not even a JSON object.
NOT_AN_OBJECT = "not_an_object"

def runtime():
    """Return the Runtime of the running app."""
    return current_app.extensions["goodwill"]


def require_setting(value: str | None, setting: str, route: str) -> str:
    """Refuse with 503 naming the setting when a route's secret is not configured."""
    if not value:
        raise ApiError(503, "source_not_configured", f"set {setting} to receive events on {route}")
    return value


def read_body() -> bytes:
    """Return the raw body; one over GOODWILL_WEBHOOK_MAX_BYTES is refused with 413 unread."""
    limit = runtime().settings.webhook_max_bytes
    too_large = ApiError(413, "payload_too_large", f"the body is over the {limit} bytes accepted")
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    # A chunked body has no Content-Length: read one byte past the limit to know it is over.
    chunks, size = [], 0
    while size <= limit:
        chunk = request.stream.read(limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise too_large
    return b"".join(chunks)


def same_secret(expected: str, given: str | None) -> bool:
    """Compare a received secret or signature with the expected one in constant time."""
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def parse_json(body: bytes) -> dict:
    """Parse a verified body into a JSON object, or refuse it with 400."""
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise ApiError(400, "malformed_json", f"the body is not JSON: {exc}")
    if not isinstance(payload, dict):
        raise ApiError(400, "malformed_json", "the body must be a JSON object")
    return payload


def from_unix(seconds_or_ms) -> str:
    """Render a Unix time in seconds or milliseconds (platforms use both) as an ISO string."""
    value = float(seconds_or_ms)
    if value > 1e11:
        value /= 1000
    return datetime.fromtimestamp(value, timezone.utc).isoformat().replace("+00:00", "Z")


def _to_event(handler: Callable[[object], dict] | None, event_type: str, data) -> dict:
    """Normalize and validate one item; raise ValueError saying why it cannot be stored."""
    if event_type == NOT_AN_OBJECT:
        raise ValueError(f"expected a JSON object, got {repr(data)[:80]}")
    try:
        return load_event(handler(data))
    except ValidationError as exc:
        field, message = first_error(exc.messages)
        raise ValueError(f"{field}: {message}") from exc
    except MALFORMED as exc:
        raise ValueError(f"malformed item: {exc!r}") from exc


def store_delivery(source: str, items: Iterable[tuple[str, object]],
                   handlers: dict[str, Callable[[object], dict]]) -> dict:
    """Store each item of a delivery as its own event; unknown or bad items never lose the rest."""
    rt = runtime()
    events, ignored, rejected = [], [], []
    for event_type, data in items:
        if event_type != NOT_AN_OBJECT and event_type not in handlers:
            ITEMS_SKIPPED.labels(source, event_type, "unknown").inc()
            ignored.append(event_type)
            continue
        try:
            event = _to_event(handlers.get(event_type), event_type, data)
        except ValueError as exc:
            ITEMS_SKIPPED.labels(source, event_type, "invalid").inc()
            log.warning("%s: refused one %s item: %s", source, event_type, exc)
            rejected.append({"type": event_type, "error": str(exc)})
            continue
        event_id, status = accept(rt.sessionmaker, source, event)
        events.append({"id": event_id, "external_id": event["id"], "status": status})
    if events:
        rt.wake_workers()
    # 200 even with refused items: redelivering the same bytes cannot repair them.
    return {"events": events, "ignored": ignored, "rejected": rejected}
