"""Process inbox events: enrich, decide, and record decisions with their outbox actions."""
import logging
from datetime import timedelta

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from engine import customers, enrich
from engine.db import Action, Conversation, Decision, InboxEvent, utcnow
from engine.policy.host import PoliciesChanged

log = logging.getLogger("goodwill.worker")

# An event that cannot be decided (its platform's API down, the database busy) is tried again
# with a doubling wait of at most MAX_EVENT_BACKOFF: about an hour in all before it is marked
# failed, and `goodwill events retry` puts failed ones back.
MAX_EVENT_ATTEMPTS = 12
MAX_EVENT_BACKOFF = 1800
BUILTIN = {"policy": "goodwill", "policy_version": "builtin"}


def claim_event(make_session, lease: timedelta) -> str | None:
    """Claim the oldest waiting event with no earlier one of its author or conversation waiting."""
    now = utcnow()
    earlier = aliased(InboxEvent)
    # An author's events, and a conversation's, are decided in the order they happened,
    # whichever worker takes them.
    blocked = exists().where(earlier.platform == InboxEvent.platform,
                             earlier.status == "received",
                             earlier.occurred_at < InboxEvent.occurred_at,
                             or_(earlier.author_id == InboxEvent.author_id,
                                 and_(InboxEvent.thread.is_not(None),
                                      earlier.thread == InboxEvent.thread)))
    free = and_(InboxEvent.status == "received",
                or_(InboxEvent.lease_until.is_(None), InboxEvent.lease_until < now))
    with make_session.begin() as session:
        candidates = session.scalars(
            select(InboxEvent.id).where(free, ~blocked)
            .order_by(InboxEvent.occurred_at, InboxEvent.received_at).limit(5)
            .with_for_update(skip_locked=True)).all()
        for event_id in candidates:
            # The conditional update is the claim: only one worker sees rowcount 1.
            claimed = session.execute(
                update(InboxEvent).where(InboxEvent.id == event_id, free)
                .values(lease_until=now + lease, attempts=InboxEvent.attempts + 1)).rowcount
            if claimed:
                return event_id
    return None


def process_event(runtime, event_id: str) -> None:
    """Decide on one claimed event and commit decisions and actions with its new status."""
    from integrations.hydrate import complete_content
    try:
        # A notification that only names its content (a Google review) is read first, once.
        complete_content(runtime, event_id)
        _decide_in_transaction(runtime, event_id)
    except IntegrityError:
        # Another worker created this conversation first; take the event again later.
        log.info("event %s raced on its conversation; retrying", event_id)
        _release(runtime, event_id, "conversation created concurrently")
    except Exception as exc:
        log.exception("event %s failed", event_id)
        _release(runtime, event_id, f"{type(exc).__name__}: {exc}")


def _decide_in_transaction(runtime, event_id: str) -> None:
    # A reload between enriching and deciding is rare; the event is enriched again for the
    # new policies, in a fresh transaction, since they may read other counts.
    for _ in range(3):
        try:
            with runtime.sessionmaker.begin() as session:
                _decide(runtime, session, session.get(InboxEvent, event_id))
            return
        except PoliciesChanged:
            log.info("policies reloaded while event %s was enriched; enriching it again", event_id)
    raise PoliciesChanged("the policies kept changing while the event was decided")


def _release(runtime, event_id: str, error: str) -> None:
    with runtime.sessionmaker.begin() as session:
        row = session.get(InboxEvent, event_id)
        row.error = error
        row.lease_until = utcnow() + timedelta(seconds=min(2 ** row.attempts, MAX_EVENT_BACKOFF))
        if row.attempts >= MAX_EVENT_ATTEMPTS:
            row.status = "failed"


def _decide(runtime, session, row: InboxEvent) -> None:
    event = dict(row.payload)
    row.thread = enrich.resolve_thread(session, row, event)
    event["thread"] = row.thread
    from_brand = enrich.is_from_brand(event, row.source)
    if not from_brand:
        row.customer_id = customers.resolve_author(session, event).id
    rules = runtime.rules()
    policy_set = rules.policy_set
    fact = enrich.build_fact(session, row, event, row.customer_id,
                             policy_set.count_specs(), runtime.settings.loyalty_tiers)
    row.enriched = fact
    row.text_norm = fact["text_norm"]
    conversation = enrich.conversation(session, row.platform, row.thread)
    if from_brand:
        if conversation is not None and conversation.ticketed:
            why = "the brand replied inside a ticketed conversation"
            _record(session, row, {**BUILTIN, "rule": "brand-reply", "why": why},
                    [("zendesk.note", {})], sequence=conversation.id)
    else:
        _apply_matches(session, row, rules.decide(fact, policy_set), conversation)
    row.status = "processed"
    row.error = None
    row.lease_until = None
    row.processed_at = utcnow()


def _apply_matches(session, row: InboxEvent, matches, conversation: Conversation | None) -> None:
    """Record each match; merge every ticket request into one conversation ticket action."""
    ticket_params: list[dict] = []
    ticket_decisions: list[dict] = []
    for match in matches:
        decision = {"policy": match.policy.name, "policy_version": match.policy.version,
                    "rule": match.rule.name, "why": match.why}
        others = []
        for spec in match.rule.then:
            if spec.type == "zendesk.ticket":
                ticket_params.append(spec.params)
                ticket_decisions.append(decision)
            else:
                others.append((spec.type, spec.params))
        _record(session, row, decision, others)
    ticketed = conversation is not None and conversation.ticketed
    if not matches and not ticketed:
        # Visible in the API and the admin page (rule `unmatched`), so no event goes unseen.
        session.add(Decision(event_id=row.id, **BUILTIN, rule="unmatched",
                             why="no rule of the policies matched"))
    if ticketed:
        why = f"conversation goodwill:{row.platform}:{row.thread} already has a ticket"
        follow_up = {**BUILTIN, "rule": "conversation-follow-up", "why": why}
        session.add(Decision(event_id=row.id, **follow_up))
        _add_action(session, row, [follow_up, *ticket_decisions], "zendesk.ticket",
                    merge_ticket_params(ticket_params), f"{row.id}:zendesk.ticket", conversation.id)
    elif ticket_params:
        if conversation is None:
            conversation = Conversation(platform=row.platform, thread=row.thread)
            session.add(conversation)
        conversation.ticketed = True
        session.flush()
        _add_action(session, row, ticket_decisions, "zendesk.ticket",
                    merge_ticket_params(ticket_params), f"{row.id}:zendesk.ticket", conversation.id)


def merge_ticket_params(all_params: list[dict]) -> dict:
    """Fold several rules' ticket requests into one: highest priority, every tag, first of the rest."""
    order = ["low", "normal", "high", "urgent"]
    merged: dict = {}
    for params in all_params:
        for key, value in params.items():
            if key == "tags":
                merged["tags"] = list(dict.fromkeys([*merged.get("tags", []), *value]))
            elif key == "priority":
                current = merged.get("priority", "low")
                merged["priority"] = max(current, value, key=order.index)
            else:
                merged.setdefault(key, value)
    return merged


def _record(session, row: InboxEvent, decision: dict, actions, sequence: str | None = None):
    """Store one decision and an outbox row for each of its actions."""
    session.add(Decision(event_id=row.id, **decision))
    for index, (action_type, params) in enumerate(actions):
        key = f"{row.id}:{decision['policy']}:{decision['rule']}:{index}"
        _add_action(session, row, [decision], action_type, params, key, sequence)


def _add_action(session, row, decisions: list[dict], action_type, params, key, sequence):
    """Queue one action; it carries the first decision's trace and every decision it serves."""
    session.add(Action(event_id=row.id, type=action_type, params=params, idempotency_key=key,
                       sequence_key=sequence, decisions=decisions, **decisions[0]))
