"""Turn Google Business Profile review notifications (Pub/Sub push) into SocialEvents."""
import base64
import binascii
import json
from collections.abc import Iterator

from integrations.common import NOT_AN_OBJECT
from integrations.hydrate import PENDING

PLATFORM = "google"


def delivery_items(push: dict) -> Iterator[tuple[str, tuple[dict, dict]]]:
    """Yield the one notification a push carries, decoded from its base64 `message.data`."""
    message = push.get("message")
    try:
        notification = json.loads(base64.b64decode(message["data"], validate=True))
    except (TypeError, KeyError, ValueError, binascii.Error):
        yield NOT_AN_OBJECT, message
        return
    if not isinstance(notification, dict):
        yield NOT_AN_OBJECT, notification
        return
    context = {"message_id": message.get("messageId") or message.get("message_id"),
               "published": message.get("publishTime") or message.get("publish_time"),
               "subscription": push.get("subscription")}
    yield str(notification.get("type")), (context, notification)


def _named(notification: dict, name: str) -> str | None:
    """Read a field by its v4 name (reviewName) or its Notifications API v1 name (review_name)."""
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
    return notification.get(name) or notification.get(snake)


def _review(data, event_id_suffix: str = "") -> dict:
    context, notification = data
    review_name = _named(notification, "reviewName")
    location_name = _named(notification, "locationName")
    review_id = review_name.rsplit("/", 1)[-1]
    event_id = review_id + event_id_suffix
    # The notification names the review and no more: the worker reads the stars, text and
    # reviewer through the Business Profile API (integrations.google.hydrate) before deciding.
    # Google gives no reviewer id, so the reviewer is known by the review.
    return {"id": event_id, "platform": PLATFORM, "kind": "review",
            "occurred_at": context["published"], "brand": location_name or review_name,
            "author": {"id": review_id, "handle": None, "name": None},
            "text": None, "url": None, "rating": None,
            "in_reply_to": review_id if event_id != review_id else None, "thread": review_id,
            "extra": {"from_brand": False, "notification_type": notification["type"],
                      "review_name": review_name, "location_name": location_name,
                      "pubsub_message_id": context["message_id"], "content": PENDING}}


def normalize_new_review(data) -> dict:
    """A new review on a location: the start of its own conversation."""
    return _review(data)


def normalize_updated_review(data) -> dict:
    """An edited review (or one the business replied to): it joins the review's conversation."""
    context, _ = data
    return _review(data, f":updated:{context['message_id']}")


HANDLERS = {
    "NEW_REVIEW": normalize_new_review,
    "UPDATED_REVIEW": normalize_updated_review,
}
