"""`/api/v1` routes of the loyalty programme: link identities, reverse credits, fill voucher pools."""
from datetime import datetime

from flask import current_app, request

from engine import identities, ledger
from engine.api import bp, get_customer
from engine.customers import find_customer
from engine.errors import ApiError

OFFLINE_BODY_FIELDS = {"email": "email", "phone": "phone", "member_number": "member"}


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "send a JSON object")
    return body


def _text(body: dict, name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, (str, int)) or not str(value).strip():
        raise ApiError(422, "invalid_field", f"{name} must be a non-empty string", name)
    return str(value).strip()


def _identity_from(body: dict) -> tuple[str, str, str | None]:
    """Read what to link: platform + author_id, or one offline key (email, phone, member_number)."""
    offline = [(OFFLINE_BODY_FIELDS[f], _text(body, f)) for f in OFFLINE_BODY_FIELDS if f in body]
    platform, author_id = _text(body, "platform"), _text(body, "author_id")
    if ((platform or author_id) and offline) or len(offline) > 1:
        raise ApiError(422, "invalid_body", "link one identity per call", "platform")
    if offline:
        return offline[0][0], offline[0][1], None
    if not platform or not author_id:
        raise ApiError(422, "missing_field", "give platform and author_id, or email, phone or "
                       "member_number", "author_id" if platform else "platform")
    if platform in OFFLINE_BODY_FIELDS.values():
        return platform, author_id, None
    return platform, author_id, _text(body, "handle")


@bp.post("/customers/<path:key>/identities")
def link_identity(key: str):
    """Link an identity or offline key to a customer, merging its current holder into them."""
    platform, author_id, handle = _identity_from(_body())
    with current_app.extensions["goodwill"].sessionmaker.begin() as session:
        customer = find_customer(session, key)
        if customer is None:
            raise ApiError(404, "not_found", f"no customer known as {key}", "key")
        outcome = identities.link(session, customer, platform, author_id, handle)
        customer_id = customer.id
    view = get_customer(customer_id)
    return {**view, "linked": outcome["linked"], "merged": outcome["merged"]}, \
        201 if outcome["linked"] else 200


@bp.post("/ledger/<entry_id>/reverse")
def reverse_entry(entry_id: str):
    """Reverse one credit with a reason (a refund, a fraud); a second reversal is refused."""
    reason = _text(_body(), "reason")
    if not reason:
        raise ApiError(422, "missing_field", "say why the credit is reversed", "reason")
    with current_app.extensions["goodwill"].sessionmaker.begin() as session:
        view = ledger.entry_view(ledger.reverse(session, entry_id, reason))
    return view, 201


@bp.post("/vouchers/<pool>")
def add_vouchers(pool: str):
    """Add codes to a voucher pool that `loyalty.credit: {voucher: <pool>}` hands out."""
    body = _body()
    codes = body.get("codes")
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) and c.strip()
                                                           for c in codes):
        raise ApiError(422, "invalid_field", "codes must be a list of voucher codes", "codes")
    expires_at = None
    if body.get("expires_at"):
        try:
            expires_at = datetime.fromisoformat(str(body["expires_at"]).replace("Z", "+00:00"))
        except ValueError:
            raise ApiError(422, "invalid_field", "expires_at must be an ISO date-time",
                           "expires_at")
        if expires_at.tzinfo is None:
            raise ApiError(422, "invalid_field", "expires_at needs a time zone", "expires_at")
    with current_app.extensions["goodwill"].sessionmaker.begin() as session:
        return ledger.add_pool_codes(session, pool, [c.strip() for c in codes], expires_at), 201
