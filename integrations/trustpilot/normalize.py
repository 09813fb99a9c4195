"""Turn Trustpilot service-review webhook deliveries into SocialEvents, one per event."""
import hashlib
import json
from collections.abc import Iterator

from integrations.common import NOT_AN_OBJECT

PLATFORM = "trustpilot"


def delivery_items(payload: dict, brand: str) -> Iterator[tuple[str, tuple[str, dict]]]:
    """Yield (eventName, (brand, eventData)) for every event of a delivery."""
    for event in payload.get("events") or []:
        if not isinstance(event, dict):
            yield NOT_AN_OBJECT, event
            continue
        yield str(event.get("eventName")), (brand, event.get("eventData"))


def review_url(review_id: str) -> str:
    """Return the public address of a Trustpilot review."""
    return f"https://www.trustpilot.com/reviews/{review_id}"


def _review(brand: str, data: dict, **fields) -> dict:
    consumer = data["consumer"]
    text = "\n\n".join(part for part in (data.get("title"), data.get("text")) if part) or None
    extra = {"from_brand": False, "title": data.get("title"), "language": data.get("language"),
             "reference_id": data.get("referenceId"), "is_verified": data.get("isVerified"),
             "location_id": data.get("locationId"), "tags": data.get("tags") or [],
             "api_link": data.get("link")}
    return {"platform": PLATFORM, "kind": "review", "brand": brand,
            "author": {"id": str(consumer["id"]), "handle": None, "name": consumer.get("name")},
            "text": text, "url": review_url(data["id"]), "rating": data.get("stars"),
            "extra": {k: v for k, v in extra.items() if v is not None}, **fields}


def normalize_review_created(data) -> dict:
    """A new service review: stars, title and text, the reviewer, the link; its own conversation."""
    brand, review = data
    return _review(brand, review, id=str(review["id"]), occurred_at=review["createdAt"],
                   in_reply_to=None, thread=str(review["id"]))


def normalize_review_updated(data) -> dict:
    """An edited review joins the review's conversation, once per distinct edit."""
    brand, review = data
    # Trustpilot gives an edit no id of its own: its content names it, so a redelivery dedups.
    digest = hashlib.sha256(json.dumps(review, sort_keys=True).encode()).hexdigest()[:16]
    return _review(brand, review, id=f"{review['id']}:updated:{digest}",
                   occurred_at=review.get("updatedAt") or review["createdAt"],
                   in_reply_to=str(review["id"]), thread=str(review["id"]))


HANDLERS = {
    "service-review-created": normalize_review_created,
    "service-review-updated": normalize_review_updated,
}
