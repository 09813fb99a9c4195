"""`/api/v1`: events with their decisions and actions, customers with their ledger."""
import hmac
from pathlib import Path

import yaml

from flask import Blueprint, current_app, request
from sqlalchemy import select

from engine import referrals
from engine.customers import find_customer
from engine.identities import merges_of
from engine.ledger import entry_view
from engine.db import InboxEvent, LedgerEntry, utcnow
from engine.errors import ApiError
from engine.outbox import customer_view

bp = Blueprint("api", __name__, url_prefix="/api/v1")
OPENAPI = Path(__file__).resolve().parent / "openapi.yaml"


@bp.before_request
def require_token():
    """Refuse any call without `Authorization: Bearer $GOODWILL_API_TOKEN`."""
    expected = current_app.extensions["goodwill"].settings.api_token
    if not expected:
        raise ApiError(503, "api_not_configured", "set GOODWILL_API_TOKEN to use /api/v1")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <GOODWILL_API_TOKEN>",
                       "Authorization")


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


@bp.get("/events/<event_id>")
def get_event(event_id: str):
    """Show one event: its status, decisions (rule, why), actions and their results."""
    with current_app.extensions["goodwill"].sessionmaker() as session:
        row = session.get(InboxEvent, event_id)
        if row is None:
            raise ApiError(404, "not_found", f"no event with id {event_id}", "id")
        return {
            "id": row.id, "source": row.source, "status": row.status,
            "received_at": _iso(row.received_at), "processed_at": _iso(row.processed_at),
            "error": row.error, "customer_id": row.customer_id,
            "event": {**row.payload, "thread": row.thread},
            "decisions": [{"policy": d.policy, "policy_version": d.policy_version,
                           "rule": d.rule, "why": d.why} for d in row.decisions],
            "actions": [{"id": a.id, "type": a.type, "status": a.status, "attempts": a.attempts,
                         "policy": a.policy, "rule": a.rule, "params": a.params,
                         "result": a.result, "error": a.error,
                         "next_attempt_at": _iso(a.next_attempt_at)
                         if a.status in ("pending", "retrying") else None}
                        for a in row.actions],
        }


@bp.get("/customers/<path:key>")
def get_customer(key: str):
    """Show a customer: linked identities, loyalty balance, ledger and history."""
    with current_app.extensions["goodwill"].sessionmaker() as session:
        customer = find_customer(session, key)
        if customer is None:
            raise ApiError(404, "not_found", f"no customer known as {key}", "key")
        view = customer_view(session, customer.id, utcnow())
        ledger = session.scalars(select(LedgerEntry).where(LedgerEntry.customer_id == customer.id)
                                 .order_by(LedgerEntry.created_at)).all()
        return {
            **{k: view[k] for k in ("id", "name", "email")},
            "identities": [{"platform": i.platform, "author_id": i.author_id, "handle": i.handle}
                           for i in customer.identities],
            "balance": view["balance"],
            "ledger": [entry_view(e) for e in ledger],
            "history": view["history"],
            "referrals": referrals.claims_by(session, customer.id),
            "merged": [{"customer_id": m.merged_id, "reason": m.reason, "moved": m.moved,
                        "at": _iso(m.created_at)} for m in merges_of(session, customer.id)],
        }


from engine import loyalty_api  # noqa: E402,F401  (its routes live on this blueprint)
from engine import policies_api  # noqa: E402,F401  (its routes live on this blueprint)


@bp.get("/openapi.json")
def openapi():
    """Serve the OpenAPI description of the webhooks and /api/v1."""
    return yaml.safe_load(OPENAPI.read_text())
