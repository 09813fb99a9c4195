"""First reply times of the tickets Goodwill created, read from Zendesk's ticket metrics.

Zendesk measures a ticket's first reply time itself (up to the first public comment by an
agent). A thread in each worker process asks for it every GOODWILL_TICKET_METRICS_EVERY
seconds about the tickets Goodwill created within the last GOODWILL_TICKET_METRICS_DAYS days
that have no reply yet, and keeps the answer in `ticket_metrics`. A reply time is final: that
ticket is not asked about again.

One GET /tickets/{id}/metrics per ticket, not the account-wide GET /ticket_metrics list: the list
holds every ticket of the account (email, phone, chat), newest first, so reaching a week-old
unanswered social ticket means paging through a week of the whole account, while per-ticket
requests grow only with Goodwill's own unanswered tickets, at most MAX_PER_PASS a pass.

The sync has its own thread, so a slow or failing desk never holds up events and actions. It
asks nothing while the desk is paused for its rate limit (engine.desk_limits), and a 429 it
receives pauses the desk for the outbox's desk actions too.
"""
import logging
import threading
from datetime import datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError

from engine.actions.base import ActionFailed, PermanentActionError
from engine.db import Action, DeskPause, InboxEvent, TicketMetric, utcnow
from engine.desk_limits import DESK, pause_desk_if_limited

log = logging.getLogger("goodwill.ticket_metrics")
MAX_PER_PASS = 100


def discover(session, since: datetime, every: timedelta) -> int:
    """Add a row for each ticket Goodwill created since `since` that has none; return how many."""
    ticket_id = Action.result["ticket_id"].as_integer()
    found = session.execute(
        select(ticket_id, Action.id, Action.policy, Action.rule, Action.updated_at,
               InboxEvent.platform)
        .join(InboxEvent, InboxEvent.id == Action.event_id)
        .where(Action.type == "zendesk.ticket", Action.status == "done", Action.updated_at >= since,
               Action.result["operation"].as_string() == "created",
               ~exists().where(TicketMetric.action_id == Action.id))).all()
    known = set(session.scalars(select(TicketMetric.ticket_id).where(
        TicketMetric.ticket_id.in_([row[0] for row in found]))))
    fresh = {row[0]: row for row in found if row[0] not in known}
    # A reply within the first interval is read at the first check, an interval after the ticket.
    session.add_all(TicketMetric(ticket_id=ticket, action_id=action_id, policy=policy, rule=rule,
                                 platform=platform, ticket_created_at=created,
                                 next_check_at=created + every)
                    for ticket, action_id, policy, rule, created, platform in fresh.values())
    return len(fresh)


def due_tickets(session, now: datetime, since: datetime, limit: int) -> list[int]:
    """Return the tickets to ask about now: no reply yet, recent enough, their check due."""
    return list(session.scalars(select(TicketMetric.ticket_id).where(
        TicketMetric.reply_minutes.is_(None), TicketMetric.error.is_(None),
        TicketMetric.ticket_created_at >= since, TicketMetric.next_check_at <= now)
        .order_by(TicketMetric.next_check_at).limit(limit)))


def _claim(make_session, ticket_id: int, now: datetime, next_check: datetime) -> bool:
    # Moving the next check forward is the claim: a second process finds it no longer due.
    with make_session.begin() as session:
        return session.execute(update(TicketMetric).where(
            TicketMetric.ticket_id == ticket_id, TicketMetric.next_check_at <= now)
            .values(next_check_at=next_check)).rowcount == 1


def _desk_paused(make_session, now: datetime) -> bool:
    with make_session() as session:
        return session.scalar(select(exists().where(DeskPause.desk == DESK,
                                                    DeskPause.paused_until > now)))


def record(session, ticket_id: int, metric: dict, now: datetime) -> bool:
    """Keep what Zendesk's metrics say of a ticket's first reply; return whether it had one."""
    reply = metric.get("reply_time_in_minutes") or {}
    row = session.get(TicketMetric, ticket_id)
    row.reply_minutes, row.reply_business_minutes = reply.get("calendar"), reply.get("business")
    row.checked_at = now
    return row.reply_minutes is not None


def sync_once(runtime, now: datetime | None = None) -> dict:
    """Find the tickets Goodwill created lately, ask Zendesk about those due; say what happened."""
    settings, make_session = runtime.settings, runtime.sessionmaker
    now = now or utcnow()
    since = now - timedelta(days=settings.ticket_metrics_days)
    every = timedelta(seconds=settings.ticket_metrics_every)
    try:
        with make_session.begin() as session:
            found = discover(session, since, every)
    except IntegrityError:
        found = 0  # another process added the same tickets first
    with make_session() as session:
        due = due_tickets(session, now, since, MAX_PER_PASS)
    outcome = {"found": found, "checked": 0, "answered": 0}
    for ticket_id in due:
        if _desk_paused(make_session, now) or not _claim(make_session, ticket_id, now, now + every):
            continue
        try:
            metric = runtime.services["desk"].ticket_metrics(ticket_id)
        except PermanentActionError as exc:
            _give_up(make_session, ticket_id, str(exc))
            continue
        except ActionFailed as exc:
            # The desk is down or busy: stop this pass; these tickets come due again next time.
            pause_desk_if_limited(make_session, exc)
            log.warning("ticket metrics: %s; trying again in %s s", exc,
                        settings.ticket_metrics_every)
            break
        with make_session.begin() as session:
            outcome["answered"] += record(session, ticket_id, metric, now)
        outcome["checked"] += 1
    return outcome


def _give_up(make_session, ticket_id: int, error: str) -> None:
    log.warning("ticket metrics of ticket %s: %s; not asking again", ticket_id, error)
    with make_session.begin() as session:
        session.get(TicketMetric, ticket_id).error = error


def start_sync_thread(runtime, stop: threading.Event) -> threading.Thread:
    """Start the thread syncing every GOODWILL_TICKET_METRICS_EVERY seconds until `stop` is set."""
    def loop():
        while not stop.wait(runtime.settings.ticket_metrics_every):
            try:
                sync_once(runtime)
            except Exception:
                log.exception("ticket metrics pass failed; trying again next time")
    thread = threading.Thread(target=loop, name="goodwill-ticket-metrics", daemon=True)
    thread.start()
    return thread
