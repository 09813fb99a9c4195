"""History counts over time windows (`history.complaints_30d`), computed in SQL before matching.

A count covers the customer's events *before* the one being decided, within the window that
ends at its `occurred_at`. The name before the window says what is counted:
`engagements` (likes, shares, follows, comments, mentions, replies), `events` (everything),
a kind in singular or plural (`mentions`, `reviews`), or a policy or rule name (events that
policy or rule decided on, so `complaints_30d` counts earlier complaints).
`brand_history.<name>` and `rate` count the same over every customer of the event's brand.
"""
import re
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from engine.db import Decision, InboxEvent
from engine.schema import KINDS

HISTORY_NAME = re.compile(r"^(?P<what>[a-z][a-z0-9_-]*?)_(?P<n>\d+)(?P<unit>[mhd])$")
ENGAGEMENT_KINDS = ("like", "share", "follow", "comment", "mention", "reply")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}
# Always computed, whatever the policies reference: the API and the tickets show them.
DEFAULT_NAMES = ("complaints_30d", "engagements_30d")


def parse_history_name(name: str) -> tuple[str, timedelta] | None:
    """Split `complaints_30d` into ("complaints", 30 days); None when it is not such a name."""
    m = HISTORY_NAME.match(name)
    if not m:
        return None
    return m["what"], timedelta(**{UNITS[m["unit"]]: int(m["n"])})


def _kinds_for(what: str) -> tuple[str, ...] | None:
    if what == "engagements":
        return ENGAGEMENT_KINDS
    if what == "events":
        return KINDS
    singular = what[:-1] if what.endswith("s") else what
    return (singular,) if singular in KINDS else None


def count(session: Session, customer_id: str, name: str, before: datetime,
          exclude_event: str) -> int:
    """Count what `name` describes for one customer in the window ending at `before`."""
    return _count(session, InboxEvent.customer_id == customer_id, name, before, exclude_event)


def _count(session: Session, scope, name: str, before: datetime, exclude_event: str,
           words: tuple[str, ...] = ()) -> int:
    parsed = parse_history_name(name)
    if parsed is None:
        return 0
    what, window = parsed
    conditions = [scope, InboxEvent.occurred_at >= before - window,
                  InboxEvent.occurred_at <= before, InboxEvent.id != exclude_event]
    if words:
        # text_norm is padded and single-spaced, so " word " finds whole words and phrases.
        conditions.append(or_(*(InboxEvent.text_norm.contains(f" {w} ", autoescape=True)
                                for w in words)))
    kinds = _kinds_for(what)
    if kinds is not None:
        query = select(func.count(InboxEvent.id)).where(*conditions, InboxEvent.kind.in_(kinds))
    else:
        query = (select(func.count(func.distinct(InboxEvent.id)))
                 .join(Decision, Decision.event_id == InboxEvent.id)
                 .where(*conditions, (Decision.policy == what) | (Decision.rule == what)
                        | (Decision.rule == what.replace("_", "-"))))
    return int(session.scalar(query) or 0)


def history(session: Session, customer_id: str, names, before: datetime,
            exclude_event: str) -> dict[str, int]:
    """Return every requested count for one customer."""
    return {name: count(session, customer_id, name, before, exclude_event) for name in names}


def brand_key(brand: str | None) -> str:
    """Return the brand as stored for brand-wide counts: no @, case folded."""
    return (brand or "").lstrip("@").casefold()


def all_counts(session: Session, specs, customer_id: str | None, brand: str | None,
               before: datetime, exclude_event: str) -> dict[str, dict[str, int]]:
    """Return every count the policies need, by fact key: history, brand_history, rates."""
    found: dict[str, dict[str, int]] = {"history": {}, "brand_history": {}, "rates": {}}
    for spec in specs:
        key, inner = spec.slot
        if spec.scope == "customer":
            found[key][inner] = (_count(session, InboxEvent.customer_id == customer_id, spec.name,
                                        before, exclude_event, spec.words) if customer_id else 0)
        else:
            # The brand's own posts are not its customers' events.
            scope = and_(InboxEvent.brand == brand_key(brand), InboxEvent.customer_id.is_not(None))
            found[key][inner] = _count(session, scope, spec.name, before, exclude_event,
                                       spec.words)
    return found
