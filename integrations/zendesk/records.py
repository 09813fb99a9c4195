"""The records Goodwill sends Zendesk, one at a time or in bulk: a requester and a new ticket."""
from zenpy.lib.api_objects import Comment, Ticket

# The user identity types Zendesk has for social networks; other platforms rely on external_id.
SOCIAL_IDENTITY_TYPES = {"twitter", "facebook"}


def requester_fields(event: dict, email: str | None = None, user_fields: dict | None = None) -> tuple[dict, dict]:
    """Return the Zendesk user of an event's author: the bare fields, and the identities and email.

    The extras are what may already belong to another Zendesk user (an X handle Zendesk's own
    channel knows, an email): without them the requester is still made.
    """
    author = event.get("author") or {}
    platform = event["platform"]
    bare = {"name": author.get("name") or author.get("handle") or f"{platform} user {author['id']}",
            "external_id": f"goodwill:{platform}:{author['id']}", "role": "end-user", "skip_verify_email": True}
    if user_fields:
        bare["user_fields"] = user_fields
    extras = {}
    if platform in SOCIAL_IDENTITY_TYPES:
        # Zendesk identifies X users by screen name and Facebook users by their numeric id.
        value = author.get("handle") if platform == "twitter" else None
        extras["identities"] = [{"type": platform, "value": value or str(author["id"])}]
    if author.get("email") or email:
        extras["email"] = author.get("email") or email
    return bare, extras


def new_ticket(*, external_id: str, requester_id: int, subject: str, body: str, priority: str | None = None,
               ticket_type: str | None = None, tags: list[str] = (), group_id: int | None = None,
               assignee_id: int | None = None, assignee_email: str | None = None, follow_up_of: int | None = None,
               custom_fields: list[dict] = (), problem_id: int | None = None) -> Ticket:
    """Return a new ticket whose first comment is the requester's public post, unset fields left out."""
    fields = {"external_id": external_id, "requester_id": requester_id, "subject": subject,
              "comment": Comment(body=body, public=True, author_id=requester_id),
              "custom_fields": list(custom_fields) or None, "problem_id": problem_id,
              "priority": priority, "type": ticket_type, "tags": list(tags), "group_id": group_id,
              "assignee_id": assignee_id, "assignee_email": assignee_email,
              "via_followup_source_id": follow_up_of}
    return Ticket(**{k: v for k, v in fields.items() if v is not None})
