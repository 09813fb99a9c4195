"""What surrounds the records: idempotency keys, rate limits, injected faults, and the desk's state."""
import hashlib
import itertools
import json
import math
import random
import threading
import time
from http import HTTPStatus

from .desk_base import DeskError, bad_request, now_iso
from .desk_jobs import JobQueue
from .desk_tickets import TicketBook
from .desk_users import GroupBook, UserBook

IDEMPOTENCY_TTL_SECONDS = 2 * 60 * 60
RATE_WINDOW_SECONDS = 60
# Zendesk's plans allow 200 to 2,500 requests a minute; the stand-in allows the most.
DEFAULT_RATE_LIMIT = 2500
# A fresh account has its default group; "Social care" is where the shipped policies route tickets.
DEFAULT_GROUPS = ("Support", "Social care")
# Custom text fields an account might keep for social tickets (Zendesk's /ticket_fields).
DEFAULT_TICKET_FIELDS = ("Social platform", "Sentiment")
# Separate id ranges per kind, so that a user id sent where a ticket id belongs finds nothing.
_FIRST_IDS = {"ticket": 1, "user": 10001, "group": 20001, "identity": 30001, "audit": 40001, "event": 50001,
               "ticket_field": 60001}


class IdempotencyCache:
    """Ticket-creation answers kept by Idempotency-Key for two hours, as Zendesk keeps them."""

    def __init__(self):
        self._entries = {}

    @staticmethod
    def fingerprint(payload):
        """Return a digest of a request body that ignores key order and spacing."""
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def replay(self, key, fingerprint):
        """Return the first answer for a repeated key, None for a new one; 400 when the body differs."""
        now = time.monotonic()
        self._entries = {k: e for k, e in self._entries.items() if now - e["at"] < IDEMPOTENCY_TTL_SECONDS}
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry["fingerprint"] != fingerprint:
            raise DeskError(400, {"error": "IdempotentRequestError",
                                  "description": "Idempotency-Key was already used with a different request body"})
        return entry["answer"]

    def remember(self, key, fingerprint, answer):
        """Keep the answer given to the first request with this key."""
        self._entries[key] = {"fingerprint": fingerprint, "answer": answer, "at": time.monotonic()}


class RateWindow:
    """API requests counted per minute, with Zendesk's rate-limit headers."""

    def __init__(self, limit):
        self.limit = limit
        self._started = time.monotonic()
        self._used = 0

    def _roll(self):
        now = time.monotonic()
        if now - self._started >= RATE_WINDOW_SECONDS:
            self._started, self._used = now, 0
        return now

    def admit(self):
        """Count one request; False when this minute's allowance is spent."""
        self._roll()
        if self._used >= self.limit:
            return False
        self._used += 1
        return True

    def seconds_to_reset(self):
        """Return the whole seconds until the allowance refills."""
        now = self._roll()
        return max(1, math.ceil(RATE_WINDOW_SECONDS - (now - self._started)))

    def headers(self):
        """Return the rate-limit headers Zendesk puts on every answer."""
        reset = str(self.seconds_to_reset())
        remaining = str(max(0, self.limit - self._used))
        return {"X-Rate-Limit": str(self.limit), "X-Rate-Limit-Remaining": remaining,
                "ratelimit-limit": str(self.limit), "ratelimit-remaining": remaining, "ratelimit-reset": reset}


def rate_limited(window):
    """Return Zendesk's 429 for a spent allowance."""
    return DeskError(429, {"error": "APIRateLimitExceeded",
                           "description": "Number of allowed API requests per minute exceeded"},
                     {"Retry-After": str(window.seconds_to_reset())})


class FaultQueue:
    """Failures asked for by tests: matching requests answer with a chosen status.

    A fault with `probability` p fails each matching request with chance p (the chances of
    several matching faults add up: one draw per request) until `count` failures were given.
    `after` carries the request out before failing it (a 502 once the ticket exists), and
    `delay` holds the answer that many seconds (longer than the client waits: a timeout).
    """

    def __init__(self):
        self.pending = []
        self._draw = random.Random()

    def add(self, spec):
        """Queue a fault from {"status", "count", "retry_after", "path_prefix", "method",
        "probability", "after", "delay"} and return it."""
        if not isinstance(spec, dict):
            raise bad_request("Expected a JSON object")
        fault = {"status": spec.get("status"), "count": spec.get("count", 1),
                 "retry_after": spec.get("retry_after"), "path_prefix": spec.get("path_prefix", "/api/v2"),
                 "method": spec.get("method"), "probability": spec.get("probability", 1),
                 "after": spec.get("after", False), "delay": spec.get("delay", 0)}
        if not isinstance(fault["status"], int) or not 400 <= fault["status"] <= 599:
            raise bad_request("status must be an HTTP error status (400-599)")
        if not isinstance(fault["count"], int) or fault["count"] < 1:
            raise bad_request("count must be a positive whole number")
        if fault["retry_after"] is not None and (not isinstance(fault["retry_after"], int) or fault["retry_after"] < 0):
            raise bad_request("retry_after must be a whole number of seconds")
        if not isinstance(fault["path_prefix"], str) or not fault["path_prefix"].startswith("/"):
            raise bad_request("path_prefix must be a path starting with /")
        if fault["method"] is not None and not isinstance(fault["method"], str):
            raise bad_request("method must be an HTTP method such as POST")
        if not _number(fault["probability"]) or not 0 < fault["probability"] <= 1:
            raise bad_request("probability must be a number above 0 and at most 1")
        if not isinstance(fault["after"], bool):
            raise bad_request("after must be true or false")
        if not _number(fault["delay"]) or fault["delay"] < 0:
            raise bad_request("delay must be a number of seconds")
        if fault["method"]:
            fault["method"] = fault["method"].upper()
        self.pending.append(fault)
        return dict(fault)

    def take(self, path, method="GET"):
        """Use up one failure matching this request; return it, or None when none falls on it."""
        draw = self._draw.random()
        for fault in self.pending:
            if not path.startswith(fault["path_prefix"]) or fault["method"] not in (None, method):
                continue
            if draw >= fault["probability"]:
                draw -= fault["probability"]
                continue
            fault["count"] -= 1
            if fault["count"] == 0:
                self.pending.remove(fault)
            return fault
        return None

    def clear(self):
        """Drop every pending failure."""
        self.pending.clear()


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def fault_label(fault):
    """Name an injected fault for the request log: `429`, `502 after`, `504 after, held 11s`."""
    label = str(fault["status"]) + (" after" if fault["after"] else "")
    return label + (f", held {fault['delay']:g}s" if fault["delay"] else "")


def fault_error(fault):
    """Return the error an injected fault answers with, shaped as Zendesk shapes it."""
    status = fault["status"]
    if status == 429:
        body = {"error": "APIRateLimitExceeded", "description": "Number of allowed API requests per minute exceeded"}
    else:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        body = {"error": phrase.replace(" ", ""), "description": phrase}
    headers = {"X-Desk-Fault": "injected"}
    retry_after = fault["retry_after"]
    if retry_after is None and status == 429:
        retry_after = 1  # real Zendesk always says when to retry after a 429
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return DeskError(status, body, headers)


def custom_text_field(field_id, title, position):
    """Return a custom text ticket field as Zendesk describes it."""
    now = now_iso()
    return {"id": field_id, "type": "text", "title": title, "raw_title": title, "description": "",
            "raw_description": "", "position": position, "active": True, "required": False,
            "collapsed_for_agents": False, "title_in_portal": title,
            "raw_title_in_portal": title, "visible_in_portal": False, "editable_in_portal": False,
            "required_in_portal": False, "created_at": now, "updated_at": now, "removable": True}


class DeskState:
    """Everything one desk holds; every read and write happens under `lock` (the server is threaded)."""

    def __init__(self, rate_limit=DEFAULT_RATE_LIMIT, groups=DEFAULT_GROUPS, ticket_fields=DEFAULT_TICKET_FIELDS,
                 bulk_user_imports=True):
        self.lock = threading.RLock()
        self._counters = {kind: itertools.count(first) for kind, first in _FIRST_IDS.items()}
        self.users = UserBook(self.next_id)
        self.groups = GroupBook(self.next_id, groups)
        self.tickets = TicketBook(self.users, self.groups, self.next_id)
        self.jobs = JobQueue()
        # Zendesk enables bulk user imports only when the account owner asks; without them, 403.
        self.bulk_user_imports = bulk_user_imports
        self.ticket_fields = [custom_text_field(self.next_id("ticket_field"), title, position)
                              for position, title in enumerate(ticket_fields)]
        self.idempotency = IdempotencyCache()
        self.rate = RateWindow(rate_limit)
        self.faults = FaultQueue()
        self.requests = []

    def next_id(self, kind):
        """Return the next id of a kind of record."""
        return next(self._counters[kind])
