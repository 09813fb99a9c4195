"""Read the review a Business Profile notification names: stars, text, reviewer, owner's reply."""
import re
import threading
from datetime import datetime

from google.auth import exceptions as google_exceptions
from google.auth.transport.requests import AuthorizedSession
from google.oauth2.credentials import Credentials

from integrations.hydrate import (FETCH_TIMEOUT, ContentGone, ContentUnavailable,
                                  MissingCredentials, error_message, fetch)

STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
# Who the business's reply is from on a ticket; Google shows it as the "Response from the owner".
OWNER = "Owner"
# The runtime service holding the process's one OAuth session with the Business Profile API.
SERVICE = "google_business_profile"
_session_lock = threading.Lock()


def missing_settings(settings) -> list[str]:
    """Name the OAuth settings Goodwill needs to read reviews and does not have."""
    given = {"GOOGLE_CLIENT_ID": settings.google_client_id,
             "GOOGLE_CLIENT_SECRET": settings.google_client_secret,
             "GOOGLE_REFRESH_TOKEN": settings.google_refresh_token}
    return [name for name, value in given.items() if not value]


def startup_warning(settings) -> str | None:
    """Warn when review notifications can arrive but the reviews cannot be read."""
    receiving = settings.google_pubsub_token or settings.google_oidc_audience
    missing = missing_settings(settings)
    if receiving and missing:
        return (f"Google reviews cannot be read: set {', '.join(missing)}. Until then each review "
                "notification waits unread and fails after its retries")
    return None


def api_session(runtime) -> AuthorizedSession:
    """Return the process's Business Profile session; its access token is refreshed on expiry."""
    with _session_lock:
        if SERVICE not in runtime.services:
            settings = runtime.settings
            credentials = Credentials(None, refresh_token=settings.google_refresh_token,
                                      token_uri=settings.google_token_url,
                                      client_id=settings.google_client_id,
                                      client_secret=settings.google_client_secret)
            runtime.services[SERVICE] = AuthorizedSession(credentials,
                                                          refresh_timeout=FETCH_TIMEOUT)
        return runtime.services[SERVICE]


def complete(runtime, event: dict) -> dict:
    """Read the review the event names (`GET /v4/<review name>`); return the event filled in."""
    missing = missing_settings(runtime.settings)
    if missing:
        raise MissingCredentials(f"set {', '.join(missing)} so that Goodwill can read Google "
                                 "reviews through the Business Profile API")
    name = event["extra"]["review_name"]
    url = f"{runtime.settings.google_api_url.rstrip('/')}/v4/{name}"
    try:
        response = fetch(url, f"the Google review {name}", session=api_session(runtime))
    except google_exceptions.RefreshError as exc:
        raise ContentUnavailable("Google refused to refresh the access token; check "
                                 "GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET and GOOGLE_REFRESH_TOKEN: "
                                 f"{exc}") from exc
    except google_exceptions.TransportError as exc:
        raise ContentUnavailable(f"Google's token endpoint {runtime.settings.google_token_url}: "
                                 f"{exc}") from exc
    if response.status_code == 404:
        raise ContentGone(f"Google no longer has the review {name} (deleted by its author, or "
                          f"removed): {error_message(response)}")
    if not response.ok:
        raise ContentUnavailable(f"Google answered {error_message(response)} for the review {name}")
    return with_review(event, response.json())


def with_review(event: dict, review: dict) -> dict:
    """Fill the event from a Review resource; an update that is the owner's reply is the brand's."""
    reviewer = review.get("reviewer") or {}
    reply = review.get("reviewReply") or {}
    anonymous = bool(reviewer.get("isAnonymous"))
    extra = {**event["extra"], "reviewer_anonymous": anonymous,
             "reviewer_photo_url": reviewer.get("profilePhotoUrl"),
             "review_created_at": review.get("createTime"),
             "review_updated_at": review.get("updateTime"), "owner_reply": reply.get("comment")}
    if _owner_replied_last(event, review):
        return {**event, "author": {**event["author"], "name": OWNER}, "text": reply.get("comment"),
                "extra": {**extra, "from_brand": True}}
    name = None if anonymous else reviewer.get("displayName")
    return {**event, "author": {**event["author"], "name": name}, "text": review.get("comment"),
            "rating": STARS.get(review.get("starRating")), "extra": extra}


def _owner_replied_last(event: dict, review: dict) -> bool:
    """Tell an UPDATED_REVIEW sent for the owner's reply from one sent for the reviewer's edit."""
    replied = (review.get("reviewReply") or {}).get("updateTime")
    if event["extra"].get("notification_type") != "UPDATED_REVIEW" or not replied:
        return False
    return _instant(replied) >= _instant(review.get("updateTime") or review["createTime"])


def _instant(stamp: str) -> datetime:
    # Google writes zero to nine fractional digits; datetime reads exactly six.
    six_digits = re.sub(r"\.(\d+)", lambda m: "." + m.group(1)[:6].ljust(6, "0"), stamp)
    return datetime.fromisoformat(six_digits.replace("Z", "+00:00"))
