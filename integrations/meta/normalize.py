"""Turn Meta webhook deliveries (Facebook Pages, Instagram) into SocialEvents, one per item."""
from collections.abc import Iterator

from integrations.common import NOT_AN_OBJECT, from_unix
from integrations.hydrate import PENDING

PLATFORM_OF_OBJECT = {"page": "facebook", "instagram": "instagram"}
# The keys of a messaging item that are envelope, not the kind of message.
MESSAGING_ENVELOPE = {"sender", "recipient", "timestamp"}


def delivery_items(payload: dict) -> Iterator[tuple[str, tuple[dict, object]]]:
    """Yield (event type, (context, item)) for every change and message of every entry."""
    platform = PLATFORM_OF_OBJECT.get(payload.get("object"), payload.get("object"))
    for entry in payload.get("entry") or []:
        if not isinstance(entry, dict):
            yield NOT_AN_OBJECT, entry
            continue
        context = {"platform": platform, "account": str(entry.get("id")), "time": entry.get("time")}
        # Instagram Login delivers one change flat on the entry instead of a changes[] list.
        changes = entry.get("changes") or ([entry] if "field" in entry else [])
        for change in changes:
            value = change.get("value") if isinstance(change, dict) else change
            yield _change_type(change), (context, value)
        for item in entry.get("messaging") or []:
            yield _messaging_type(item), (context, item)


def _change_type(change) -> str:
    if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
        return NOT_AN_OBJECT
    value = change["value"]
    parts = (change.get("field"), value.get("item"), value.get("verb"))
    return ".".join(str(part) for part in parts if part)


def _messaging_type(item) -> str:
    if not isinstance(item, dict):
        return NOT_AN_OBJECT
    return "messaging." + next((key for key in item if key not in MESSAGING_ENVELOPE), "empty")


def _author(value: dict) -> dict:
    """Return who acted: `from` on feed changes, sender_*/reviewer_* on older and ratings ones."""
    person = value.get("from") or {}
    author_id = person.get("id") or value.get("sender_id") or value.get("reviewer_id")
    if author_id is None:
        raise KeyError("from.id")
    return {"id": str(author_id), "handle": person.get("username"),
            "name": person.get("name") or value.get("sender_name") or value.get("reviewer_name")}


def _event(context: dict, value: dict, **fields) -> dict:
    """Assemble a SocialEvent; the page or Instagram account's own actions are marked from_brand."""
    author = fields.pop("author", None) or _author(value)
    extra = fields.pop("extra", {})
    occurred = fields.pop("occurred", None) or value.get("created_time") or context["time"]
    return {"platform": context["platform"], "occurred_at": from_unix(occurred), "author": author,
            "brand": context["account"], "text": None, "url": None, "in_reply_to": None,
            "thread": None, "rating": None, **fields,
            "extra": {"from_brand": author["id"] == context["account"], **extra}}


def _post_url(post_id: str, comment_id: str | None = None) -> str:
    url = f"https://www.facebook.com/{post_id}"
    return f"{url}?comment_id={comment_id.rsplit('_', 1)[-1]}" if comment_id else url


def normalize_feed_comment(data) -> dict:
    """A comment on a Page post: its conversation is the top-level comment, not the post."""
    context, value = data
    comment_id, post_id = value["comment_id"], value["post_id"]
    parent = value.get("parent_id") or post_id
    top_level = parent == post_id
    return _event(context, value, id=comment_id, kind="comment", text=value.get("message"),
                  url=_post_url(post_id, comment_id), in_reply_to=parent,
                  thread=comment_id if top_level else None, extra={"post_id": post_id})


def normalize_feed_post(data) -> dict:
    """A post on the Page's feed: the Page's own is a post, a visitor's one is a mention."""
    context, value = data
    event = _event(context, value, id=value["post_id"], text=value.get("message"),
                   url=_post_url(value["post_id"]), thread=value["post_id"],
                   extra={"item": value["item"]})
    event["kind"] = "post" if event["extra"]["from_brand"] else "mention"
    return event


def normalize_reaction(data) -> dict:
    """A reaction (like, love, anger...) on a post or comment, once per person and target."""
    context, value = data
    target = value.get("comment_id") or value["post_id"]
    author = _author(value)
    event_id = f"reaction:{target}:{author['id']}"
    return _event(context, value, id=event_id, kind="like", author=author, thread=event_id,
                  extra={"reaction_type": value.get("reaction_type", "like"), "target_id": target})


def normalize_share(data) -> dict:
    """A share of a Page post; the sharer's own words, if any, are its text."""
    context, value = data
    share_id = str(value.get("share_id") or value["post_id"])
    return _event(context, value, id=share_id, kind="share", text=value.get("message"),
                  url=_post_url(value["post_id"]), thread=share_id,
                  extra={"post_id": value["post_id"]})


def normalize_rating(data) -> dict:
    """A Page review: a star rating and/or a recommendation (positive or negative)."""
    context, value = data
    author = _author(value)
    review_id = str(value.get("open_graph_story_id") or f"rating:{author['id']}")
    url = f"https://www.facebook.com/{value['open_graph_story_id']}" \
        if value.get("open_graph_story_id") else None
    return _event(context, value, id=review_id, kind="review", author=author,
                  text=value.get("review_text"), rating=value.get("rating"), url=url,
                  thread=review_id, extra={"recommendation_type": value.get("recommendation_type")})


def normalize_rating_comment(data) -> dict:
    """A comment on a review (often the Page's reply): it joins the review's conversation."""
    context, value = data
    return _event(context, value, id=value["comment_id"], kind="comment",
                  text=value.get("message"), in_reply_to=str(value["parent_id"]))


def normalize_mention(data) -> dict:
    """A post or comment elsewhere that mentions the Page: a conversation of its own."""
    context, value = data
    mention_id = value["comment_id"] if value.get("item") == "comment" else value["post_id"]
    return _event(context, value, id=mention_id, kind="mention", text=value.get("message"),
                  url=_post_url(value["post_id"], value.get("comment_id")), thread=mention_id,
                  extra={"post_id": value["post_id"]})


def normalize_instagram_comment(data) -> dict:
    """An Instagram comment: a reply joins its top-level comment, which starts the conversation."""
    context, value = data
    comment_id = str(value.get("id") or value["comment_id"])
    media_id = (value.get("media") or {}).get("id")
    parent = value.get("parent_id")
    return _event(context, value, id=comment_id, kind="comment", text=value.get("text"),
                  in_reply_to=parent or media_id, thread=None if parent else comment_id,
                  extra={"media_id": media_id})


def normalize_instagram_mention(data) -> dict:
    """An @mention of the Instagram account in someone's comment or caption: only ids arrive.

    The worker reads the text, the author's username and the link through the Graph API
    (integrations.meta.hydrate) before deciding; the author is known by the mention itself,
    as Instagram gives no id for them here.
    """
    context, value = data
    media_id = str(value["media_id"])
    comment_id = str(value["comment_id"]) if value.get("comment_id") else None
    mention_id = comment_id or media_id
    return _event(context, value, id=mention_id, kind="mention", thread=mention_id,
                  author={"id": mention_id, "handle": None, "name": None},
                  extra={"media_id": media_id, "comment_id": comment_id, "content": PENDING})


def normalize_message(data) -> dict:
    """A Messenger or Instagram direct message; the conversation is the customer's, both ways."""
    context, item = data
    message = item["message"]
    sender, recipient = str(item["sender"]["id"]), str(item["recipient"]["id"])
    from_brand = sender == context["account"] or bool(message.get("is_echo"))
    customer = recipient if from_brand else sender
    attachments = [a.get("type") for a in message.get("attachments") or []]
    event = _event(context, item, id=message["mid"], kind="direct_message",
                   author={"id": sender, "handle": None, "name": None}, text=message.get("text"),
                   thread=customer, occurred=item["timestamp"],
                   extra={"attachments": attachments} if attachments else {})
    event["extra"]["from_brand"] = from_brand
    return event


HANDLERS = {
    "feed.comment.add": normalize_feed_comment,
    "feed.status.add": normalize_feed_post,
    "feed.post.add": normalize_feed_post,
    "feed.photo.add": normalize_feed_post,
    "feed.video.add": normalize_feed_post,
    "feed.reaction.add": normalize_reaction,
    "feed.like.add": normalize_reaction,
    "feed.share.add": normalize_share,
    "ratings.rating.add": normalize_rating,
    "ratings.comment.add": normalize_rating_comment,
    "mention.post.add": normalize_mention,
    "mention.comment.add": normalize_mention,
    "comments": normalize_instagram_comment,
    "live_comments": normalize_instagram_comment,
    "mentions": normalize_instagram_mention,
    "messaging.message": normalize_message,
}
