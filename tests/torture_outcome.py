"""What a replay leaves on the desk and in the database, as countable items, how two differ,
and what the stack is doing while it is tortured."""
import re
from collections import Counter, defaultdict
from itertools import pairwise
from urllib.parse import parse_qs

import requests
from sqlalchemy import create_engine, func, select

from conftest import desk_comments, desk_tickets
from engine.db import Action, InboxEvent, LedgerEntry, utcnow

KINDS = ("event", "ticket", "comment", "ledger")
MARKER = re.compile(r"^goodwill-event: (\S+)$", re.MULTILINE)
TICKET_PATH = re.compile(r"^/api/v2/tickets/(\d+)")


def outcome(desk_url: str, database_url: str) -> Counter:
    """Count what the replay left: events by status, tickets, comments by marker, ledger entries
    by customer."""
    items: Counter = Counter()
    for ticket in desk_tickets(desk_url):
        conversation = ticket["external_id"]
        items[("ticket", conversation, ticket["priority"], tuple(sorted(ticket["tags"])))] += 1
        for comment in desk_comments(desk_url, ticket["id"]):
            marker = MARKER.search(comment["body"] or "")
            items[("comment", conversation, marker and marker[1], comment["public"])] += 1
    items.update(_query(database_url, _stored))
    return items


def _stored(conn) -> Counter:
    items: Counter = Counter()
    for external_id, status in conn.execute(select(InboxEvent.external_id, InboxEvent.status)):
        items[("event", external_id, status)] += 1
    # Per customer, not per event: a limit goes to whichever of a customer's posts is credited
    # first, and a retry may let a later post's credit run first.
    entries = conn.execute(
        select(LedgerEntry.kind, LedgerEntry.policy, LedgerEntry.rule, LedgerEntry.points,
               InboxEvent.author_id).join(InboxEvent, InboxEvent.id == LedgerEntry.event_id))
    for kind, policy, rule, points, author in entries:
        items[("ledger", kind, f"{policy}/{rule}", points, author)] += 1
    return items


def _query(database_url: str, read):
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return read(conn)
    finally:
        engine.dispose()


def action_statuses(database_url: str) -> Counter:
    return _query(database_url, lambda conn: Counter(conn.scalars(select(Action.status))))


def claims_held(database_url: str) -> int:
    """Count the events and actions a worker holds right now (their lease runs)."""
    now = utcnow()
    return _query(database_url, lambda conn: conn.scalar(
        select(func.count()).select_from(InboxEvent).where(InboxEvent.status == "received",
                                                           InboxEvent.lease_until > now))
        + conn.scalar(select(func.count()).select_from(Action).where(
            Action.status == "running", Action.lease_until > now)))


def taken_over(database_url: str) -> int:
    """Count the events and actions claimed more than once with no error recorded."""
    return _query(database_url, lambda conn: conn.scalar(
        select(func.count()).select_from(InboxEvent).where(InboxEvent.attempts > 1))
        + conn.scalar(select(func.count()).select_from(Action).where(
            Action.attempts > 1, Action.error.is_(None))))


def _of_kind(items: Counter, kind: str) -> int:
    return sum(n for item, n in items.items() if item[0] == kind)


def report(name: str, expected: Counter, got: Counter, **measured) -> str:
    """One line for the closing note: what was done to the stack, and what was lost or doubled."""
    lost, extra = expected - got, got - expected
    credits = sum(n for item, n in expected.items() if item[:2] == ("ledger", "credit"))
    parts = [f"{key.replace('_', ' ')} {value}" for key, value in measured.items()]
    parts.append("expected " + ", ".join(
        [f"events {_of_kind(expected, 'event')}", f"tickets {_of_kind(expected, 'ticket')}",
         f"comments {_of_kind(expected, 'comment')}", f"credits {credits}",
         f"ledger entries {_of_kind(expected, 'ledger')}"]))
    parts.append("lost " + ", ".join(f"{kind}s {_of_kind(lost, kind)}" for kind in KINDS))
    parts.append("duplicated or different " +
                 ", ".join(f"{kind}s {_of_kind(extra, kind)}" for kind in KINDS))
    return f"\n[torture] {name}: " + "; ".join(parts)


def difference(expected: Counter, got: Counter) -> str:
    """Say what is missing and what is extra, a few items each, for a failed comparison."""
    lost, extra = list((expected - got).items()), list((got - expected).items())
    return f"missing {len(lost)}: {lost[:5]}; extra {len(extra)}: {extra[:5]}"


def conversation_of(desk_url: str, database_url: str):
    """Return a function naming the conversation a desk request worked on (None for others)."""
    tickets = {t["id"]: t["external_id"] for t in
               requests.get(f"{desk_url}/tickets.json").json()["tickets"]}
    creations = _query(database_url, lambda conn: {
        key: f"goodwill:{platform}:{thread}" for key, platform, thread in conn.execute(
            select(Action.idempotency_key, InboxEvent.platform, InboxEvent.thread)
            .join(InboxEvent, InboxEvent.id == Action.event_id))})

    def name(entry: dict) -> str | None:
        if TICKET_PATH.match(entry["path"]):
            return tickets.get(int(TICKET_PATH.match(entry["path"])[1]))
        if entry["path"].removesuffix(".json") == "/api/v2/tickets":
            if entry["method"] == "POST":
                return creations.get(entry["idempotency_key"])
            return (parse_qs(entry["query"]).get("external_id") or [None])[0]
        return None
    return name


def early_retries(log: list[dict], conversation) -> tuple[int, int]:
    """Count the 429s after which their conversation came back before Retry-After, of those seen.

    A conversation's actions run one at a time, so the request that follows a 429 in the same
    conversation is the refused action's retry.
    """
    by_conversation = defaultdict(list)
    for entry in log:
        key = conversation(entry)
        if key is not None and not key.startswith("goodwill:problem:"):
            by_conversation[key].append(entry)
    early = checked = 0
    for entries in by_conversation.values():
        entries.sort(key=lambda e: e["at"])
        for refused, following in pairwise(entries):
            if refused["status"] == 429:
                checked += 1
                early += following["at"] < refused["at"] + float(refused["retry_after"])
    return early, checked
