"""Customers and their identities: who wrote an event, looked up by any key they are known by."""
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import identities, ledger
from engine.db import Customer, Identity, LedgerEntry, utcnow


def find_customer(session: Session, key: str) -> Customer | None:
    """Find a customer by id, `<platform>:<author id>`, `email:`, `phone:` or `member:` key."""
    platform, sep, author_id = key.partition(":")
    if sep:
        identity = identities.identity_of(session, platform, author_id)
        return identities.survivor(session, identity.customer) if identity else None
    return identities.survivor(session, session.get(Customer, key))


def resolve_author(session: Session, event: dict) -> Customer:
    """Return the customer behind an event's author, creating or linking them on first sight."""
    author = event["author"]
    identity = session.scalar(select(Identity).where(Identity.platform == event["platform"],
                                                     Identity.author_id == author["id"]))
    if identity:
        if author.get("handle") and identity.handle != author["handle"]:
            identity.handle = author["handle"]  # people change handles; the id stays
        customer = identity.customer
    else:
        # An offline key (email, phone, member number) already known names the same person.
        known = [identities.identity_of(session, *key) for key in identities.offline_keys(event)]
        customer = next((i.customer for i in known if i is not None), None)
        if customer is None:
            email = (author.get("email") or "").lower() or None
            customer = Customer(name=author.get("name") or author.get("handle"), email=email)
            session.add(customer)
            session.flush()
        session.add(Identity(customer_id=customer.id, platform=event["platform"],
                             author_id=author["id"], handle=author.get("handle")))
    identities.attach_offline_keys(session, customer, event)
    return customer


def balance(session: Session, customer_id: str) -> dict:
    """Sum the ledger: points, and the vouchers credited, not reversed and not expired."""
    points = session.scalar(select(func.coalesce(func.sum(LedgerEntry.points), 0))
                            .where(LedgerEntry.customer_id == customer_id))
    entries = session.scalars(select(LedgerEntry).where(LedgerEntry.customer_id == customer_id)
                              .order_by(LedgerEntry.created_at)).all()
    reversed_ids = {e.reverses for e in entries if e.kind == "reversal"}
    now = utcnow()
    live = [e for e in entries if e.kind == "credit" and e.voucher and e.id not in reversed_ids
            and (e.expires_at is None or e.expires_at > now)]
    return {"points": int(points), "vouchers": [e.voucher for e in live],
            "voucher_codes": [{"voucher": v["voucher"], "code": v["voucher_code"],
                               "expires_at": v["expires_at"]}
                              for v in map(ledger.entry_view, live)]}
