"""Verify the OIDC token Pub/Sub signs its pushes with, against Google's published keys."""
import base64
import json
import re
import threading
import time

import requests
from google.auth import exceptions as google_exceptions
from google.auth import jwt

from engine.errors import ApiError

ISSUERS = ("accounts.google.com", "https://accounts.google.com")
DEFAULT_MAX_AGE = 3600.0
CLOCK_SKEW_SECONDS = 10

_certs: dict[str, tuple[dict, float]] = {}
_certs_lock = threading.Lock()


def google_certs(url: str, refresh: bool = False) -> dict:
    """Return the key-id -> certificate map at url, cached as long as its Cache-Control allows."""
    with _certs_lock:
        certs, expires = _certs.get(url, ({}, 0.0))
        if refresh or not certs or expires < time.monotonic():
            try:
                response = requests.get(url, timeout=5)
                response.raise_for_status()
                certs = response.json()
            except (requests.RequestException, ValueError) as exc:
                # Not the sender's fault: 503 makes Pub/Sub deliver again later.
                raise ApiError(503, "keys_unavailable", f"Google's signing keys: {exc}") from exc
            match = re.search(r"max-age=(\d+)", response.headers.get("Cache-Control", ""))
            expires = time.monotonic() + (float(match.group(1)) if match else DEFAULT_MAX_AGE)
            _certs[url] = (certs, expires)
        return certs


def _key_id(token: str) -> str | None:
    header = token.split(".", 1)[0]
    try:
        return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))).get("kid")
    except (ValueError, AttributeError):
        return None


def verify_push_token(authorization: str | None, audience: str, certs_url: str,
                      service_account: str | None = None) -> dict:
    """Check the bearer token's signature, audience, issuer and (if set) service account."""
    field = "Authorization"
    if not authorization or not authorization.startswith("Bearer "):
        raise ApiError(401, "bad_token", "expected the Pub/Sub OIDC token as a Bearer token", field)
    token = authorization.removeprefix("Bearer ").strip()
    certs = google_certs(certs_url)
    if _key_id(token) not in certs:
        certs = google_certs(certs_url, refresh=True)  # Google rotates its keys
    try:
        claims = jwt.decode(token, certs=certs, audience=audience,
                            clock_skew_in_seconds=CLOCK_SKEW_SECONDS)
    except (google_exceptions.GoogleAuthError, ValueError) as exc:
        raise ApiError(401, "bad_token", f"the OIDC token was refused: {exc}", field)
    if claims.get("iss") not in ISSUERS:
        raise ApiError(401, "bad_token", f"the OIDC token comes from {claims.get('iss')!r}", field)
    if service_account and not (claims.get("email") == service_account
                                and claims.get("email_verified")):
        raise ApiError(401, "bad_token", "the OIDC token is not GOOGLE_PUBSUB_SERVICE_ACCOUNT's",
                       field)
    return claims
