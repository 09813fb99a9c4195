"""`/metrics`: Prometheus text computed from the database at scrape time.

Reading the database on each scrape makes the numbers the same whichever gunicorn or worker
process answers. Signature failures and skipped webhook items are counted by the process that
saw them (engine/counters.py: summed over processes with PROMETHEUS_MULTIPROC_DIR).
"""
from flask import Blueprint, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import (CounterMetricFamily, GaugeMetricFamily,
                                    HistogramMetricFamily)
from prometheus_client.registry import CollectorRegistry
from sqlalchemy import func, select

from engine import counters
from engine.counters import SIGNATURE_FAILURES
from engine.db import Action, Decision, DeskPause, InboxEvent, LedgerEntry, TicketMetric, utcnow
from engine.errors import ApiError

bp = Blueprint("metrics", __name__)

WAITING = ("pending", "retrying", "running")
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
# Minutes: from a quick answer to two days.
FIRST_REPLY_BUCKETS = (5, 15, 30, 60, 120, 240, 480, 1440, 2880)
RATE_LIMITED = "Zendesk answered 429%"

@bp.after_app_request
def _count_refused_webhooks(response):
    # Every adapter refuses a bad signature, token or credentials with 401/403 before reading it.
    if request.path.startswith("/webhooks/") and response.status_code in (401, 403):
        SIGNATURE_FAILURES.labels(request.path.split("/")[2] or "unknown").inc()
    return response


class DatabaseCollector:
    """Collect Goodwill's counts from the database each time Prometheus scrapes."""

    def __init__(self, make_session):
        self.make_session = make_session

    def collect(self):
        with self.make_session() as session:
            yield from self._events_and_decisions(session)
            yield from self._actions(session)
            yield from self._latency(session)
            yield from self._first_replies(session)
            yield from self._reward_cost(session)

    def _events_and_decisions(self, session):
        events = GaugeMetricFamily("goodwill_events", "Events in the inbox by source and status",
                                   labels=["source", "status"])
        for source, status, n in session.execute(
                select(InboxEvent.source, InboxEvent.status, func.count())
                .group_by(InboxEvent.source, InboxEvent.status)):
            events.add_metric([source, status], n)
        decisions = CounterMetricFamily("goodwill_decisions", "Decisions by policy and rule",
                                        labels=["policy", "rule"])
        for policy, rule, n in session.execute(
                select(Decision.policy, Decision.rule, func.count())
                .group_by(Decision.policy, Decision.rule)):
            decisions.add_metric([policy, rule], n)
        yield events
        yield decisions

    def _actions(self, session):
        actions = GaugeMetricFamily("goodwill_actions", "Outbox actions by type and status",
                                    labels=["type", "status"])
        for kind, status, n in session.execute(
                select(Action.type, Action.status, func.count()).group_by(Action.type, Action.status)):
            actions.add_metric([kind, status], n)
        depth, oldest = session.execute(
            select(func.count(), func.min(Action.created_at)).where(Action.status.in_(WAITING))).one()
        age = (utcnow() - oldest).total_seconds() if oldest else 0.0
        limited = session.scalar(select(func.count()).where(
            Action.status == "retrying", Action.error.like(RATE_LIMITED)))
        yield actions
        yield GaugeMetricFamily("goodwill_outbox_depth", "Actions waiting to run or running",
                                value=depth)
        yield GaugeMetricFamily("goodwill_outbox_oldest_age_seconds",
                                "Age of the oldest waiting action (0 when none waits)", value=age)
        yield GaugeMetricFamily("goodwill_desk_rate_limited_actions",
                                "Actions paused because Zendesk answered 429", value=limited)
        pauses = GaugeMetricFamily("goodwill_desk_pause_remaining_seconds",
                                   "How long a help desk's rate-limit pause still lasts (0: none)",
                                   labels=["desk"])
        for desk, until in session.execute(select(DeskPause.desk, DeskPause.paused_until)):
            pauses.add_metric([desk], max(0.0, (until - utcnow()).total_seconds()))
        yield pauses

    def _latency(self, session):
        histogram = HistogramMetricFamily(
            "goodwill_action_latency_seconds",
            "From an action being queued to it being done", labels=["type"])
        by_type: dict[str, list[float]] = {}
        for kind, created, updated in session.execute(
                select(Action.type, Action.created_at, Action.updated_at)
                .where(Action.status == "done")):
            by_type.setdefault(kind, []).append((updated - created).total_seconds())
        for kind, seconds in sorted(by_type.items()):
            buckets = [(str(bound), sum(s <= bound for s in seconds)) for bound in LATENCY_BUCKETS]
            buckets.append(("+Inf", len(seconds)))
            histogram.add_metric([kind], buckets, sum(seconds))
        yield histogram


    def _first_replies(self, session):
        histogram = HistogramMetricFamily(
            "goodwill_first_reply_minutes",
            "Zendesk's first reply time of the tickets Goodwill created (calendar minutes)",
            labels=["platform", "policy"])
        unanswered = GaugeMetricFamily(
            "goodwill_tickets_unanswered",
            "Tickets Goodwill created with no agent reply known (Zendesk ticket metrics)",
            labels=["platform", "policy"])
        replies: dict[tuple, list] = {}
        for platform, policy, minutes in session.execute(
                select(TicketMetric.platform, TicketMetric.policy, TicketMetric.reply_minutes)):
            replies.setdefault((platform, policy), []).append(minutes)
        for labels, minutes in sorted(replies.items()):
            answered = [m for m in minutes if m is not None]
            unanswered.add_metric(list(labels), len(minutes) - len(answered))
            if answered:
                buckets = [(str(bound), sum(m <= bound for m in answered))
                           for bound in FIRST_REPLY_BUCKETS]
                histogram.add_metric(list(labels), buckets + [("+Inf", len(answered))],
                                     sum(answered))
        yield histogram
        yield unanswered

    def _reward_cost(self, session):
        cost = GaugeMetricFamily("goodwill_reward_cost",
                                 "What the rewards given cost, net of reversals",
                                 labels=["policy", "rule"])
        for policy, rule, total in session.execute(
                select(LedgerEntry.policy, LedgerEntry.rule, func.sum(LedgerEntry.cost))
                .group_by(LedgerEntry.policy, LedgerEntry.rule)):
            cost.add_metric([policy, rule], float(total or 0))
        yield cost


@bp.get("/metrics")
def metrics():
    """Answer the Prometheus text of the counts in the database and this process."""
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(current_app.extensions["goodwill"].sessionmaker))
    registry.register(counters.collector())
    try:
        body = generate_latest(registry)
    except Exception as exc:
        raise ApiError(503, "metrics_unavailable", f"the database does not answer: {exc}")
    return Response(body, mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                    headers={"Content-Type": CONTENT_TYPE_LATEST})
