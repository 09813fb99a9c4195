"""Turn X Account Activity deliveries into SocialEvents, one per tweet, like, follow or message."""
from collections.abc import Iterator
from datetime import datetime

from integrations.common import NOT_AN_OBJECT, from_unix

PLATFORM = "twitter"  # X keeps Twitter's name in ids, tags and customer keys


def delivery_items(payload: dict) -> Iterator[tuple[str, tuple[dict, object]]]:
    """Yield (event type, (context, item)) for every event of every `*_events` list."""
    for_user_id = str(payload.get("for_user_id"))
    context = {"for_user_id": for_user_id, "users": payload.get("users") or {},
               "brand": _screen_name(payload, for_user_id) or for_user_id}
    for key, value in payload.items():
        if key == "user_event":
            yield key, (context, value)
        elif key.endswith("_events"):
            for item in value if isinstance(value, list) else [value]:
                yield _event_type(key, item), (context, item)


def _event_type(key: str, item) -> str:
    if not isinstance(item, dict):
        return NOT_AN_OBJECT
    # follow_events holds follows and unfollows, direct_message_events several kinds: tell apart.
    return f"{key}.{item['type']}" if "type" in item else key


def _screen_name(node, user_id: str) -> str | None:
    """Find user_id's screen name anywhere in a delivery: user objects, mentions, reply fields."""
    if isinstance(node, dict):
        if str(node.get("id_str") or node.get("id")) == user_id and node.get("screen_name"):
            return node["screen_name"]
        if node.get("in_reply_to_user_id_str") == user_id and node.get("in_reply_to_screen_name"):
            return node["in_reply_to_screen_name"]
        children = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return None
    return next((name for child in children if (name := _screen_name(child, user_id))), None)


def _author(user: dict) -> dict:
    return {"id": str(user.get("id_str") or user["id"]), "handle": user.get("screen_name"),
            "name": user.get("name"), "followers": user.get("followers_count"),
            "verified": user.get("verified")}


def _when(item: dict, stamp_key: str) -> str:
    """Prefer the millisecond stamp; fall back to X's `Wed Oct 10 20:19:24 +0000 2018` dates."""
    if item.get(stamp_key):
        return from_unix(int(item[stamp_key]))
    return datetime.strptime(item["created_at"], "%a %b %d %H:%M:%S %z %Y").isoformat()


def _event(context: dict, author: dict, **fields) -> dict:
    """Assemble a SocialEvent; the subscribed account's own activity is marked from_brand."""
    extra = {k: v for k, v in fields.pop("extra", {}).items() if v is not None}
    return {"platform": PLATFORM, "author": author, "brand": context["brand"], "text": None,
            "url": None, "in_reply_to": None, "thread": None, "rating": None, **fields,
            "extra": {"from_brand": author["id"] == context["for_user_id"], **extra}}


def tweet_url(screen_name: str, tweet_id: str) -> str:
    """Return the public address of a tweet."""
    return f"https://twitter.com/{screen_name}/status/{tweet_id}"


def normalize_tweet(data) -> dict:
    """A tweet by or to the account: mention, reply (found by its parent), quote, retweet, post."""
    context, tweet = data
    author = _author(tweet["user"])
    tweet_id = str(tweet.get("id_str") or tweet["id"])
    retweeted = tweet.get("retweeted_status")
    parent = tweet.get("in_reply_to_status_id_str")
    if retweeted:
        kind = "share"
    elif parent:
        kind = "reply"
    elif author["id"] == context["for_user_id"]:
        kind = "post"
    else:
        kind = "mention"
    # A retweet's text is the original author's words, not the sharer's.
    text = None if retweeted else ((tweet.get("extended_tweet") or {}).get("full_text")
                                   or tweet.get("full_text") or tweet.get("text"))
    return _event(context, author, id=tweet_id, kind=kind, text=text,
                  occurred_at=_when(tweet, "timestamp_ms"),
                  url=tweet_url(author["handle"], tweet_id),
                  in_reply_to=parent, thread=None if parent else tweet_id,
                  extra={"quoted_status_id": tweet.get("quoted_status_id_str"),
                         "retweeted_status_id": retweeted and retweeted.get("id_str")})


def normalize_favorite(data) -> dict:
    """A like, once per person and tweet; it starts no conversation and joins none."""
    context, favorite = data
    author = _author(favorite["user"])
    liked = favorite["favorited_status"]
    liked_id = str(liked.get("id_str") or liked["id"])
    event_id = f"favorite:{liked_id}:{author['id']}"
    return _event(context, author, id=event_id, kind="like", thread=event_id,
                  occurred_at=_when(favorite, "timestamp_ms"),
                  url=tweet_url(liked["user"]["screen_name"], liked_id),
                  extra={"tweet_id": liked_id})


def normalize_follow(data) -> dict:
    """A follow, once per follower and followed account."""
    context, follow = data
    author = _author(follow["source"])
    target_id = str(follow["target"].get("id_str") or follow["target"]["id"])
    event_id = f"follow:{author['id']}:{target_id}"
    return _event(context, author, id=event_id, kind="follow", thread=event_id,
                  occurred_at=from_unix(int(follow["created_timestamp"])),
                  url=f"https://twitter.com/{author['handle']}", extra={"followed_id": target_id})


def conversation_id(user_a: str, user_b: str) -> str:
    """Return X's id of a one-to-one DM conversation: both user ids, lower first."""
    return "-".join(sorted((user_a, user_b), key=int))


def normalize_direct_message(data) -> dict:
    """A direct message sent or received; its conversation is the pair of people."""
    context, message = data
    created = message["message_create"]
    sender = str(created["sender_id"])
    recipient = str(created["target"]["recipient_id"])
    user = context["users"].get(sender) or {"id": sender}
    return _event(context, _author(user), id=str(message["id"]), kind="direct_message",
                  text=created["message_data"].get("text"),
                  occurred_at=from_unix(int(message["created_timestamp"])),
                  thread=conversation_id(sender, recipient))


HANDLERS = {
    "tweet_create_events": normalize_tweet,
    "favorite_events": normalize_favorite,
    "follow_events.follow": normalize_follow,
    "direct_message_events.message_create": normalize_direct_message,
}
