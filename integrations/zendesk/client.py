"""Goodwill's Zendesk client: zenpy pointed at any Zendesk-compatible base URL."""
import contextvars
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import requests
from requests.adapters import HTTPAdapter
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment, Ticket, User

from engine.actions.base import ActionFailed, PermanentActionError
from engine.desk_limits import DeskRateLimited
from integrations.zendesk.directory import NameDirectory
from integrations.zendesk.records import new_ticket, requester_fields

# zenpy builds every URL as https://<subdomain>.<domain>/api/v2/... and has no setting for a
# scheme, a port or a path prefix (the stand-in lives at http://127.0.0.1:8001). So zenpy talks to
# a placeholder origin, and a transport adapter mounted on it carries each request to the real
# base URL: one rule for every call zenpy makes, and no process-wide ZENPY_FORCE_* variables.
# `.invalid` is reserved (RFC 2606): a request that ever escaped the adapter reaches no one.
_SUBDOMAIN, _DOMAIN = "goodwill", "zendesk.invalid"
_PLACEHOLDER_ORIGIN = f"https://{_SUBDOMAIN}.{_DOMAIN}"

# Headers for the calls of one `with` block; zenpy's create() takes no headers of its own.
_call_headers: contextvars.ContextVar[dict] = contextvars.ContextVar("desk_call_headers", default={})

# 409: Zendesk refused a concurrent update of the same ticket; trying again succeeds.
_RETRYABLE_CLIENT_ERRORS = {408, 409, 429}
# Below this share of the minute's allowance left, the sender spreads its remaining requests
# over the rest of the minute rather than running into a 429; one wait is at most MAX_PACING s.
LOW_ALLOWANCE_SHARE = 0.1
MAX_PACING = 2.0


def _retry_after(response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return None


def pacing_delay(headers) -> float:
    """Return how long to wait before the next request, given Zendesk's rate-limit headers."""
    try:
        limit = int(headers.get("X-Rate-Limit") or headers["ratelimit-limit"])
        remaining = int(headers.get("X-Rate-Limit-Remaining") or headers["ratelimit-remaining"])
    except (KeyError, TypeError, ValueError):
        return 0.0
    if remaining >= limit * LOW_ALLOWANCE_SHARE:
        return 0.0
    try:
        window_left = float(headers.get("ratelimit-reset") or 60)
    except ValueError:
        window_left = 60.0
    return min(MAX_PACING, window_left / (remaining + 1))


def _describe(response) -> str:
    """Say what Zendesk said: its error, description and each field's complaint."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason
    if not isinstance(body, dict):
        return str(body)[:300]
    error = body.get("error")
    if isinstance(error, dict):
        error = ": ".join(str(v) for v in (error.get("title"), error.get("message")) if v)
    parts = [str(p) for p in (error, body.get("description")) if p]
    for field, problems in (body.get("details") or {}).items():
        for problem in problems if isinstance(problems, list) else [problems]:
            text = problem.get("description") if isinstance(problem, dict) else problem
            parts.append(f"{field}: {text}")
    return "; ".join(parts) or str(body)[:300]


class DeskForbidden(PermanentActionError):
    """Zendesk does not allow this account or agent the request (403)."""


class DeskTurnedAway(ActionFailed):
    """Zendesk turned the request away without acting on it (503): sending it again is safe."""


def raise_for_desk_status(response) -> None:
    """Turn a failed Zendesk answer into ActionFailed (worth retrying) or PermanentActionError."""
    status = response.status_code
    if status < 400:
        return
    message = f"Zendesk answered {status} to {response.request.method} {response.url}: {_describe(response)}"
    if status == 429:
        # Zendesk always says when to come back; without it, wait a minute (its window).
        raise DeskRateLimited(message, retry_after=_retry_after(response) or 60.0)
    if status == 503:
        # Unavailable (overloaded, in maintenance): Zendesk did not carry the request out.
        raise DeskTurnedAway(message, retry_after=_retry_after(response))
    if status >= 500 or status in _RETRYABLE_CLIENT_ERRORS:
        raise ActionFailed(message, retry_after=_retry_after(response))
    if status == 403:
        raise DeskForbidden(message)
    raise PermanentActionError(message)


class BaseUrlAdapter(HTTPAdapter):
    """Carry requests for zenpy's placeholder origin to the real base URL."""

    def __init__(self, base_url: str):
        super().__init__()
        self.base_url = base_url

    def send(self, request, **kwargs):
        routed = request.copy()
        routed.url = self.base_url + request.url[len(_PLACEHOLDER_ORIGIN):]
        response = super().send(routed, **kwargs)
        # zenpy picks its response handler by finding its own origin and path in response.request.url.
        response.request = request
        return response


class DeskSession(requests.Session):
    """zenpy's HTTP session: routes its calls to the base URL and raises Goodwill's action errors.

    Failures are raised here, before zenpy sees the response, because zenpy answers a 429 by
    sleeping for Retry-After inside the call; a worker must hand the wait to the outbox instead.
    No adapter here retries: the outbox does, with backoff.
    """

    def __init__(self, base_url: str):
        super().__init__()
        self.base_url = base_url
        self.mount(_PLACEHOLDER_ORIGIN + "/", BaseUrlAdapter(base_url))

    def request(self, method, url, **kwargs):
        kwargs["headers"] = {**_call_headers.get(), **(kwargs.get("headers") or {})}
        try:
            response = super().request(method, url, **kwargs)
        except requests.Timeout as exc:
            raise ActionFailed(f"Zendesk at {self.base_url} did not answer {method} in time: {exc}") from exc
        except requests.RequestException as exc:
            raise ActionFailed(f"cannot reach Zendesk at {self.base_url}: {exc}") from exc
        raise_for_desk_status(response)
        delay = pacing_delay(response.headers)
        if delay:
            time.sleep(delay)
        return response


def _ticket_view(ticket) -> dict:
    return {"id": ticket.id, "status": ticket.status, "external_id": ticket.external_id,
            "subject": ticket.subject, "requester_id": ticket.requester_id,
            "priority": ticket.priority, "tags": list(ticket.tags or [])}


class PerThreadZenpy:
    """One zenpy client per thread, for the worker threads that share a DeskClient.

    zenpy keeps the object being sent on its client and clears it when the answer comes: two
    threads on one client clear each other's, so a comment could go out empty (and the action
    count as done) or the call fail after Zendesk acted.
    """

    def __init__(self, make_client):
        self._make_client = make_client
        self._local = threading.local()

    def __getattr__(self, name):
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self._make_client()
        return getattr(client, name)


class DeskClient:
    """The Zendesk calls Goodwill's actions make, through zenpy, against one help desk."""

    def __init__(self, base_url: str, email: str, token: str, timeout: float = 10):
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"the Zendesk URL must start with https:// or http://, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        # No cache: a ticket's status must be read fresh (zenpy keeps tickets for 30 s).
        self.zenpy = PerThreadZenpy(lambda: Zenpy(
            subdomain=_SUBDOMAIN, domain=_DOMAIN, email=email, token=token,
            session=DeskSession(self.base_url), timeout=timeout, disable_cache=True))
        self.names = NameDirectory(self.zenpy)

    def ticket_url(self, ticket_id: int) -> str:
        """Return the address where an agent opens this ticket."""
        return f"{self.base_url}/agent/tickets/{ticket_id}"

    def ensure_requester(self, event: dict, email: str | None = None, user_fields: dict | None = None,
                         update_existing: bool = False) -> int:
        """Return the Zendesk user of the event's author, creating them with their social identity.

        `email` is the customer's address once linked; `user_fields` are written on creation, and
        on an existing user too when `update_existing` is set.
        """
        bare, extras = requester_fields(event, email, user_fields)
        # Once Goodwill knows a user, leave them as agents may have edited them (name, email).
        for user in self.zenpy.users.search(external_id=bare["external_id"]):
            if update_existing and user_fields:
                self.zenpy.users.create_or_update(User(external_id=bare["external_id"], user_fields=user_fields))
            return user.id
        # create_or_update, not create: a second worker racing on the same author updates the user
        # the first one made instead of failing on the taken external_id.
        try:
            return self.zenpy.users.create_or_update(User(**bare, **extras)).id
        except PermanentActionError:
            if not extras:
                raise
        # The email or social identity already belongs to another Zendesk user (say, one made by
        # Zendesk's own X channel): a requester without them still gets the post to an agent.
        return self.zenpy.users.create_or_update(User(**bare)).id

    def find_conversation_tickets(self, external_id: str) -> list[dict]:
        """Return the tickets of one conversation, oldest first (a follow-up is the newest)."""
        tickets = [_ticket_view(t) for t in self.zenpy.tickets(external_id=external_id)]
        return sorted(tickets, key=lambda t: t["id"])

    def ticket_comments(self, ticket_id: int) -> list[dict]:
        """Return a ticket's comments, oldest first: body, public, author_id."""
        return [{"id": c.id, "body": c.body, "public": c.public, "author_id": c.author_id}
                for c in self.zenpy.tickets.comments(ticket_id)]

    def create_ticket(self, *, external_id: str, requester_id: int, subject: str, body: str,
                      idempotency_key: str, priority: str | None = None, ticket_type: str | None = None,
                      tags: list[str] = (), group_id: int | None = None,
                      assignee_id: int | None = None, assignee_email: str | None = None,
                      follow_up_of: int | None = None, custom_fields: list[dict] = (),
                      problem_id: int | None = None) -> dict:
        """Create a ticket whose first comment is the requester's public post; return the ticket."""
        ticket = new_ticket(external_id=external_id, requester_id=requester_id, subject=subject, body=body,
                            priority=priority, ticket_type=ticket_type, tags=tags, group_id=group_id,
                            assignee_id=assignee_id, assignee_email=assignee_email, follow_up_of=follow_up_of,
                            custom_fields=custom_fields, problem_id=problem_id)
        with _headers({"Idempotency-Key": idempotency_key}):
            audit = self.zenpy.tickets.create(ticket)
        return _ticket_view(audit.ticket)

    def ensure_problem(self, external_id: str, subject: str, body: str) -> int:
        """Return the unsolved problem ticket with this external_id, creating it (as the API agent) if none."""
        problems = self.find_conversation_tickets(external_id)
        unsolved = [t for t in problems if t["status"] not in ("solved", "closed")]
        if unsolved:
            return unsolved[-1]["id"]
        # Once agents solved the problem, new complaints are a new wave with its own problem ticket.
        # The key depends only on the external_id and the wave, so racing workers send the same
        # request and Zendesk answers both with the one ticket it made.
        problem = Ticket(external_id=external_id, subject=subject, type="problem",
                         tags=["goodwill", "goodwill_problem"], comment=Comment(body=body, public=False))
        with _headers({"Idempotency-Key": f"{external_id}#{len(problems) + 1}"}):
            return self.zenpy.tickets.create(problem).ticket.id

    def add_comment(self, ticket_id: int, body: str, public: bool, author_id: int | None = None,
                    reopen: bool = False) -> dict:
        """Add a comment or internal note (public=False), reopening a solved ticket if asked."""
        comment = Comment(body=body, public=public)
        if author_id is not None:
            comment.author_id = author_id
        ticket = Ticket(id=ticket_id, comment=comment)
        if reopen:
            ticket.status = "open"
        return _ticket_view(self.zenpy.tickets.update(ticket).ticket)

    def ticket_metrics(self, ticket_id: int) -> dict:
        """Return Zendesk's metrics of one ticket (reply_time_in_minutes, solved_at, …) as JSON."""
        return self.zenpy.tickets.metrics(ticket=ticket_id).to_dict()


@contextmanager
def _headers(headers: dict):
    token = _call_headers.set({**_call_headers.get(), **headers})
    try:
        yield
    finally:
        _call_headers.reset(token)


def desk_client(settings) -> DeskClient:
    """Build the help desk client from Settings (zendesk_url, zendesk_email, zendesk_token)."""
    if not settings.zendesk_url:
        raise ValueError("ZENDESK_URL is not set: give the help desk's base URL "
                         "(https://acme.zendesk.com) or start the shipped stand-in first")
    return DeskClient(settings.zendesk_url, settings.zendesk_email, settings.zendesk_token)
