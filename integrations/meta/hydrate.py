"""Read the Instagram comment or caption that a `mentions` webhook names, through the Graph API.

The webhook gives the media id, and the comment id when the mention is in a comment; the
Instagram account's `mentioned_comment` / `mentioned_media` fields return the rest.
"""
from integrations.hydrate import (ContentGone, ContentUnavailable, MissingCredentials,
                                  error_message, fetch)

# What is asked for, best first. On someone else's media Meta may refuse a field beyond the
# documented minimum ("nonexisting field"); the mention is then read with that minimum.
COMMENT_FIELDS = ("id,text,timestamp,username,like_count,media{id,permalink}",
                  "id,text,timestamp,like_count")
MEDIA_FIELDS = ("id,caption,timestamp,username,media_type,permalink", "id,caption,media_type")
# Graph API error codes: (code, subcode) of an object that does not exist, and a bad token.
NO_SUCH_OBJECT = (100, 33)
TOKEN_REFUSED = 190


def startup_warning(settings) -> str | None:
    """Warn when Instagram mentions can arrive but cannot be read."""
    if settings.meta_app_secret and not settings.meta_page_access_token:
        return ("Instagram mentions cannot be read: set META_PAGE_ACCESS_TOKEN. Until then each "
                "mention waits unread and fails after its retries")
    return None


def complete(runtime, event: dict) -> dict:
    """Read the mentioning comment or caption; return the event with its text, author, link."""
    token = runtime.settings.meta_page_access_token
    if not token:
        raise MissingCredentials("set META_PAGE_ACCESS_TOKEN so that Goodwill can read Instagram "
                                 "mentions through the Graph API")
    extra = event["extra"]
    if extra.get("comment_id"):
        edge, target, choices = ("mentioned_comment", f"comment_id({extra['comment_id']})",
                                 COMMENT_FIELDS)
    else:
        edge, target, choices = ("mentioned_media", f"media_id({extra['media_id']})",
                                 MEDIA_FIELDS)
    url = f"{runtime.settings.meta_graph_url.rstrip('/')}/{event['brand']}"
    what = f"the Instagram {edge} {target}"
    for fields in choices:
        response = fetch(url, what, params={"fields": f"{edge}.{target}{{{fields}}}"},
                         headers={"Authorization": f"Bearer {token}"})
        if response.ok:
            return with_mention(event, response.json().get(edge) or {})
        if not _refused_a_field(response):
            break
    raise _failure(response, what)


def with_mention(event: dict, found: dict) -> dict:
    """Fill the event from the comment or media that mentions the account."""
    if not found:
        raise ContentGone("Instagram returned nothing for the mention")
    media = found.get("media") if isinstance(found.get("media"), dict) else {}
    text = found["text"] if "text" in found else found.get("caption")
    return {**event, "text": text, "url": found.get("permalink") or media.get("permalink"),
            "author": {**event["author"], "handle": found.get("username")},
            "extra": {**event["extra"], "posted_at": found.get("timestamp"),
                      "like_count": found.get("like_count")}}


def _graph_error(response) -> dict:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return {}
    return error if isinstance(error, dict) else {}


def _refused_a_field(response) -> bool:
    error = _graph_error(response)
    return error.get("code") == 100 and "nonexisting field" in str(error.get("message"))


def _failure(response, what: str) -> Exception:
    """Say why the Graph API did not answer: gone for good, a refused token, or try later."""
    error = _graph_error(response)
    no_such_object = (error.get("code"), error.get("error_subcode")) == NO_SUCH_OBJECT
    if response.status_code == 404 or no_such_object:
        return ContentGone(f"Instagram no longer has {what}: {error_message(response)}")
    if error.get("code") == TOKEN_REFUSED:
        return ContentUnavailable("Meta refused META_PAGE_ACCESS_TOKEN (expired or revoked): "
                                  f"{error_message(response)}")
    return ContentUnavailable(f"Meta answered {error_message(response)} for {what}")
