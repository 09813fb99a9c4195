"""The append-only loyalty ledger: credits within limits, vouchers, and reversals.

Nothing here updates an entry: a refund or a fraud is a new `reversal` entry, and a credit a
limit stopped is a `limited` entry worth nothing, so the customer's page says why.
"""
import base64
import re
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.db import Customer, LedgerEntry, Voucher, new_id, utcnow
from engine.errors import ApiError

DAY = timedelta(days=1)


def hold_customer(session: Session, customer_id: str, brand: str | None) -> None:
    """Take the write locks that make check-then-credit safe against a second worker.

    A write as the first statement waits for SQLite's single writer (so every count below is
    current); on PostgreSQL it locks the customer's row, and an advisory lock serialises the
    brand's budget.
    """
    session.execute(update(Customer).where(Customer.id == customer_id)
                    .values(merged_into=Customer.merged_into))
    if brand and session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                        {"k": f"goodwill-budget:{brand}"})


def limit_reason(session: Session, customer_id: str, policy: str, rule: str, brand: str | None,
                 points: int, limit: dict, window: timedelta | None) -> str | None:
    """Say which limit this credit would pass, or None when it fits them all."""
    since = utcnow()
    credits = select(func.count(LedgerEntry.id)).where(
        LedgerEntry.kind == "credit", LedgerEntry.policy == policy, LedgerEntry.rule == rule)
    if window is not None and session.scalar(credits.where(
            LedgerEntry.customer_id == customer_id,
            LedgerEntry.created_at >= since - window)) >= limit["max"]:
        return f"limit of {limit['max']} per {limit['within']} reached for this customer"
    if limit.get("rule_per_day") is not None and session.scalar(credits.where(
            LedgerEntry.created_at >= since - DAY)) >= limit["rule_per_day"]:
        return f"rule limit of {limit['rule_per_day']} credits a day reached"
    budget = limit.get("brand_points_per_day")
    if budget is not None and points:
        spent = session.scalar(select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
            LedgerEntry.kind == "credit", LedgerEntry.brand == brand,
            LedgerEntry.created_at >= since - DAY))
        if spent + points > budget:
            return f"{brand}'s daily budget of {budget} points reached ({spent} given)"
    return None


def credit(session: Session, *, customer_id: str, key: str, points: int, voucher: str | None,
           note: str | None, policy: str, rule: str, event_id: str, brand: str | None,
           limit: dict | None = None, window: timedelta | None = None,
           voucher_days: int = 365, cost: Decimal = Decimal(0)) -> dict:
    """Credit once per key, within the limits; record a `limited` entry when a limit stops it.

    `cost` is what the reward costs the business, kept with the credit (a limited entry: nothing).
    """
    hold_customer(session, customer_id, brand)
    for entry in session.scalars(select(LedgerEntry).where(
            LedgerEntry.key.in_((key, f"limited:{key}")))):
        if entry.kind == "credit":
            return {"credited": False, "reason": "already rewarded", "ledger_id": entry.id}
        return {"credited": False, "limited": True, "reason": entry.reason, "ledger_id": entry.id}
    fields = dict(customer_id=customer_id, note=note, policy=policy, rule=rule,
                  event_id=event_id, brand=brand)
    reason = limit_reason(session, customer_id, policy, rule, brand, points, limit, window) \
        if limit else None
    if reason:
        entry = LedgerEntry(kind="limited", points=0, key=f"limited:{key}", reason=reason, **fields)
        session.add(entry)
        session.flush()
        return {"credited": False, "limited": True, "reason": reason, "ledger_id": entry.id}
    entry = LedgerEntry(id=new_id(), kind="credit", points=points, voucher=voucher, key=key,
                        cost=cost, **fields)
    if voucher:
        entry.voucher_code, entry.expires_at = _voucher_code(session, voucher, entry.id,
                                                             voucher_days)
    session.add(entry)
    session.flush()
    return {"credited": True, "ledger_id": entry.id, "points": entry.points,
            "voucher": entry.voucher, "voucher_code": entry.voucher_code,
            "expires_at": _iso(entry.expires_at), "note": entry.note}


def _voucher_code(session: Session, pool: str, ledger_id: str,
                  days: int) -> tuple[str, datetime]:
    """Hand out the pool's oldest free code, or generate an unguessable one when none is left."""
    now = utcnow()
    free = select(Voucher.id).where(Voucher.pool == pool, Voucher.ledger_id.is_(None),
                                    (Voucher.expires_at.is_(None)) | (Voucher.expires_at > now))
    for voucher_id in session.scalars(free.order_by(Voucher.created_at).limit(5)):
        taken = session.execute(update(Voucher).where(Voucher.id == voucher_id,
                                                      Voucher.ledger_id.is_(None))
                                .values(ledger_id=ledger_id)).rowcount
        if taken:
            voucher = session.get(Voucher, voucher_id)
            return voucher.code, voucher.expires_at or now + timedelta(days=days)
    prefix = re.sub(r"[^A-Z0-9]+", "-", pool.upper()).strip("-")
    # 80 random bits: nobody guesses a code, and a clash is never seen (the column is unique).
    return f"{prefix}-{base64.b32encode(secrets.token_bytes(10)).decode()}", \
        now + timedelta(days=days)


def add_pool_codes(session: Session, pool: str, codes: list[str],
                   expires_at: datetime | None) -> dict:
    """Add codes to a voucher pool; codes already present anywhere are skipped."""
    known = set(session.scalars(select(Voucher.code).where(Voucher.code.in_(codes))))
    fresh = [c for c in dict.fromkeys(codes) if c not in known]
    session.add_all(Voucher(pool=pool, code=c, expires_at=expires_at) for c in fresh)
    session.flush()
    free = session.scalar(select(func.count(Voucher.id)).where(Voucher.pool == pool,
                                                               Voucher.ledger_id.is_(None)))
    return {"pool": pool, "added": len(fresh), "skipped": len(codes) - len(fresh), "free": free}


def reverse(session: Session, entry_id: str, reason: str) -> LedgerEntry:
    """Append the reversal of one credit; refuse a second reversal or reversing a non-credit."""
    entry = session.get(LedgerEntry, entry_id)
    if entry is None:
        raise ApiError(404, "not_found", f"no ledger entry with id {entry_id}", "id")
    if entry.kind != "credit":
        raise ApiError(409, "not_reversible", f"only a credit can be reversed, not a {entry.kind}",
                       "id")
    earlier = session.scalar(select(LedgerEntry).where(LedgerEntry.reverses == entry_id))
    if earlier is not None:
        raise ApiError(409, "already_reversed",
                       f"ledger entry {entry_id} was already reversed by {earlier.id}", "id")
    reversal = LedgerEntry(customer_id=entry.customer_id, kind="reversal", points=-entry.points,
                           voucher=entry.voucher, note=entry.note, policy=entry.policy,
                           rule=entry.rule, event_id=entry.event_id, brand=entry.brand,
                           key=f"reversal:{entry_id}", reverses=entry_id, reason=reason,
                           cost=-entry.cost)
    session.add(reversal)
    try:
        session.flush()
    except IntegrityError:
        raise ApiError(409, "already_reversed", f"ledger entry {entry_id} was already reversed",
                       "id")
    return reversal


def entry_view(entry: LedgerEntry) -> dict:
    """Render one ledger entry as the API shows it."""
    return {"id": entry.id, "kind": entry.kind, "points": entry.points, "voucher": entry.voucher,
            "voucher_code": entry.voucher_code, "expires_at": _iso(entry.expires_at),
            "note": entry.note, "policy": entry.policy, "rule": entry.rule,
            "event_id": entry.event_id, "reason": entry.reason, "reverses": entry.reverses,
            "cost": float(entry.cost), "created_at": _iso(entry.created_at)}


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None
