"""Google Business Profile notifications pushed by Pub/Sub: `POST /webhooks/google`."""
from flask import Blueprint, request

from engine.errors import ApiError
from integrations.common import parse_json, read_body, runtime, same_secret, store_delivery
from integrations.google.normalize import HANDLERS, delivery_items
from integrations.google.oidc import verify_push_token

ROUTE = "/webhooks/google"
bp = Blueprint("google", __name__)


def authenticate(settings) -> None:
    """Require every configured proof: the push URL's ?token=, the OIDC bearer token, or both."""
    if not settings.google_pubsub_token and not settings.google_oidc_audience:
        raise ApiError(503, "source_not_configured", "set GOOGLE_PUBSUB_TOKEN or "
                       f"GOOGLE_OIDC_AUDIENCE to receive events on {ROUTE}")
    if settings.google_pubsub_token and not same_secret(settings.google_pubsub_token,
                                                        request.args.get("token")):
        raise ApiError(401, "bad_token", "the push URL's token is missing or wrong", "token")
    if settings.google_oidc_audience:
        verify_push_token(request.headers.get("Authorization"), settings.google_oidc_audience,
                          settings.google_oidc_certs_url, settings.google_pubsub_service_account)


@bp.post(ROUTE)
def receive():
    """Authenticate the push before reading its JSON, then store the notification it carries."""
    body = read_body()
    authenticate(runtime().settings)
    return store_delivery("google", delivery_items(parse_json(body)), HANDLERS), 200
