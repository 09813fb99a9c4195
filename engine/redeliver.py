"""Re-queue dead outbox actions and failed events (`goodwill outbox|events retry`)."""
from sqlalchemy import select, update

from engine.db import Action, InboxEvent, utcnow


def retry_dead(make_session, action_id: str | None = None) -> list[str]:
    """Put dead actions (one, or all) back in the queue with fresh attempts; return their ids.

    Only a dead action moves, so running the command twice queues nothing twice, and an
    action's own idempotency (webhook-id, ledger key, Idempotency-Key) covers the resend.
    """
    dead = Action.status == "dead"
    with make_session.begin() as session:
        query = select(Action.id).where(dead)
        if action_id is not None:
            query = query.where(Action.id == action_id)
        ids = list(session.scalars(query.order_by(Action.created_at)))
        requeued = []
        for an_id in ids:
            moved = session.execute(
                update(Action).where(Action.id == an_id, dead)
                .values(status="pending", attempts=0, lease_until=None,
                        next_attempt_at=utcnow())).rowcount
            if moved:
                requeued.append(an_id)
    return requeued


def describe(make_session, action_id: str) -> str | None:
    """Say what status an action has, or None when there is no such action."""
    with make_session() as session:
        action = session.get(Action, action_id)
        return None if action is None else action.status


def retry_failed_events(make_session, event_id: str | None = None) -> list[str]:
    """Put failed events (one, or all) back in the inbox with fresh attempts; return their ids.

    A failed event was never decided (deciding commits its decisions and its status at
    once), so deciding it now cannot act on it twice.
    """
    failed = InboxEvent.status == "failed"
    with make_session.begin() as session:
        query = select(InboxEvent.id).where(failed)
        if event_id is not None:
            query = query.where(InboxEvent.id == event_id)
        requeued = []
        for an_id in list(session.scalars(query.order_by(InboxEvent.occurred_at))):
            moved = session.execute(
                update(InboxEvent).where(InboxEvent.id == an_id, failed)
                .values(status="received", attempts=0, lease_until=None)).rowcount
            if moved:
                requeued.append(an_id)
    return requeued
