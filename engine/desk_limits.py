"""The help desk's rate limit in the outbox: a 429 pauses that desk's actions, and only those."""
import logging
from datetime import timedelta

from sqlalchemy import exists, or_, update

from engine.actions.base import ActionFailed
from engine.db import Action, DeskPause, utcnow

log = logging.getLogger("goodwill.desk_limits")

DESK = "zendesk"
DESK_ACTION_PREFIX = "zendesk."
# Zendesk's limits are per minute; a longer Retry-After (a misconfigured proxy) must not park
# the desk's actions for hours: after this the next action tries again and learns the truth.
MAX_PAUSE = timedelta(minutes=2)


class DeskWait(ActionFailed):
    """The action waits on the help desk (its pace, its earlier job): not a failed attempt of its own."""


class DeskRateLimited(DeskWait):
    """The help desk refused a request for its rate limit and said when to come back."""


def desk_runnable(now):
    """Return the SQL condition that leaves desk actions out while the desk is paused."""
    paused = exists().where(DeskPause.desk == DESK, DeskPause.paused_until > now)
    return or_(~Action.type.startswith(DESK_ACTION_PREFIX), ~paused)


def pause_desk_if_limited(make_session, exc: ActionFailed) -> None:
    """Pause every desk action for the Retry-After of a rate-limit refusal (at most MAX_PAUSE)."""
    if not isinstance(exc, DeskRateLimited) or not exc.retry_after:
        return
    until = utcnow() + min(timedelta(seconds=exc.retry_after), MAX_PAUSE)
    # Compared in SQL: SQLite hands datetimes back without their zone.
    with make_session.begin() as session:
        if session.get(DeskPause, DESK, with_for_update=True) is None:
            session.add(DeskPause(desk=DESK, paused_until=until, reason=str(exc)))
        else:
            session.execute(update(DeskPause).where(DeskPause.desk == DESK, DeskPause.paused_until < until)
                            .values(paused_until=until, reason=str(exc)))
    log.warning("%s paused until %s: %s", DESK, until.isoformat(timespec="seconds"), exc)

