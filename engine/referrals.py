"""Referrals: a claim waits until the referred person becomes a customer, then pays once.

A `referral` event records a claim (or refuses it: self-referral, a burst of claims). A later
`signup` or `purchase` whose author email, or whose `referral_code` field, matches a waiting
claim confirms the earliest valid one: its referrer is credited under a ledger key of the
referred customer, so the first confirmed claim wins however often, and by whom, the person
was referred.
"""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from engine import identities, ledger
from engine.db import Identity, Referral, utcnow

DEFAULT_BURST = {"max": 5, "within": "1d"}


def _emails_of(session: Session, customer_id: str) -> set[str]:
    return set(session.scalars(select(Identity.author_id).where(
        Identity.customer_id == customer_id, Identity.platform == "email")))


def claim(session: Session, *, referrer_id: str, claim_event_id: str, referred: dict,
          burst: dict, burst_window: timedelta) -> dict:
    """Record a referral claim as pending, or refused with the reason."""
    ledger.hold_customer(session, referrer_id, None)  # the burst count must see every claim
    existing = session.scalar(select(Referral).where(Referral.claim_event_id == claim_event_id))
    if existing is not None:
        return claim_view(existing)
    email = identities.normalize("email", referred.get("email") or "") or None
    code = (referred.get("code") or "").strip() or None
    reason = None
    holder = identities.identity_of(session, "email", email) if email else None
    if email and (email in _emails_of(session, referrer_id)
                  or (holder is not None and
                      identities.survivor(session, holder.customer).id == referrer_id)):
        reason = "self-referral: the referred email belongs to the referrer"
    elif session.scalar(select(func.count(Referral.id)).where(
            Referral.referrer_id == referrer_id, Referral.status != "refused",
            Referral.created_at >= utcnow() - burst_window)) >= burst["max"]:
        reason = f"burst: more than {burst['max']} referral claims within {burst['within']}"
    row = Referral(referrer_id=referrer_id, claim_event_id=claim_event_id, referred_email=email,
                   referred_code=code, status="refused" if reason else "pending", reason=reason,
                   decided_at=utcnow() if reason else None)
    session.add(row)
    session.flush()
    return claim_view(row)


def confirm(session: Session, *, customer_id: str, event: dict, points: int, voucher: str | None,
            note: str | None, policy: str, rule: str, event_id: str,
            cost: Decimal = Decimal(0)) -> dict:
    """Credit the referrer of the earliest valid claim waiting for this new customer."""
    ledger.hold_customer(session, customer_id, None)  # one confirmation of a person at a time
    emails = _emails_of(session, customer_id)
    code = str((event.get("extra") or {}).get("referral_code") or "").strip() or None
    matches = [Referral.referred_email.in_(emails)] if emails else []
    if code:
        matches.append(Referral.referred_code == code)
    waiting = session.scalars(select(Referral).where(Referral.status == "pending", or_(*matches))
                              .order_by(Referral.created_at)).all() if matches else []
    if not waiting:
        return {"credited": False, "reason": "no referral claim is waiting for this person"}
    result = {"credited": False, "reason": "every claim for this person was refused"}
    winner = None
    for row in waiting:
        if row.referrer_id == customer_id:
            _decide(session, row, "refused", "self-referral: the referrer is the referred customer",
                    customer_id)
            continue
        if winner is None:
            winner = row
            result = ledger.credit(session, customer_id=row.referrer_id,
                                   key=f"{policy}:referred:{customer_id}", points=points,
                                   voucher=voucher, note=note, policy=policy, rule=rule,
                                   event_id=event_id, brand=event.get("brand"), cost=cost)
            status = "confirmed" if result["credited"] else (
                "limited" if result.get("limited") else "superseded")
            _decide(session, row, status, result.get("reason"), customer_id, result.get("ledger_id"))
        else:
            _decide(session, row, "superseded",
                    "another claim for this person was confirmed first", customer_id)
    return {**result, "referral_id": winner.id if winner else None,
            "referrer_id": winner.referrer_id if winner else None}


def _decide(session: Session, row: Referral, status: str, reason: str | None, referred_id: str,
            ledger_id: str | None = None) -> None:
    """Settle a waiting claim; only one worker moves it out of `pending`."""
    session.execute(update(Referral).where(Referral.id == row.id, Referral.status == "pending")
                    .values(status=status, reason=reason, referred_customer_id=referred_id,
                            ledger_id=ledger_id, decided_at=utcnow()))


def claims_by(session: Session, customer_id: str) -> list[dict]:
    """List the referral claims a customer made, newest first, as the API shows them."""
    rows = session.scalars(select(Referral).where(Referral.referrer_id == customer_id)
                           .order_by(Referral.created_at.desc())).all()
    return [claim_view(r) for r in rows]


def claim_view(row: Referral) -> dict:
    """Render one claim: who was referred, its status and why."""
    return {"id": row.id, "referred_email": row.referred_email, "referred_code": row.referred_code,
            "status": row.status, "reason": row.reason, "ledger_id": row.ledger_id,
            "claim_event_id": row.claim_event_id}
