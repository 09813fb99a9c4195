"""Customers and their identities: who wrote an event, looked up by any key they are known by."""
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.db import Customer, Identity, LedgerEntry


def find_customer(session: Session, key: str) -> Customer | None:
    """Find a customer by id, `<platform>:<author id>` or `email:<address>`."""
    platform, sep, author_id = key.partition(":")
    if sep:
        if platform == "email":
            author_id = author_id.lower()
        identity = session.scalar(select(Identity).where(Identity.platform == platform,
                                                         Identity.author_id == author_id))
        return identity.customer if identity else None
    return session.get(Customer, key)


def resolve_author(session: Session, event: dict) -> Customer:
    """Return the customer behind an event's author, creating or linking them on first sight."""
    author = event["author"]
    identity = session.scalar(select(Identity).where(Identity.platform == event["platform"],
                                                     Identity.author_id == author["id"]))
    if identity:
        if author.get("handle") and identity.handle != author["handle"]:
            identity.handle = author["handle"]  # people change handles; the id stays
        return identity.customer
    email = (author.get("email") or "").lower() or None
    customer = find_customer(session, f"email:{email}") if email else None
    if customer is None:
        customer = Customer(name=author.get("name") or author.get("handle"), email=email)
        session.add(customer)
        session.flush()
        if email:
            session.add(Identity(customer_id=customer.id, platform="email", author_id=email))
    session.add(Identity(customer_id=customer.id, platform=event["platform"],
                         author_id=author["id"], handle=author.get("handle")))
    session.flush()
    return customer


def balance(session: Session, customer_id: str) -> dict:
    """Sum the ledger: points, and the vouchers credited and not reversed."""
    points = session.scalar(select(func.coalesce(func.sum(LedgerEntry.points), 0))
                            .where(LedgerEntry.customer_id == customer_id))
    vouchers: list[str] = []
    for kind, voucher in session.execute(
            select(LedgerEntry.kind, LedgerEntry.voucher)
            .where(LedgerEntry.customer_id == customer_id, LedgerEntry.voucher.is_not(None))
            .order_by(LedgerEntry.created_at)):
        if kind == "reversal" and voucher in vouchers:
            vouchers.remove(voucher)
        elif kind == "credit":
            vouchers.append(voucher)
    return {"points": int(points), "vouchers": vouchers}
