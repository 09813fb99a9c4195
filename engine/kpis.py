"""The KPIs of the admin page and of `goodwill report`, computed from the database.

The period is about when Goodwill received an event (`received_at`), not when it was posted:
a replayed or late-delivered post still counts in the period it reached the business.
"""
import re
import statistics
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import Action, Decision, InboxEvent, LedgerEntry, Referral, TicketMetric, utcnow

PERIOD = re.compile(r"^(?P<n>\d+)(?P<unit>[hdw])$")
UNITS = {"h": "hours", "d": "days", "w": "weeks"}
# A complainer is "repeat" from their second complaint in the period.
REPEAT_FROM = 2
COMPLAINT_POLICY = "complaints"


def parse_period(text: str) -> timedelta:
    """Turn `30d`, `12h` or `2w` into a timedelta; raise ValueError saying what is expected."""
    m = PERIOD.match((text or "").strip())
    if not m or int(m["n"]) == 0:
        raise ValueError(f"expected a period such as 30d, 12h or 2w, got {text!r}")
    return timedelta(**{UNITS[m["unit"]]: int(m["n"])})


def compute(session: Session, since: timedelta, now: datetime | None = None) -> dict:
    """Compute every KPI over the events received in the `since` window ending now."""
    until = now or utcnow()
    start = until - since
    in_period = (InboxEvent.received_at >= start, InboxEvent.received_at <= until)
    events = session.execute(
        select(InboxEvent.id, InboxEvent.platform, InboxEvent.kind, InboxEvent.customer_id,
               InboxEvent.author_id, InboxEvent.occurred_at, InboxEvent.received_at)
        .where(*in_period)).all()
    decisions = session.execute(
        select(Decision.event_id, Decision.policy, Decision.rule)
        .join(InboxEvent, InboxEvent.id == Decision.event_id).where(*in_period)).all()
    actions = session.execute(
        select(Action.id, Action.event_id, Action.type, Action.status, Action.policy, Action.rule,
               Action.result, Action.updated_at)
        .join(InboxEvent, InboxEvent.id == Action.event_id).where(*in_period)).all()
    ledger = session.scalars(select(LedgerEntry).where(LedgerEntry.created_at >= start,
                                                       LedgerEntry.created_at <= until)).all()
    replies = dict(session.execute(
        select(TicketMetric.action_id, TicketMetric)
        .join(Action, Action.id == TicketMetric.action_id)
        .join(InboxEvent, InboxEvent.id == Action.event_id).where(*in_period)).all())
    by_id = {e.id: e for e in events}
    return {
        "period": {"since": _iso(start), "until": _iso(until), "days": since.total_seconds() / 86400},
        "events": {"total": len(events),
                   "by_platform": _counts(e.platform for e in events),
                   "by_kind": _counts(e.kind for e in events)},
        "tickets": _tickets(actions, by_id),
        "first_response": _first_response(_created_tickets(actions), by_id, replies),
        "actions": {"by_status": _counts(a.status for a in actions)},
        "rewards": _rewards(ledger),
        "referrals": _referrals(session.scalars(select(Referral).where(
            Referral.created_at >= start, Referral.created_at <= until)).all()),
        "repeat_complainers": _repeat_complainers(decisions, by_id),
    }


def _iso(value: datetime) -> str:
    return value.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _counts(values) -> dict[str, int]:
    """Count values, most frequent first (ties by name) so charts and CSV read the same way."""
    return dict(sorted(Counter(values).items(), key=lambda item: (-item[1], item[0])))


def _created_tickets(actions) -> list:
    """Done ticket actions that opened a ticket (not comments on an existing one)."""
    return [a for a in actions if a.type == "zendesk.ticket" and a.status == "done"
            and (a.result or {}).get("operation", "created") == "created"]


def _tickets(actions, by_id) -> dict:
    created = _created_tickets(actions)
    from_post = [(a.updated_at - by_id[a.event_id].occurred_at).total_seconds() for a in created]
    from_receipt = [(a.updated_at - by_id[a.event_id].received_at).total_seconds() for a in created]
    return {"created": len(created),
            "by_policy": _counts(a.policy for a in created),
            "by_rule": _counts(f"{a.policy}/{a.rule}" for a in created),
            "seconds_from_post": _summary(from_post),
            "seconds_from_receipt": _summary(from_receipt)}


def _summary(seconds: list[float]) -> dict:
    """Median, 90th percentile and maximum of durations; None for each when there are none."""
    if not seconds:
        return {"count": 0, "median": None, "p90": None, "max": None}
    ordered = sorted(seconds)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return {"count": len(ordered), "median": round(statistics.median(ordered), 1),
            "p90": round(p90, 1), "max": round(ordered[-1], 1)}


def _first_response(created, by_id, replies: dict) -> dict:
    """Zendesk's first reply times of the tickets created in the period, in calendar minutes."""
    def figures(actions) -> dict:
        minutes = [replies[a.id].reply_minutes for a in actions
                   if a.id in replies and replies[a.id].reply_minutes is not None]
        summary = _summary(minutes)
        return {"tickets": len(actions), "answered": len(minutes),
                "answered_share": round(len(minutes) / len(actions), 3) if actions else None,
                "median_minutes": summary["median"], "p90_minutes": summary["p90"]}

    def by(key) -> dict:
        return {name: figures([a for a in created if key(a) == name])
                for name in _counts(key(a) for a in created)}
    return {**figures(created),
            # Not read from Zendesk yet: the sync asks every GOODWILL_TICKET_METRICS_EVERY seconds.
            "unchecked": sum(a.id not in replies or replies[a.id].checked_at is None
                             for a in created),
            "by_platform": by(lambda a: by_id[a.event_id].platform),
            "by_policy": by(lambda a: a.policy)}


def _rewards(ledger) -> dict:
    credits = [e for e in ledger if e.kind == "credit"]
    reversals = [e for e in ledger if e.kind == "reversal"]
    issued = credits + reversals
    return {"credits": len(credits),
            "points": sum(e.points for e in credits) - sum(abs(e.points) for e in reversals),
            "vouchers": _counts(e.voucher for e in credits if e.voucher),
            "reversals": len(reversals),
            "by_policy": _counts(e.policy for e in credits),
            # A reversal's cost is the negative of its credit's, so sums are net of reversals.
            "cost": _money(e.cost for e in issued),
            "cost_by_policy": _costs(issued, lambda e: e.policy),
            "cost_by_rule": _costs(issued, lambda e: f"{e.policy}/{e.rule}")}


def _money(amounts) -> float:
    return float(round(sum(amounts, Decimal(0)), 2))


def _costs(entries, key) -> dict[str, float]:
    """Net cost per key, most costly first (ties by name)."""
    groups: dict[str, list] = {}
    for entry in entries:
        groups.setdefault(key(entry), []).append(entry.cost)
    totals = {name: _money(costs) for name, costs in groups.items()}
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))


def _referrals(claims) -> dict:
    """Referral claims made in the period, by what became of them (pending until the friend joins)."""
    by_status = Counter(claim.status for claim in claims)
    return {"claimed": len(claims), "confirmed": by_status.pop("confirmed", 0),
            "refused": by_status.pop("refused", 0), "pending": by_status.pop("pending", 0),
            "other": sum(by_status.values())}


def _repeat_complainers(decisions, by_id) -> dict:
    """Customers (or unlinked authors) with at least two complaints in the period."""
    complaints: dict[str, set[str]] = {}
    for d in decisions:
        if d.policy != COMPLAINT_POLICY or d.event_id not in by_id:
            continue
        event = by_id[d.event_id]
        who = event.customer_id or f"{event.platform}:{event.author_id}"
        complaints.setdefault(who, set()).add(d.event_id)
    repeat = {who: len(ids) for who, ids in complaints.items() if len(ids) >= REPEAT_FROM}
    return {"complainers": len(complaints), "repeat": len(repeat),
            "top": [{"who": who, "complaints": n} for who, n in _counts(repeat).items()][:10]}


def flatten(kpis: dict) -> list[tuple[str, str, object]]:
    """Turn the KPIs into (section, name, value) rows for a spreadsheet."""
    rows = []

    def walk(section: str, prefix: str, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(section, f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list):
            for n, item in enumerate(value):
                walk(section, f"{prefix}[{n}]", item)
        else:
            rows.append((section, prefix, value))
    for section, value in kpis.items():
        walk(section, "", value)
    return rows
