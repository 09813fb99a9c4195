"""X Account Activity webhooks: the CRC challenge and `X-Twitter-Webhooks-Signature` deliveries."""
import base64
import hashlib
import hmac

from flask import Blueprint, request

from engine.errors import ApiError
from integrations.common import (parse_json, read_body, require_setting, runtime, same_secret,
                                 store_delivery)
from integrations.x.normalize import HANDLERS, delivery_items

ROUTE = "/webhooks/x"
HEADER = "X-Twitter-Webhooks-Signature"
bp = Blueprint("x", __name__)


def signature(consumer_secret: str, message: bytes) -> str:
    """Return X's signature of a message: sha256= and its base64 HMAC-SHA256 (consumer secret)."""
    digest = hmac.new(consumer_secret.encode(), message, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


@bp.get(ROUTE)
def challenge_response_check():
    """Answer X's CRC: prove we hold the consumer secret by signing its crc_token."""
    secret = require_setting(runtime().settings.x_consumer_secret, "X_CONSUMER_SECRET", ROUTE)
    token = request.args.get("crc_token")
    if not token:
        raise ApiError(400, "missing_crc_token", "expected a crc_token query parameter",
                       "crc_token")
    return {"response_token": signature(secret, token.encode())}, 200


@bp.post(ROUTE)
def receive():
    """Verify the signature on the raw bytes, then store each event of the delivery."""
    body = read_body()
    secret = require_setting(runtime().settings.x_consumer_secret, "X_CONSUMER_SECRET", ROUTE)
    header = request.headers.get(HEADER)
    if not header:
        raise ApiError(401, "bad_signature", f"{HEADER} is missing", HEADER)
    if not same_secret(signature(secret, body), header.strip()):
        raise ApiError(401, "bad_signature", f"{HEADER} does not match the body", HEADER)
    return store_delivery("x", delivery_items(parse_json(body)), HANDLERS), 200
