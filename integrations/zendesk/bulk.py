"""Zendesk's bulk calls through zenpy: up to 100 users, tickets or notes a request, each done by a job.

A bulk request answers a job_status at once; the job does the work afterwards and its results,
in the order of the request, say what became of each record. Polls and look-ups only read, so
they are tried again in place after a failure; a bulk request is sent again in place only when
Zendesk said it did not act on it (503).
"""
import itertools
import random
import re
import time
from dataclasses import dataclass

from zenpy.lib.api_objects import Comment, Ticket, User

from engine.actions.base import ActionFailed, PermanentActionError
from engine.desk_limits import DeskRateLimited, DeskWait
from integrations.zendesk.client import DeskTurnedAway

# The first poll waits about as long as the desk's last jobs took, so a poll rarely finds a job
# unfinished (each poll is a request out of the minute's allowance); later polls back off.
FIRST_POLL = {"initial": 0.5, "least": 0.05, "most": 10.0}
_first_poll: dict[str, float] = {}
# In-place tries of one call before the failure is handed to the outbox (and its backoff); a
# failure asking for a longer wait than IN_PLACE_WAIT is handed over at once.
TRIES = 3
IN_PLACE_WAIT = 2.0
FINISHED = ("completed", "failed", "killed")
_QUERY_SAFE = re.compile(r"[A-Za-z0-9:._@-]+")
# The base URLs of accounts that refused a bulk user import (403): their users are made one by one.
NO_BULK_USERS: set[str] = set()


@dataclass
class Outcome:
    """What a job did with one record: its id, or Zendesk's reason for refusing it."""

    record_id: int | None = None
    error: str | None = None


def _again(call, read_only: bool):
    """Make a call, trying again after a failure that is safe to repeat; a 429 is the outbox's to wait out."""
    for attempt in range(TRIES):
        try:
            return call()
        except (DeskRateLimited, PermanentActionError):
            raise
        except ActionFailed as exc:
            wait = max(exc.retry_after or 0, 0.5 * 2 ** attempt * random.uniform(0.5, 1.0))
            if attempt == TRIES - 1 or wait > IN_PLACE_WAIT or not (read_only or isinstance(exc, DeskTurnedAway)):
                raise
            time.sleep(wait)


def find_users(desk, external_ids: list[str]) -> dict[str, int]:
    """Return the Zendesk ids of the users with these external ids (at most 100), by external id."""
    # zenpy puts the ids in the query as they are, comma-separated: one that a query or the list
    # would misread (a comma, an ampersand) is asked about alone.
    plain = [value for value in external_ids if _QUERY_SAFE.fullmatch(value)]
    found = {user.external_id: user.id
             for user in _again(lambda: list(desk.zenpy.users(external_ids=plain)), read_only=True)} if plain else {}
    for value in set(external_ids) - set(plain):
        for user in _again(lambda: list(desk.zenpy.users.search(external_id=value)), read_only=True):
            found[value] = user.id
    return found


def upsert_users(desk, users: list[dict]) -> str:
    """Create or update up to 100 users (matched by external id or email); return the job's id."""
    return _again(lambda: desk.zenpy.users.create_or_update([User(**user) for user in users]).id, read_only=False)


def create_tickets(desk, tickets: list[Ticket]) -> str:
    """Create up to 100 tickets; return the job's id."""
    return _again(lambda: desk.zenpy.tickets.create(list(tickets)).id, read_only=False)


def add_notes(desk, notes: list[tuple[int, str]]) -> str:
    """Add an internal note to each of up to 100 tickets, each its own; return the job's id."""
    changes = [Ticket(id=ticket_id, comment=Comment(body=body, public=False)) for ticket_id, body in notes]
    return _again(lambda: desk.zenpy.tickets.update(changes).id, read_only=False)


def unfinished_jobs(desk) -> bool:
    """Say whether any of the account's recent jobs is still queued or working."""
    listing = _again(lambda: desk.zenpy.job_status(), read_only=True)
    return any(job.status not in FINISHED for job in listing["job_statuses"])


def job_outcomes(desk, job_ids: list[str], sizes: dict[str, int], deadline: float) -> dict[str, list]:
    """Poll jobs until each is finished; return each one's outcomes in the order of its request.

    `sizes` gives each job's number of records. A record the job never reported (it failed
    part-way) has None; a job Zendesk no longer knows (expired after an hour) has a list of None.
    Raises DeskWait when a job is still running at `deadline` (time.monotonic()).
    """
    waiting, outcomes = list(dict.fromkeys(job_ids)), {}
    started, wait = time.monotonic(), _first_poll.get(desk.base_url, FIRST_POLL["initial"])
    for poll in itertools.count():
        time.sleep(wait)
        answer = _again(lambda: desk.zenpy.job_status(ids=waiting), read_only=True)
        shown = {job.id: job for job in answer["job_statuses"]}
        for job_id in list(waiting):
            job = shown.get(job_id)
            if job is None or job.status in FINISHED:
                outcomes[job_id] = _outcomes(job, sizes[job_id])
                waiting.remove(job_id)
        if not waiting:
            # Done at the first poll: the jobs may be quicker still. Otherwise they took about this long.
            took = wait / 2 if poll == 0 else time.monotonic() - started
            _first_poll[desk.base_url] = min(FIRST_POLL["most"], max(FIRST_POLL["least"], took))
            return outcomes
        if time.monotonic() >= deadline:
            raise DeskWait(f"Zendesk's jobs {', '.join(waiting)} were still running; polled again later")
        wait = min(2 * wait, FIRST_POLL["most"], max(0.0, deadline - time.monotonic()))


def _outcomes(job, size: int) -> list:
    found = [None] * size
    for position, result in enumerate((job.results or []) if job is not None else []):
        item = result.to_dict() if hasattr(result, "to_dict") else dict(result)
        # A created record has its index; a failed one may not, but results keep the request's order.
        index = item.get("index") if item.get("index") is not None else position
        if not 0 <= index < size:
            continue
        if item.get("success") is False or item.get("error"):
            found[index] = Outcome(error=": ".join(str(p) for p in (item.get("error"), item.get("details")) if p))
        else:
            found[index] = Outcome(record_id=item.get("id"))
    return found
