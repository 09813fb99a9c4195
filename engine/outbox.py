"""Run outbox actions: each with retries and backoff, dead-lettered after the last try.

New conversations' tickets that are due together go to Zendesk together, up to 100 a batch
(engine.actions.zendesk_batch); everything else runs one action at a time.
"""
import logging
import random
import time
from datetime import timedelta

from sqlalchemy import and_, bindparam, exists, func, or_, select, update
from sqlalchemy.orm import aliased

from engine import customers, history
from engine.actions.base import ActionContext, ActionFailed, PermanentActionError
from engine.actions.registry import action_types
from engine.actions.zendesk_batch import SENT_SINGLY, BatchItem, TicketBatch
from engine.actions.zendesk_ticket import desk_service
from engine.db import Action, Customer, InboxEvent, utcnow
from engine.desk_limits import DeskWait, desk_runnable, pause_desk_if_limited

log = logging.getLogger("goodwill.outbox")

UNFINISHED = ("pending", "retrying", "running")
BATCH_SIZE = 100


def _due(now):
    return and_(or_(Action.status.in_(("pending", "retrying")),
                    and_(Action.status == "running", Action.lease_until < now)),
                Action.next_attempt_at <= now)


def _claimable(now):
    """Due, and the first unfinished action of its conversation, and not held by a desk pause."""
    earlier = aliased(Action)
    blocked = exists().where(earlier.sequence_key == Action.sequence_key,
                             earlier.created_at < Action.created_at,
                             earlier.status.in_(UNFINISHED))
    return and_(_due(now), or_(Action.sequence_key.is_(None), ~blocked), desk_runnable(now))


def _opens_conversation():
    """A zendesk.ticket action that is its conversation's first: the one that makes the ticket."""
    earlier = aliased(Action)
    return and_(Action.type == "zendesk.ticket", Action.sequence_key.is_not(None),
                ~exists().where(earlier.sequence_key == Action.sequence_key, earlier.type == "zendesk.ticket",
                                earlier.created_at < Action.created_at))


def _candidates(session, now, limit: int, *conditions) -> list[str]:
    return session.scalars(select(Action.id).where(_claimable(now), *conditions)
                           .order_by(Action.next_attempt_at, Action.created_at).limit(limit)
                           .with_for_update(skip_locked=True)).all()


def _claimed(now, lease: timedelta, *conditions):
    # The conditional update is the claim: a row another worker took meanwhile is not due any more.
    return (update(Action).where(_due(now), *conditions)
            .values(status="running", lease_until=now + lease, attempts=Action.attempts + 1))


def claim_action(make_session, lease: timedelta) -> str | None:
    """Claim the oldest due action whose conversation has no earlier unfinished action."""
    now = utcnow()
    with make_session.begin() as session:
        # A few candidates, in case another worker takes the first between the look and the claim.
        for action_id in _candidates(session, now, 5):
            if session.execute(_claimed(now, lease, Action.id == action_id)).rowcount:
                return action_id
    return None


def claim_batch_partners(runtime, action_id: str) -> list[str] | None:
    """Claim up to 99 more due new-conversation tickets to go with this one; None when it goes alone."""
    with runtime.sessionmaker() as session:
        opens = session.scalar(select(exists().where(Action.id == action_id, _opens_conversation())))
        resumed = opens and session.get(Action, action_id).desk_progress is not None
    if not opens:
        return None
    lease, now = timedelta(seconds=runtime.settings.lease_seconds), utcnow()
    with runtime.sessionmaker.begin() as session:
        candidates = _candidates(session, now, BATCH_SIZE - 1, _opens_conversation())
        partners = list(session.scalars(_claimed(now, lease, Action.id.in_(candidates)).returning(Action.id))) \
            if candidates else []
    # Alone, a ticket costs fewer requests the one-at-a-time way (no job to poll), unless an
    # earlier batch left it part-way.
    return partners if partners or resumed else None


def run_action(runtime, action_id: str) -> None:
    """Execute one claimed action and record its result, retry time or dead letter.

    A new conversation's ticket takes the other new tickets that are due along, to be created
    in bulk; alone, it is created the one-at-a-time way.
    """
    partners = claim_batch_partners(runtime, action_id)
    if partners is not None:
        run_ticket_batch(runtime, [action_id, *partners])
        return
    with runtime.sessionmaker() as session:
        action = session.get(Action, action_id)
        action_type, params, ctx = action.type, dict(action.params), _context(runtime, session, action)
    handler = action_types().get(action_type)
    try:
        if handler is None:
            raise PermanentActionError(f"no action named {action_type} is installed")
        outcome = handler.execute(ctx, params)
    except Exception as exc:
        outcome = exc
    # A ticket sent the one-at-a-time way says so: a batch taking it later must look it up first,
    # and its attempt count cannot tell (a 429 gives the attempt back).
    settle(runtime, action_id, outcome, f"{ctx.policy}/{ctx.rule}",
           progress=SENT_SINGLY if action_type == "zendesk.ticket" else None)


def run_ticket_batch(runtime, action_ids: list[str]) -> None:
    """Create claimed new conversations' tickets in bulk and record what came of each action."""
    with runtime.sessionmaker() as session:
        actions = session.scalars(select(Action).where(Action.id.in_(action_ids))).all()
        events = session.scalars(select(InboxEvent).where(InboxEvent.id.in_([a.event_id for a in actions]))).all()
        # Loaded once here, each action's context finds its event and customer without a query.
        session.scalars(select(Customer).where(Customer.id.in_([e.customer_id for e in events]))).all()
        seen = _authors_seen_before(session, [event.id for event in events])
        items = [BatchItem(action.id, _context(runtime, session, action, counted=action.event_id in seen),
                           dict(action.params), action.desk_progress, action.event_id in seen) for action in actions]
    # Well inside the lease: no other worker takes these actions while their jobs are polled.
    deadline = time.monotonic() + min(60.0, runtime.settings.lease_seconds / 3)
    try:
        TicketBatch(desk_service(items[0].ctx), items, lambda saved: _save_progress(runtime, saved), deadline).run()
    except Exception as exc:
        if not isinstance(exc, ActionFailed):
            log.exception("a batch of %d tickets raised", len(items))
            exc = ActionFailed(f"{type(exc).__name__}: {exc}")
        for item in items:
            if item.outcome is None:
                item.outcome = exc
    # One pause for each 429 the batch received, not one per action it stopped.
    for limited in {id(item.outcome): item.outcome for item in items}.values():
        if isinstance(limited, ActionFailed):
            pause_desk_if_limited(runtime.sessionmaker, limited)
    rows = []
    for item in items:
        values = _outcome_values(runtime, item.action_id, item.ctx.attempt, item.outcome)
        values.pop("id")
        if item.progress is not None:
            values["desk_progress"] = item.progress
        rows.append((item, values))
    with runtime.sessionmaker.begin() as session:
        _write_still_mine(session, rows)


def _authors_seen_before(session, event_ids: list[str]) -> set[str]:
    """Return the events whose author Goodwill knew from another event (None: none of them)."""
    events = aliased(InboxEvent)
    others = (select(func.count(events.id)).where(events.customer_id == InboxEvent.customer_id,
                                                  events.id != InboxEvent.id).scalar_subquery())
    return set(session.scalars(select(InboxEvent.id).where(
        InboxEvent.id.in_(event_ids), or_(InboxEvent.customer_id.is_(None), others > 0))))


def _write_still_mine(session, rows: list[tuple[BatchItem, dict]]) -> int:
    """Write each item's new column values where the batch still holds it; return how many it held.

    The claim's attempt count fences the batch: a worker that took an action over after the
    lease ran out claimed it again, so the count moved on and this batch leaves it alone.
    """
    table, held = Action.__table__, 0
    shapes: dict[tuple, list[dict]] = {}
    for item, values in rows:
        shapes.setdefault(tuple(sorted(values)), []).append(
            {"held_id": item.action_id, "held_attempts": item.ctx.attempt,
             **{f"new_{column}": value for column, value in values.items()}})
    # One statement, sent for every row of the same shape: a batch writes its 100 rows at once.
    for columns, params in shapes.items():
        statement = (update(table).where(table.c.id == bindparam("held_id"), table.c.status == "running",
                                         table.c.attempts == bindparam("held_attempts"))
                     .values({column: bindparam(f"new_{column}") for column in columns}))
        held += session.execute(statement, params).rowcount
    return held


def _save_progress(runtime, items: list[BatchItem]) -> None:
    """Save the items' progress and renew their lease; stop the batch if one was taken over."""
    now = utcnow()
    lease_until = now + timedelta(seconds=runtime.settings.lease_seconds)
    with runtime.sessionmaker.begin() as session:
        held = _write_still_mine(session, [(item, {"desk_progress": item.progress, "updated_at": now,
                                                   "lease_until": lease_until}) for item in items])
        if held < len(items):
            # Before the next request, so no ticket is asked for twice: the rest try again.
            raise DeskWait("another worker took over part of this batch after its lease ran out",
                           retry_after=0)


def settle(runtime, action_id: str, outcome, label: str, progress: dict | None = None) -> None:
    """Record what came of one action: its result, or why not (retried with backoff, or dead).

    `outcome` is the result or the exception it raised; `progress`, if given, is the desk's.
    """
    if isinstance(outcome, ActionFailed):
        pause_desk_if_limited(runtime.sessionmaker, outcome)
    elif isinstance(outcome, Exception):
        # A bug in one action must not stop the others: log it with its rule, retry it.
        log.error("action %s (%s) raised", action_id, label, exc_info=outcome)
    with runtime.sessionmaker.begin() as session:
        attempts = session.scalar(select(Action.attempts).where(Action.id == action_id))
        values = _outcome_values(runtime, action_id, attempts, outcome)
        if progress is not None:
            values["desk_progress"] = progress
        session.execute(update(Action), [values])


def _outcome_values(runtime, action_id: str, attempts: int, outcome) -> dict:
    """Return an action's new columns for its outcome: done, retrying at its backoff, or dead."""
    if not isinstance(outcome, Exception):
        result, error, status, delay = outcome, None, "done", None
    elif isinstance(outcome, PermanentActionError):
        result, error, status, delay = None, str(outcome), "dead", None
    elif isinstance(outcome, ActionFailed):
        result, error, status, delay = None, str(outcome), "retrying", outcome.retry_after
    else:
        result, error, status, delay = None, f"{type(outcome).__name__}: {outcome}", "retrying", None
    if isinstance(outcome, DeskWait):
        # Waiting on the desk (its rate limit, its earlier job) is no failed try of the action's own.
        attempts -= 1
    if status == "retrying" and attempts >= runtime.settings.max_attempts:
        status = "dead"
    values = {"id": action_id, "status": status, "result": result, "error": error, "lease_until": None,
              "attempts": attempts, "updated_at": utcnow()}
    if status == "retrying":
        backoff = runtime.settings.backoff_base ** attempts * random.uniform(0.5, 1.0)
        values["next_attempt_at"] = utcnow() + timedelta(seconds=max(delay or 0, backoff))
    if status == "dead":
        log.warning("action %s dead-lettered after %d attempts: %s", action_id, attempts, error)
    return values


def _context(runtime, session, action: Action, counted: bool = True) -> ActionContext:
    """Gather what an action reads; `counted=False`: the author has no other event, nothing to count."""
    row = session.get(InboxEvent, action.event_id)
    event = {**row.payload, "thread": row.thread}
    return ActionContext(
        action_id=action.id, idempotency_key=action.idempotency_key, attempt=action.attempts,
        policy=action.policy, policy_version=action.policy_version, rule=action.rule,
        why=action.why, event=event, fact=row.enriched or event, decisions=list(action.decisions),
        customer=customer_view(session, row.customer_id, row.occurred_at, row.id, counted),
        settings=runtime.settings, sessionmaker=runtime.sessionmaker, services=runtime.services,
        inbox_id=row.id)


def customer_view(session, customer_id: str | None, at, exclude_event: str = "", counted: bool = True) -> dict:
    """Summarise a customer as actions and the API show them: identity, balance, history.

    `counted=False` says the customer has no event but `exclude_event`: every history count is 0.
    """
    if customer_id is None:
        return {"id": None, "name": None, "email": None,
                "balance": {"points": 0, "vouchers": []}, "history": {}}
    customer = session.get(Customer, customer_id)
    return {"id": customer.id, "name": customer.name, "email": customer.email,
            "balance": customers.balance(session, customer_id),
            "history": history.history(session, customer_id, history.DEFAULT_NAMES, at, exclude_event)
            if counted else dict.fromkeys(history.DEFAULT_NAMES, 0)}
