"""Complete the events whose notification only names the content, before the worker decides them.

Google's review notifications and Instagram's `mentions` webhooks carry ids, not the review or
the comment. The adapter marks such an event `extra.content: pending`; here the platform's API
is read once and the answer is stored in the event itself, so a retry, a replay or a backtest
sees the complete event and never asks the platform again.
"""
import importlib
import logging
from datetime import datetime, timezone

import requests
from marshmallow import ValidationError

from engine.db import InboxEvent
from engine.schema import dump_event, first_error, load_event

log = logging.getLogger("goodwill.hydrate")

PENDING, FETCHED, GONE = "pending", "fetched", "gone"
# Seconds for one call to a platform API: far inside a worker's lease on the event.
FETCH_TIMEOUT = 10
# The module that reads each platform's content, by the events' platform name. Each has
# complete(runtime, event) -> event and startup_warning(settings) -> str | None.
READERS = {"google": "integrations.google.hydrate", "instagram": "integrations.meta.hydrate"}


class ContentUnavailable(Exception):
    """The platform cannot be read now (outage, timeout, rate limit, refused token): retry later."""


class MissingCredentials(ContentUnavailable):
    """The settings needed to read the platform are not configured."""


class ContentGone(Exception):
    """The platform says the content no longer exists: no retry can bring it back."""


def _reader(platform: str):
    if platform not in READERS:
        raise LookupError(f"the event waits for its content, but Goodwill reads no {platform} API")
    return importlib.import_module(READERS[platform])


def complete_content(runtime, event_id: str) -> None:
    """Read the content a pending event names and store it in the event, once.

    A platform that cannot answer now raises, and the worker retries the event with backoff;
    content the platform no longer has is recorded as gone and the event is decided as it is.
    """
    with runtime.sessionmaker() as session:
        event = session.get(InboxEvent, event_id).payload
    if event.get("extra", {}).get("content") != PENDING:
        return
    try:
        completed = _reader(event["platform"]).complete(runtime, event)
        outcome = {"content": FETCHED}
    except ContentGone as exc:
        log.warning("event %s: %s; it is decided without that content", event_id, exc)
        completed, outcome = event, {"content": GONE, "content_error": str(exc)}
    checked = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    extra = {**completed["extra"], **outcome, "content_checked_at": checked}
    completed = {**completed, "extra": extra}
    try:
        stored = dump_event(load_event(completed))
    except ValidationError as exc:
        field, message = first_error(exc.messages)
        raise ValueError(f"the {event['platform']} content does not fit a SocialEvent: {field}: "
                         f"{message}") from exc
    with runtime.sessionmaker.begin() as session:
        session.get(InboxEvent, event_id).payload = stored


def warn_missing_credentials(settings) -> None:
    """Log a warning for each platform whose events can arrive but whose content cannot be read."""
    for platform in READERS:
        warning = _reader(platform).startup_warning(settings)
        if warning:
            log.warning(warning)


def fetch(url: str, what: str, session: requests.Session | None = None,
          **kwargs) -> requests.Response:
    """GET from a platform API; a network failure or a timeout is ContentUnavailable."""
    try:
        return (session or requests).get(url, timeout=FETCH_TIMEOUT, **kwargs)
    except requests.RequestException as exc:
        raise ContentUnavailable(f"{what}: {exc}") from exc


def error_message(response: requests.Response) -> str:
    """Say how a call failed in the platform's own words (Google and Meta: `error.message`)."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    message = error.get("message") if isinstance(error, dict) else None
    return f"{response.status_code} {message or response.text[:200] or response.reason}"
