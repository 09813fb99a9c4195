"""Send SocialEvents to a Goodwill receiver, signed per Standard Webhooks, as a platform would."""
import json
import uuid
from datetime import datetime, timezone

import requests
from standardwebhooks.webhooks import Webhook


def signed_headers(secret: str, body: str, msg_id: str | None = None,
                   timestamp: datetime | None = None) -> dict:
    """Return the webhook-id, webhook-timestamp and webhook-signature headers for a body."""
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    timestamp = timestamp or datetime.now(timezone.utc)
    return {"webhook-id": msg_id,
            "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": Webhook(secret).sign(msg_id, timestamp, body),
            "content-type": "application/json"}


def send_event(url: str, secret: str, event: dict, session=None, timeout: float = 10) -> dict:
    """POST one event to `<url>/webhooks/events`; return the receiver's JSON answer."""
    body = json.dumps(event)
    http = session or requests
    response = http.post(f"{url.rstrip('/')}/webhooks/events", data=body.encode(),
                         headers=signed_headers(secret, body), timeout=timeout)
    answer = response.json()
    answer["http_status"] = response.status_code
    return answer
