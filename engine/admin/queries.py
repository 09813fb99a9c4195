"""What the admin pages read and change in the database."""
from dataclasses import dataclass

from sqlalchemy import exists, select, update

from engine.db import Action, Decision, InboxEvent, utcnow

PAGE_SIZE = 50
FILTERS = ("platform", "policy", "rule", "status")


@dataclass
class EventPage:
    rows: list
    filters: dict
    choices: dict
    offset: int
    more: bool


def recent_events(session, filters: dict, offset: int = 0) -> EventPage:
    """Return the newest events matching the filters, with their decisions, a page at a time."""
    query = select(InboxEvent)
    if filters.get("platform"):
        query = query.where(InboxEvent.platform == filters["platform"])
    if filters.get("status"):
        query = query.where(InboxEvent.status == filters["status"])
    for field in ("policy", "rule"):
        if filters.get(field):
            query = query.where(exists().where(Decision.event_id == InboxEvent.id,
                                               getattr(Decision, field) == filters[field]))
    rows = session.scalars(query.order_by(InboxEvent.received_at.desc(), InboxEvent.id)
                           .offset(offset).limit(PAGE_SIZE + 1)).all()
    return EventPage(rows[:PAGE_SIZE], filters, _choices(session), offset, len(rows) > PAGE_SIZE)


def _choices(session) -> dict:
    def distinct(column):
        return [v for v in session.scalars(select(column).distinct().order_by(column)) if v]
    return {"platform": distinct(InboxEvent.platform), "policy": distinct(Decision.policy),
            "rule": distinct(Decision.rule), "status": distinct(InboxEvent.status)}


def dead_actions(session) -> list:
    """Return dead-lettered actions, newest first, with their events."""
    return session.execute(
        select(Action, InboxEvent).join(InboxEvent, InboxEvent.id == Action.event_id)
        .where(Action.status == "dead").order_by(Action.updated_at.desc())).all()


def retry_action(make_session, action_id: str) -> bool:
    """Re-queue a dead action with a fresh retry budget; False when it is not dead (any more)."""
    # Attempts restart at 0: the outbox dead-letters once attempts reach GOODWILL_MAX_ATTEMPTS,
    # so kept, a retried action would get a single try. Only a dead row changes, so a double
    # click or two admins re-queue it once; the action itself is idempotent (Zendesk
    # Idempotency-Key, ledger key, webhook id) should it have half succeeded before.
    with make_session.begin() as session:
        return bool(session.execute(
            update(Action).where(Action.id == action_id, Action.status == "dead")
            .values(status="pending", attempts=0, next_attempt_at=utcnow(), lease_until=None)
        ).rowcount)


def ticket_link(zendesk_url: str | None, result: dict | None) -> str | None:
    """Return the agent's link to the ticket an action made or commented on."""
    ticket_id = (result or {}).get("ticket_id")
    if ticket_id is None or not zendesk_url:
        return None
    return f"{zendesk_url.rstrip('/')}/agent/tickets/{ticket_id}"
