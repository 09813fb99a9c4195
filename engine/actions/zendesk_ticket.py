"""`zendesk.ticket` and `zendesk.note`: one Zendesk ticket per social conversation."""
from marshmallow import Schema, ValidationError, fields, validate

from engine.actions.base import ActionContext, ActionType, PermanentActionError
from engine.actions.registry import register
from engine.actions.templates import fields_in, render
from integrations.zendesk.ticket_body import (brand_reply_note, context_note, default_subject,
                                              event_marker, has_marker, post_comment, zendesk_tag)

PRIORITIES = ["low", "normal", "high", "urgent"]
TICKET_TYPES = ["question", "incident", "problem", "task"]


def check_template(template: str) -> None:
    """Refuse a template with broken braces or an empty {} field."""
    try:
        names = fields_in(template)
    except ValueError as exc:
        raise ValidationError(f"not a valid template: {exc}") from exc
    if "" in names:
        raise ValidationError("name a field inside each {}, such as {author.name}")


class NameOrId(fields.String):
    """A Zendesk group or agent given by name, email or numeric id (YAML may give the id as a number)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        return super()._deserialize(value, attr, data, **kwargs)


class TicketParams(Schema):
    priority = fields.String(load_default="normal", validate=validate.OneOf(PRIORITIES))
    group = NameOrId(load_default=None)
    assignee = NameOrId(load_default=None)
    tags = fields.List(fields.String(), load_default=list)
    type = fields.String(load_default=None, validate=validate.OneOf(TICKET_TYPES))
    subject = fields.String(load_default=None, validate=check_template)
    note = fields.String(load_default=None, validate=check_template)


class NoteParams(Schema):
    note = fields.String(load_default=None, validate=check_template)


def conversation_external_id(event: dict) -> str:
    """Name the conversation's ticket in Zendesk: goodwill:<platform>:<thread>."""
    # An event with no thread yet (a review) starts its own conversation.
    return f"goodwill:{event['platform']}:{event.get('thread') or event['id']}"


def _desk(ctx: ActionContext):
    try:
        return ctx.services["desk"]
    except KeyError:
        raise PermanentActionError("no help desk client: the worker was started without Zendesk "
                                   "settings (ZENDESK_URL)") from None


def _decisions(ctx: ActionContext) -> list[dict]:
    return ctx.decisions or [{"policy": ctx.policy, "policy_version": ctx.policy_version,
                              "rule": ctx.rule, "why": ctx.why}]


def ticket_routing(params: dict, decisions: list[dict]) -> dict:
    """Work out tags, group and assignee; names Goodwill cannot resolve to ids travel as tags."""
    tags = ["goodwill"]
    for decision in decisions:
        tags += [f"policy_{decision['policy']}", f"rule_{decision['rule']}"]
    tags += params.get("tags") or []
    routing = {"group_id": None, "assignee_id": None, "assignee_email": None}
    group, assignee = params.get("group"), params.get("assignee")
    if group and group.isdigit():
        routing["group_id"] = int(group)
    elif group:
        tags.append(f"group_{group}")
    if assignee and assignee.isdigit():
        routing["assignee_id"] = int(assignee)
    elif assignee and "@" in assignee:
        routing["assignee_email"] = assignee
    elif assignee:
        tags.append(f"assignee_{assignee}")
    return {"tags": list(dict.fromkeys(zendesk_tag(t) for t in tags)), **routing}


def _result(desk, ticket_id: int, operation: str) -> dict:
    return {"ticket_id": ticket_id, "operation": operation, "url": desk.ticket_url(ticket_id)}


@register
class ZendeskTicket(ActionType):
    name = "zendesk.ticket"
    Params = TicketParams
    template_fields = ("subject", "note")

    def label(self, params: dict) -> str:
        kind = f"{params['type']} " if params.get("type") else ""
        text = f"create a {params.get('priority') or 'normal'}-priority Zendesk {kind}ticket"
        if params.get("group"):
            text += f" in {params['group']}"
        if params.get("assignee"):
            text += f" assigned to {params['assignee']}"
        if params.get("tags"):
            text += f" tagged {', '.join(params['tags'])}"
        return text

    def execute(self, ctx: ActionContext, params: dict) -> dict:
        desk, event = _desk(ctx), ctx.event
        marker = event_marker(event["id"])
        tickets = desk.find_conversation_tickets(conversation_external_id(event))
        latest = tickets[-1] if tickets else None
        comments = desk.ticket_comments(latest["id"]) if latest else []
        if any(has_marker(c["body"], marker) for c in comments):
            # An earlier attempt reached Zendesk but its result was never recorded: finish it.
            return self._resume(ctx, params, desk, latest, comments, marker, len(tickets) > 1)
        if latest is None or latest["status"] == "closed":
            # A closed ticket can't take comments; Zendesk links a follow-up to it instead.
            return self._create(ctx, params, desk, marker, follow_up_of=latest and latest["id"])
        reopen = latest["status"] == "solved"
        # Whoever wrote in the thread (a second person too) is the comment's author.
        desk.add_comment(latest["id"], post_comment(event, marker), public=True,
                         author_id=desk.ensure_requester(event), reopen=reopen)
        return _result(desk, latest["id"], "reopened" if reopen else "commented")

    def _create(self, ctx, params, desk, marker, follow_up_of):
        event = ctx.event
        subject = render(params["subject"], ctx.fact).strip() if params.get("subject") else ""
        ticket = desk.create_ticket(
            external_id=conversation_external_id(event), requester_id=desk.ensure_requester(event),
            subject=subject or default_subject(event), body=post_comment(event, marker),
            idempotency_key=ctx.idempotency_key, priority=params.get("priority") or "normal",
            ticket_type=params.get("type"), follow_up_of=follow_up_of,
            **ticket_routing(params, _decisions(ctx)))
        self._add_context(ctx, params, desk, ticket["id"], marker)
        return _result(desk, ticket["id"], "follow_up" if follow_up_of else "created")

    def _add_context(self, ctx, params, desk, ticket_id, marker):
        # The context is an internal note, so the customer never receives rules and history.
        note = render(params["note"], ctx.fact) if params.get("note") else None
        desk.add_comment(ticket_id, context_note(ctx.event, ctx.fact, ctx.customer, _decisions(ctx),
                                                 marker, note), public=False)

    def _resume(self, ctx, params, desk, ticket, comments, marker, has_earlier_ticket):
        if not has_marker(comments[0]["body"], marker):
            return _result(desk, ticket["id"], "commented")
        if not any(has_marker(c["body"], marker) and not c["public"] for c in comments):
            self._add_context(ctx, params, desk, ticket["id"], marker)
        return _result(desk, ticket["id"], "follow_up" if has_earlier_ticket else "created")


@register
class ZendeskNote(ActionType):
    name = "zendesk.note"
    Params = NoteParams
    template_fields = ("note",)

    def label(self, params: dict) -> str:
        return "add the brand's reply to the conversation's Zendesk ticket as an internal note"

    def execute(self, ctx: ActionContext, params: dict) -> dict:
        desk, event = _desk(ctx), ctx.event
        tickets = desk.find_conversation_tickets(conversation_external_id(event))
        if not tickets:
            return {"skipped": "no ticket"}
        ticket, marker = tickets[-1], event_marker(event["id"])
        if any(has_marker(c["body"], marker) for c in desk.ticket_comments(ticket["id"])):
            return _result(desk, ticket["id"], "noted")
        if ticket["status"] == "closed":
            return {"skipped": "ticket closed", "ticket_id": ticket["id"]}
        note = render(params["note"], ctx.fact) if params.get("note") else None
        desk.add_comment(ticket["id"], brand_reply_note(event, marker, note), public=False)
        return _result(desk, ticket["id"], "noted")
