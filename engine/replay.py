"""Replay the twitter-care corpus as SocialEvents: every tweet in order, first tweets twice."""
import json
from pathlib import Path

AUTHOR_KEYS = ("client", "client1", "agent")


def conversation_events(conversation: dict) -> list[dict]:
    """Turn one corpus conversation into SocialEvents, each reply pointing at the tweet before."""
    brand = conversation["dialogHeader"]["company"]
    events, previous, first = [], None, None
    for message in conversation["dialogContent"]:
        who = next(message[k] for k in AUTHOR_KEYS if k in message)
        tweet_id = message["tweet_ID"]
        first = first or tweet_id
        events.append({
            "id": tweet_id, "platform": "twitter",
            "kind": "mention" if previous is None else "reply",
            "occurred_at": message["datetime"].replace(".000Z", "Z"),
            "author": {"id": who, "handle": who, "name": who},
            "brand": brand, "text": message["message"],
            "url": f"https://twitter.com/{who}/status/{tweet_id}",
            "in_reply_to": previous, "thread": first,
        })
        previous = tweet_id
    return events


def deliveries(path: Path, limit: int | None = None) -> list[dict]:
    """Return the events of the corpus in time order, each conversation's first tweet twice."""
    conversations = json.loads(Path(path).read_text())[:limit]
    out = []
    for conversation in conversations:
        events = conversation_events(conversation)
        out.extend([events[0], *events])
    return sorted(out, key=lambda e: e["occurred_at"])
