"""Meta's webhooks: the verify-token handshake and `X-Hub-Signature-256` deliveries."""
import hashlib
import hmac

from flask import Blueprint, request

from engine.errors import ApiError
from integrations.common import (parse_json, read_body, require_setting, runtime, same_secret,
                                 store_delivery)
from integrations.meta.normalize import HANDLERS, delivery_items

ROUTE = "/webhooks/meta"
HEADER = "X-Hub-Signature-256"
bp = Blueprint("meta", __name__)


def signature(secret: str, body: bytes) -> str:
    """Return the `X-Hub-Signature-256` value Meta sends with a body: sha256= and a hex HMAC."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str | None, body: bytes, header: str | None) -> None:
    """Refuse a body whose signature is missing or does not match META_APP_SECRET."""
    secret = require_setting(secret, "META_APP_SECRET", ROUTE)
    if not header:
        raise ApiError(401, "bad_signature", f"{HEADER} is missing", HEADER)
    if not same_secret(signature(secret, body), header.strip()):
        raise ApiError(401, "bad_signature", f"{HEADER} does not match the body", HEADER)


@bp.get(ROUTE)
def handshake():
    """Answer Meta's subscription check by echoing hub.challenge when the verify token matches."""
    token = require_setting(runtime().settings.meta_verify_token, "META_VERIFY_TOKEN", ROUTE)
    if request.args.get("hub.mode") != "subscribe" or "hub.challenge" not in request.args:
        raise ApiError(400, "bad_handshake", "expected hub.mode=subscribe and hub.challenge",
                       "hub.mode")
    if not same_secret(token, request.args.get("hub.verify_token")):
        raise ApiError(403, "bad_verify_token", "hub.verify_token does not match META_VERIFY_TOKEN",
                       "hub.verify_token")
    return request.args["hub.challenge"], 200, {"Content-Type": "text/plain"}


@bp.post(ROUTE)
def receive():
    """Verify the signature on the raw bytes, then store each entry's changes and messages."""
    body = read_body()
    verify(runtime().settings.meta_app_secret, body, request.headers.get(HEADER))
    return store_delivery("meta", delivery_items(parse_json(body)), HANDLERS), 200
