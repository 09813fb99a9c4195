"""Run outbox actions: each with retries and backoff, dead-lettered after the last try."""
import logging
import random
from datetime import timedelta

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import aliased

from engine import customers, history
from engine.actions.base import ActionContext, ActionFailed, PermanentActionError
from engine.actions.registry import action_types
from engine.db import Action, Customer, InboxEvent, utcnow
from engine.desk_limits import desk_runnable, pause_desk_if_limited

log = logging.getLogger("goodwill.outbox")

UNFINISHED = ("pending", "retrying", "running")


def claim_action(make_session, lease: timedelta) -> str | None:
    """Claim the oldest due action whose conversation has no earlier unfinished action."""
    now = utcnow()
    earlier = aliased(Action)
    blocked = exists().where(earlier.sequence_key == Action.sequence_key,
                             earlier.created_at < Action.created_at,
                             earlier.status.in_(UNFINISHED))
    due = and_(or_(Action.status.in_(("pending", "retrying")),
                   and_(Action.status == "running", Action.lease_until < now)),
               Action.next_attempt_at <= now)
    with make_session.begin() as session:
        candidates = session.scalars(
            select(Action.id)
            .where(due, or_(Action.sequence_key.is_(None), ~blocked), desk_runnable(now))
            .order_by(Action.next_attempt_at, Action.created_at).limit(5)
            .with_for_update(skip_locked=True)).all()
        for action_id in candidates:
            claimed = session.execute(
                update(Action).where(Action.id == action_id, due)
                .values(status="running", lease_until=now + lease,
                        attempts=Action.attempts + 1)).rowcount
            if claimed:
                return action_id
    return None


def run_action(runtime, action_id: str) -> None:
    """Execute one claimed action and record its result, retry time or dead letter."""
    with runtime.sessionmaker() as session:
        action = session.get(Action, action_id)
        action_type, params, ctx = action.type, dict(action.params), _context(runtime, session, action)
    handler = action_types().get(action_type)
    try:
        if handler is None:
            raise PermanentActionError(f"no action named {action_type} is installed")
        result, error, status, delay = handler.execute(ctx, params), None, "done", None
    except PermanentActionError as exc:
        result, error, status, delay = None, str(exc), "dead", None
    except ActionFailed as exc:
        result, error, status, delay = None, str(exc), "retrying", exc.retry_after
        pause_desk_if_limited(runtime.sessionmaker, exc)
    except Exception as exc:
        # A bug in one action must not stop the others: log it with its rule, retry it.
        log.exception("action %s (%s/%s) raised", action_id, ctx.policy, ctx.rule)
        result, error, status, delay = None, f"{type(exc).__name__}: {exc}", "retrying", None
    _finish(runtime, action_id, result, error, status, delay)


def _finish(runtime, action_id, result, error, status, delay) -> None:
    with runtime.sessionmaker.begin() as session:
        action = session.get(Action, action_id)
        if status == "retrying" and action.attempts >= runtime.settings.max_attempts:
            status = "dead"
        if status == "retrying":
            backoff = runtime.settings.backoff_base ** action.attempts * random.uniform(0.5, 1.0)
            action.next_attempt_at = utcnow() + timedelta(seconds=max(delay or 0, backoff))
        if status == "dead":
            log.warning("action %s (%s/%s) dead-lettered after %d attempts: %s", action_id,
                        action.policy, action.rule, action.attempts, error)
        action.status, action.result, action.error, action.lease_until = status, result, error, None


def _context(runtime, session, action: Action) -> ActionContext:
    row = session.get(InboxEvent, action.event_id)
    event = {**row.payload, "thread": row.thread}
    return ActionContext(
        action_id=action.id, idempotency_key=action.idempotency_key, attempt=action.attempts,
        policy=action.policy, policy_version=action.policy_version, rule=action.rule,
        why=action.why, event=event, fact=row.enriched or event, decisions=list(action.decisions),
        customer=customer_view(session, row.customer_id, row.occurred_at, row.id),
        settings=runtime.settings, sessionmaker=runtime.sessionmaker, services=runtime.services,
        inbox_id=row.id)


def customer_view(session, customer_id: str | None, at, exclude_event: str = "") -> dict:
    """Summarise a customer as actions and the API show them: identity, balance, history."""
    if customer_id is None:
        return {"id": None, "name": None, "email": None,
                "balance": {"points": 0, "vouchers": []}, "history": {}}
    customer = session.get(Customer, customer_id)
    return {"id": customer.id, "name": customer.name, "email": customer.email,
            "balance": customers.balance(session, customer_id),
            "history": history.history(session, customer_id, history.DEFAULT_NAMES, at,
                                       exclude_event)}
