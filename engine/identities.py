"""Link identities to customers, and merge two customers when one person turns out to be both.

Offline keys are identities too, under reserved platform names: `email` (lower-cased),
`phone` (digits, with a leading + kept) and `member` (the loyalty member number as given).
An inbound event carries them as `author.email`, and as the top-level fields `phone` and
`member_number` (kept in the event's `extra`).
"""
import re

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.db import Customer, CustomerMerge, Identity, InboxEvent, LedgerEntry, Referral
from engine.errors import ApiError

OFFLINE_FIELDS = {"email": "email", "phone": "phone", "member_number": "member"}


def normalize(platform: str, author_id: str) -> str:
    """Return the stored form of an identity's id, so one key always finds one customer."""
    value = str(author_id).strip()
    if platform == "email":
        return value.lower()
    if platform == "phone":
        return ("+" if value.startswith("+") else "") + re.sub(r"\D", "", value)
    return value


def offline_keys(event: dict) -> list[tuple[str, str]]:
    """List the (platform, id) offline keys an event carries: email, phone, member number."""
    extra = event.get("extra") or {}
    given = {"email": (event.get("author") or {}).get("email"),
             "phone": extra.get("phone"), "member_number": extra.get("member_number")}
    keys = []
    for field, value in given.items():
        if isinstance(value, (str, int)) and str(value).strip():
            platform = OFFLINE_FIELDS[field]
            author_id = normalize(platform, value)
            if author_id and author_id != "+":
                keys.append((platform, author_id))
    return keys


def identity_of(session: Session, platform: str, author_id: str) -> Identity | None:
    """Find the identity stored for (platform, id), normalised."""
    return session.scalar(select(Identity).where(
        Identity.platform == platform, Identity.author_id == normalize(platform, author_id)))


def survivor(session: Session, customer: Customer | None) -> Customer | None:
    """Follow merges from an old customer record to the one that holds everything now."""
    while customer is not None and customer.merged_into:
        customer = session.get(Customer, customer.merged_into)
    return customer


def attach_offline_keys(session: Session, customer: Customer, event: dict) -> None:
    """Link the event's offline keys that nobody holds yet to its customer."""
    for platform, author_id in offline_keys(event):
        if identity_of(session, platform, author_id) is None:
            session.add(Identity(customer_id=customer.id, platform=platform, author_id=author_id))
            if platform == "email" and not customer.email:
                customer.email = author_id
    session.flush()


def link(session: Session, customer: Customer, platform: str, author_id: str,
         handle: str | None = None) -> dict:
    """Link (platform, id) to the customer; merge its current holder into them if another."""
    author_id = normalize(platform, author_id)
    existing = identity_of(session, platform, author_id)
    if existing is None:
        session.add(Identity(customer_id=customer.id, platform=platform, author_id=author_id,
                             handle=handle))
        if platform == "email" and not customer.email:
            customer.email = author_id
        session.flush()
        return {"linked": True, "merged": None}
    if existing.customer_id == customer.id:
        return {"linked": False, "merged": None}
    merged = merge(session, customer, existing.customer,
                   f"{platform}:{author_id} linked to customer {customer.id}")
    return {"linked": True, "merged": merged}


def merge(session: Session, keep: Customer, gone: Customer, reason: str) -> dict:
    """Move everything of `gone` to `keep`, mark `gone` merged, and record the audit row."""
    if gone.id == keep.id:
        raise ApiError(409, "same_customer", "a customer cannot be merged into itself")
    moved = {}
    for name, column, model in (("identities", Identity.customer_id, Identity),
                                ("ledger", LedgerEntry.customer_id, LedgerEntry),
                                ("events", InboxEvent.customer_id, InboxEvent),
                                ("referrals", Referral.referrer_id, Referral)):
        moved[name] = session.execute(update(model).where(column == gone.id)
                                      .values({column.key: keep.id})).rowcount
    moved["referred"] = session.execute(
        update(Referral).where(Referral.referred_customer_id == gone.id)
        .values(referred_customer_id=keep.id)).rowcount
    keep.name = keep.name or gone.name
    keep.email = keep.email or gone.email
    gone.merged_into = keep.id
    session.add(CustomerMerge(survivor_id=keep.id, merged_id=gone.id, reason=reason, moved=moved))
    session.flush()
    session.expire_all()
    return {"customer_id": gone.id, "moved": moved}


def merges_of(session: Session, customer_id: str) -> list[CustomerMerge]:
    """List the merges a customer survived, oldest first."""
    return list(session.scalars(select(CustomerMerge).where(CustomerMerge.survivor_id == customer_id)
                                .order_by(CustomerMerge.created_at)))

