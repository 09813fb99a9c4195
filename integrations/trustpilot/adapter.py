"""Trustpilot's service-review webhooks, proven by the Basic credentials of the subscription URL."""
from flask import Blueprint, request

from engine.errors import ApiError
from integrations.common import (parse_json, read_body, require_setting, runtime, same_secret,
                                 store_delivery)
from integrations.trustpilot.normalize import HANDLERS, delivery_items

ROUTE = "/webhooks/trustpilot"
bp = Blueprint("trustpilot", __name__)


def authenticate(settings) -> None:
    """Require the user and password set in Trustpilot's subscription URL (HTTP Basic)."""
    user = require_setting(settings.trustpilot_webhook_user, "TRUSTPILOT_WEBHOOK_USER", ROUTE)
    password = require_setting(settings.trustpilot_webhook_password,
                               "TRUSTPILOT_WEBHOOK_PASSWORD", ROUTE)
    given = request.authorization
    if given is None or given.type != "basic":
        raise ApiError(401, "bad_credentials", "expected HTTP Basic credentials", "Authorization")
    # Both compared, whatever the first gives: no early exit telling which one was wrong.
    user_ok = same_secret(user, given.username)
    password_ok = same_secret(password, given.password)
    if not (user_ok and password_ok):
        raise ApiError(401, "bad_credentials", "the Basic credentials do not match",
                       "Authorization")


@bp.post(ROUTE)
def receive():
    """Authenticate before reading the JSON, then store each event of the delivery."""
    body = read_body()
    settings = runtime().settings
    authenticate(settings)
    return store_delivery("trustpilot", delivery_items(parse_json(body), settings.trustpilot_brand),
                          HANDLERS), 200
