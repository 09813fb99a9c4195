"""New conversations' tickets in bulk: requesters, tickets and internal notes, up to 100 a request.

Each ticket carries what the one-at-a-time path gives it: the customer's post as their public
first comment, then Goodwill's context as an internal note. The note does not travel inside the
first comment: that comment is public (it is what Zendesk's triggers and the agent's reply
answer), and rules, history and the suggested reply must never reach the customer. Zendesk's
create takes one comment, so the notes follow in one `tickets/update_many`, each ticket its own.

Every action's progress is saved before and after each bulk request, so a retry goes on where
the last attempt stopped and never asks for a ticket Zendesk may already be making:

    single    sent the one-at-a-time way before (its own lookups and Idempotency-Key): it goes on so
    new       the requester (and problem) may be known; no ticket asked for yet
    creating  tickets/create_many was sent, no answer seen: the ticket may exist
    created   Zendesk's job `job` makes the ticket (its `index`-th of `size`)
    ticket    the ticket `ticket_id` exists; its internal note is still to add
    noting    tickets/update_many was sent with the note, no answer seen
    noted     Zendesk's job `job` adds the note
"""
import logging
from dataclasses import dataclass

from engine.actions.base import ActionContext, ActionFailed, PermanentActionError
from engine.actions.zendesk_ticket import (ZendeskTicket, ensure_problem, internal_note, new_ticket_fields,
                                          problem_key, requester_user_fields)
from engine.desk_limits import DeskRateLimited, DeskWait
from integrations.zendesk import bulk
from integrations.zendesk.client import DeskForbidden, DeskTurnedAway
from integrations.zendesk.records import new_ticket, requester_fields
from integrations.zendesk.ticket_body import event_marker, has_marker

log = logging.getLogger("goodwill.zendesk_batch")

# How long a retry waits while an earlier job of the account may still be making its ticket.
EARLIER_JOB_WAIT = 5.0
SENT_SINGLY = {"step": "single"}


@dataclass
class BatchItem:
    """One new conversation's zendesk.ticket action in a batch, and what came of it."""

    action_id: str
    ctx: ActionContext
    params: dict
    progress: dict | None
    # Goodwill has seen the author before: their Zendesk user may exist and is looked up first.
    known_author: bool = True
    # The action's result, or the ActionFailed saying why not (retry or dead letter).
    outcome: dict | Exception | None = None

    @property
    def step(self) -> str | None:
        return (self.progress or {}).get("step")

    def advance(self, step: str, **values) -> None:
        self.progress = {**(self.progress or {}), "step": step, **values}


class TicketBatch:
    """Create the new tickets of a batch of actions with as few requests as Zendesk allows."""

    def __init__(self, desk, items: list[BatchItem], save, deadline: float):
        self.desk, self.items, self.deadline = desk, items, deadline
        # Saves the items' progress for good (its own transaction) before the next request.
        self.save = save

    def run(self) -> None:
        """Carry every item as far as it goes; whatever stops the batch becomes the rest's outcome."""
        try:
            # One sent singly before finishes the same way; so does one whose last try ended with
            # no word at all (its worker died), as it may have been either way.
            for item in self._open(lambda i: i.step == "single" or i.progress is None and i.ctx.attempt > 1):
                self._singly(item)
            for item in self._open(lambda i: i.progress is None):
                item.advance("new")
            self._poll()
            self._settle_unsure()
            self._create()
            self._note()
        except ActionFailed as exc:
            for item in self._open():
                item.outcome = exc

    def _open(self, wanted=lambda item: True) -> list[BatchItem]:
        return [item for item in self.items if item.outcome is None and wanted(item)]

    def _at(self, *steps) -> list[BatchItem]:
        return self._open(lambda item: item.step in steps)

    def _singly(self, item: BatchItem) -> None:
        item.progress = dict(SENT_SINGLY)
        try:
            item.outcome = ZendeskTicket().execute(item.ctx, item.params)
        except DeskRateLimited:
            raise
        except ActionFailed as exc:
            item.outcome = exc

    def _done(self, item: BatchItem) -> None:
        ticket_id = item.progress["ticket_id"]
        item.outcome = {"ticket_id": ticket_id, "operation": "created", "url": self.desk.ticket_url(ticket_id)}

    def _poll(self) -> None:
        waiting = self._at("created", "noted")
        if not waiting:
            return
        sizes = {item.progress["job"]: item.progress["size"] for item in waiting}
        outcomes = bulk.job_outcomes(self.desk, list(sizes), sizes, self.deadline)
        for item in waiting:
            found = outcomes[item.progress["job"]][item.progress["index"]]
            (self._ticket_made if item.step == "created" else self._note_added)(item, found)

    def _ticket_made(self, item: BatchItem, found) -> None:
        if found is None:
            item.advance("creating")  # the job no longer says: unknown whether the ticket exists
        elif found.error:
            item.outcome = PermanentActionError(f"Zendesk refused the ticket: {found.error}")
        else:
            item.advance("ticket", ticket_id=found.record_id)

    def _note_added(self, item: BatchItem, found) -> None:
        if found is None:
            item.advance("noting")
        elif found.error:
            item.advance("ticket")
            item.outcome = ActionFailed(f"Zendesk did not add the internal note: {found.error}")
        else:
            self._done(item)

    def _settle_unsure(self) -> None:
        unsure = self._at("creating", "noting")
        if unsure and bulk.unfinished_jobs(self.desk):
            # A job whose answer was lost may still make these tickets or notes: looking now could miss them.
            for item in unsure:
                item.outcome = DeskWait("Zendesk is still running a job that may be making this ticket "
                                        "or note", retry_after=EARLIER_JOB_WAIT)
        for item in self._at("creating"):
            self._singly(item)  # finds the ticket by external_id (and adds a missing note) or makes it
        for item in self._at("noting"):
            marker = event_marker(item.ctx.event["id"])
            comments = self.desk.ticket_comments(item.progress["ticket_id"])
            if any(has_marker(c["body"], marker) and not c["public"] for c in comments):
                self._done(item)
            else:
                item.advance("ticket")

    def _create(self) -> None:
        fresh = self._at("new")
        self._requesters(fresh)
        self._problems(fresh)
        ready = [item for item in fresh if item.outcome is None]
        if not ready:
            return
        tickets = [new_ticket(**new_ticket_fields(item.ctx, item.params, self.desk, item.progress["problem_id"]),
                              requester_id=item.progress["requester_id"]) for item in ready]
        job = self._send(ready, ("new", "creating", "created"), lambda: bulk.create_tickets(self.desk, tickets))
        if job is None:
            return
        outcomes = bulk.job_outcomes(self.desk, [job], {job: len(ready)}, self.deadline)[job]
        for item, found in zip(ready, outcomes):
            self._ticket_made(item, found)

    def _note(self) -> None:
        ready = self._at("ticket")
        if not ready:
            return
        notes = [(item.progress["ticket_id"], internal_note(item.ctx, item.params, self.desk)) for item in ready]
        job = self._send(ready, ("ticket", "noting", "noted"), lambda: bulk.add_notes(self.desk, notes))
        if job is None:
            return
        for item, found in zip(ready, bulk.job_outcomes(self.desk, [job], {job: len(ready)}, self.deadline)[job]):
            self._note_added(item, found)

    def _send(self, items, steps: tuple[str, str, str], request) -> str | None:
        """Send one bulk request for items, their progress saved around it; return its job (None: sent singly).

        `steps` are the items' step before the request, while it is unanswered, and once Zendesk
        has queued its job.
        """
        before, sending, sent = steps
        for item in items:
            item.advance(sending)
        self.save(items)
        try:
            job = request()
        except (DeskRateLimited, DeskTurnedAway, PermanentActionError) as exc:
            # Zendesk turned the request away without acting on it.
            for item in items:
                item.advance(before)
            if not isinstance(exc, PermanentActionError):
                raise
            # Refused as a whole (a 4xx): each action on its own gets Zendesk's verdict on itself.
            log.warning("Zendesk refused a bulk request, sending its %d records singly: %s", len(items), exc)
            for item in items:
                self._singly(item)
            return None
        for index, item in enumerate(items):
            item.advance(sent, job=job, index=index, size=len(items))
        self.save(items)
        return job

    def _problems(self, items: list[BatchItem]) -> None:
        ids: dict[str, int | PermanentActionError] = {}
        for item in items:
            if item.outcome is None and "problem_id" not in item.progress:
                key = problem_key(item.ctx, item.params)
                if key and key not in ids:
                    try:
                        ids[key] = ensure_problem(self.desk, key)
                    except PermanentActionError as exc:
                        ids[key] = exc  # its incidents are dead-lettered with Zendesk's words, not the batch
                if isinstance(ids.get(key), PermanentActionError):
                    item.outcome = ids[key]
                else:
                    item.advance("new", problem_id=ids.get(key))

    def _requesters(self, items: list[BatchItem]) -> None:
        wanted = [item for item in items if item.outcome is None and "requester_id" not in item.progress]
        requesters, keys = {}, {}
        for item in wanted:
            bare, extras = requester_fields(item.ctx.event, item.ctx.customer.get("email"),
                                            requester_user_fields(item.ctx))
            keys[item.action_id] = bare["external_id"]
            requesters.setdefault(bare["external_id"], (bare, extras, item))
        # A user Goodwill made for an author it saw before may since have been edited by agents:
        # found, it is left as it is. An author new to Goodwill has no Zendesk user of Goodwill's yet.
        known = [key for key, (_, _, item) in requesters.items() if item.known_author]
        ids = bulk.find_users(self.desk, known) if known else {}
        missing = {key: spec for key, spec in requesters.items() if key not in ids}
        if missing:
            ids.update(self._upsert(missing))
        for item in wanted:
            found = ids.get(keys[item.action_id])
            if isinstance(found, int):
                item.advance("new", requester_id=found)
            elif found:
                item.outcome = PermanentActionError(f"Zendesk refused the requester: {found}")
            else:
                item.outcome = ActionFailed("Zendesk's job did not say whether it made the requester")

    def _upsert(self, requesters: dict) -> dict:
        """Create or update requesters; return each one's id, Zendesk's reason for refusing it, or None."""
        if self.desk.base_url in bulk.NO_BULK_USERS:
            return self._upsert_singly(requesters)
        try:
            found = self._upsert_in_bulk({key: {**bare, **extras} for key, (bare, extras, _) in requesters.items()})
        except DeskForbidden:
            # Bulk user imports are off until the account owner asks Zendesk: one user at a time.
            bulk.NO_BULK_USERS.add(self.desk.base_url)
            return self._upsert_singly(requesters)
        # The email or social identity may belong to another Zendesk user (say, one Zendesk's own
        # X channel made): as on the one-at-a-time path, the requester is made without them.
        refused = {key: bare for key, (bare, extras, _) in requesters.items()
                   if isinstance(found.get(key), str) and extras}
        return {**found, **(self._upsert_in_bulk(refused) if refused else {})}

    def _upsert_in_bulk(self, users: dict) -> dict:
        job = bulk.upsert_users(self.desk, list(users.values()))
        outcomes = bulk.job_outcomes(self.desk, [job], {job: len(users)}, self.deadline)[job]
        return {key: None if found is None else found.error or found.record_id
                for key, found in zip(users, outcomes)}

    def _upsert_singly(self, requesters: dict) -> dict:
        found = {}
        for key, (_, _, item) in requesters.items():
            try:
                found[key] = self.desk.ensure_requester(item.ctx.event, email=item.ctx.customer.get("email"),
                                                        user_fields=requester_user_fields(item.ctx))
            except PermanentActionError as exc:
                found[key] = str(exc)
        return found
