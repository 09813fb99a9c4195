"""Replay the twitter-care corpus as X Account Activity deliveries, signed as X signs them."""
import hashlib
import json
import re
from datetime import datetime
from pathlib import Path

import requests

from engine import replay
from integrations.x.adapter import HEADER, ROUTE, signature

MENTION = re.compile(r"@(\w{1,15})")
SHORT_TEXT = 140  # longer tweets come truncated, the whole text under extended_tweet


def user_id(screen_name: str) -> str:
    """Return a stable numeric user id for a corpus screen name (the corpus keeps none)."""
    return str(int(hashlib.sha256(screen_name.casefold().encode()).hexdigest()[:15], 16))


def user_object(screen_name: str) -> dict:
    """Return an X user object for a corpus screen name; the corpus knows no follower counts."""
    uid = user_id(screen_name)
    return {"id": int(uid), "id_str": uid, "name": screen_name, "screen_name": screen_name,
            "followers_count": 0, "verified": False}


def _mentions(text: str) -> list[dict]:
    return [{"screen_name": m.group(1), "name": m.group(1), "id": int(user_id(m.group(1))),
             "id_str": user_id(m.group(1)), "indices": [m.start(), m.end()]}
            for m in MENTION.finditer(text)]


def tweet_object(event: dict, authors: dict[str, str]) -> dict:
    """Return the X tweet object of a corpus SocialEvent; authors maps tweet ids to screen names."""
    text, parent = event["text"], event["in_reply_to"]
    when = datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00"))
    entities = {"hashtags": [], "symbols": [], "urls": [], "user_mentions": _mentions(text)}
    parent_author = authors.get(parent)
    tweet = {
        "created_at": when.strftime("%a %b %d %H:%M:%S +0000 %Y"),
        "id": int(event["id"]), "id_str": event["id"],
        "text": text if len(text) <= SHORT_TEXT else text[:SHORT_TEXT - 1] + "…",
        "truncated": len(text) > SHORT_TEXT,
        "in_reply_to_status_id": int(parent) if parent else None,
        "in_reply_to_status_id_str": parent,
        "in_reply_to_user_id": int(user_id(parent_author)) if parent_author else None,
        "in_reply_to_user_id_str": user_id(parent_author) if parent_author else None,
        "in_reply_to_screen_name": parent_author,
        "user": user_object(event["author"]["handle"]),
        "is_quote_status": False, "entities": entities,
        "timestamp_ms": str(int(when.timestamp() * 1000)),
    }
    if tweet["truncated"]:
        tweet["extended_tweet"] = {"full_text": text, "display_text_range": [0, len(text)],
                                   "entities": entities}
    return tweet


def deliveries(path: Path, limit: int | None = None) -> list[dict]:
    """Return the corpus as X delivers it to each brand's subscription, in the generic order."""
    events = replay.deliveries(path, limit)
    authors = {e["id"]: e["author"]["handle"] for e in events}
    return [{"for_user_id": user_id(e["brand"]), "tweet_create_events": [tweet_object(e, authors)]}
            for e in events]


def send_delivery(url: str, consumer_secret: str, delivery: dict, session=None,
                  timeout: float = 10) -> dict:
    """POST one delivery to `<url>/webhooks/x`, signed; return the receiver's JSON answer."""
    body = json.dumps(delivery).encode()
    response = (session or requests).post(
        f"{url.rstrip('/')}{ROUTE}", data=body, timeout=timeout,
        headers={HEADER: signature(consumer_secret, body), "Content-Type": "application/json"})
    answer = response.json()
    answer["http_status"] = response.status_code
    return answer
