"""Enrich one event into the fact the rules see: identity, history, sentiment, conversation."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import customers, history
from engine.db import Conversation, Customer, InboxEvent
from engine.sentiment import sentiment
from engine.policy.conditions.counts import CountSpec
from engine.settings import Settings
from engine.signals import analyze
from engine.textnorm import hashtags, mentions, normalize

DEFAULT_TIERS = Settings.loyalty_tiers

def is_from_brand(event: dict, source: str = "events") -> bool:
    """Tell whether the brand's own account wrote the event.

    Platform adapters know the account by id (X's for_user_id, a page id) and say so with
    `extra.from_brand`; the generic source's senders are recognised by handle == brand.
    """
    if source != "events" and event.get("extra", {}).get("from_brand") is True:
        return True
    handle = (event["author"].get("handle") or "").lstrip("@").casefold()
    return handle == event["brand"].lstrip("@").casefold()


def find_thread(session: Session, platform: str, event: dict) -> str | None:
    """Find an event's conversation from what is stored; None while its start is unknown.

    A reply names only the event it answers; walking up the stored chain of replies reaches
    one whose thread is known (the first event of a conversation always knows its own).
    """
    if event.get("thread"):
        return event["thread"]
    target, seen = event.get("in_reply_to"), set()
    while target and target not in seen:
        seen.add(target)
        parent = session.scalar(select(InboxEvent).where(
            InboxEvent.platform == platform, InboxEvent.external_id == target).limit(1))
        if parent is None:
            return None
        if parent.thread:
            return parent.thread
        target = parent.payload.get("in_reply_to")
    return None


def resolve_thread(session: Session, row: InboxEvent, event: dict) -> str:
    """Settle an event's conversation: as stored, else the event it answers starts one."""
    return row.thread or find_thread(session, row.platform, event) or event["in_reply_to"] \
        or event["id"]


def is_first_in_thread(session: Session, row: InboxEvent) -> bool:
    """Tell whether no earlier customer event exists in this event's conversation."""
    earlier = session.scalar(select(InboxEvent.id).where(
        InboxEvent.platform == row.platform, InboxEvent.thread == row.thread,
        InboxEvent.id != row.id, InboxEvent.customer_id.is_not(None),
        InboxEvent.occurred_at <= row.occurred_at).limit(1))
    return earlier is None


def conversation(session: Session, platform: str, thread: str) -> Conversation | None:
    """Return the stored conversation, if any."""
    return session.scalar(select(Conversation).where(Conversation.platform == platform,
                                                     Conversation.thread == thread))


def build_fact(session: Session, row: InboxEvent, event: dict, customer_id: str | None,
               counts=(), tiers=DEFAULT_TIERS) -> dict:
    """Return the enriched event: every key the policy language may test is present.

    `counts` are the CountSpecs the policies read (history, brand history, rates).
    """
    conv = conversation(session, row.platform, row.thread)
    wanted = {*counts, *(CountSpec("customer", name) for name in history.DEFAULT_NAMES)}
    found = history.all_counts(session, wanted, customer_id, event.get("brand"),
                               row.occurred_at, row.id)
    bal = customers.balance(session, customer_id) if customer_id else {"points": 0, "vouchers": []}
    tone = sentiment(event.get("text"))
    return {
        **event,
        "thread": row.thread,
        "text_norm": normalize(event.get("text")),
        "hashtags": hashtags(event.get("text")),
        "mentions": mentions(event.get("text")),
        "sentiment": tone,
        "signals": analyze(event.get("text"), tone=tone),
        **found,
        "conversation": {"first": is_first_in_thread(session, row),
                         "ticketed": bool(conv and conv.ticketed)},
        "customer": {"linked": customer_id is not None and _is_linked(session, customer_id),
                     "points": bal["points"], "vouchers": len(bal["vouchers"]),
                     "tier": tier_for(bal["points"], tiers)},
        "from_brand": is_from_brand(event, row.source),
    }


def _is_linked(session: Session, customer_id: str) -> bool:
    """Tell whether the customer is known by more than one identity (e.g. email and a handle)."""
    customer = session.get(Customer, customer_id)
    return customer is not None and len(customer.identities) > 1


def tier_for(points: int, tiers) -> str | None:
    """Return the highest loyalty tier whose least points the balance reaches."""
    reached = [name for name, least in tiers if points >= least]
    return reached[-1] if reached else None
