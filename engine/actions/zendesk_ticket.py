"""`zendesk.ticket` and `zendesk.note`: one Zendesk ticket per social conversation."""
from marshmallow import Schema, ValidationError, fields, validate

from engine.actions.base import ActionContext, ActionType, PermanentActionError
from engine.actions.registry import register
from engine.actions.templates import fields_in, render
from engine.policy.factpaths import template_path_ok
from integrations.zendesk.ticket_body import (brand_reply_note, context_note, default_subject,
                                              event_marker, has_marker, post_comment, zendesk_tag)

PRIORITIES = ["low", "normal", "high", "urgent"]
TICKET_TYPES = ["question", "incident", "problem", "task"]
# The Zendesk user field that shows agents the customer's loyalty points.
BALANCE_FIELD = "goodwill_points"


def check_template(template: str) -> None:
    """Refuse a template with broken braces or an empty {} field."""
    try:
        names = fields_in(template)
    except ValueError as exc:
        raise ValidationError(f"not a valid template: {exc}") from exc
    if "" in names:
        raise ValidationError("name a field inside each {}, such as {author.name}")


def check_field_templates(templates: dict) -> None:
    """Refuse custom field templates that are broken or show what the event does not have."""
    for name, template in templates.items():
        try:
            check_template(template)
        except ValidationError as exc:
            raise ValidationError(f"field {name}: {exc.messages[0]}") from exc
        unknown = [path for path in fields_in(template) if not template_path_ok(path)]
        if unknown:
            raise ValidationError(f"field {name} shows {{{unknown[0]}}}, which is not a field of the event")


class NameOrId(fields.String):
    """A Zendesk group or agent given by name, email or numeric id (YAML may give the id as a number)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        return super()._deserialize(value, attr, data, **kwargs)


class TicketParams(Schema):
    priority = fields.String(load_default="normal", validate=validate.OneOf(PRIORITIES), metadata={
        "description": "several rules asking for one ticket: the highest wins"})
    group = NameOrId(load_default=None, metadata={
        "description": "a group name or id; an unknown name becomes the tag group_<name>"})
    assignee = NameOrId(load_default=None, metadata={
        "description": "an agent's name, email or id; an unknown name becomes the tag assignee_<name>"})
    tags = fields.List(fields.String(), load_default=list, metadata={
        "description": "added to goodwill, policy_<policy> and rule_<rule>"})
    type = fields.String(load_default=None, validate=validate.OneOf(TICKET_TYPES),
                         metadata={"description": "the Zendesk ticket type"})
    subject = fields.String(load_default=None, validate=check_template, metadata={
        "description": "the subject; by default where the post came from and how it starts"})
    note = fields.String(load_default=None, validate=check_template,
                         metadata={"description": "opens the internal note"})
    reply = fields.String(load_default=None, validate=check_template, metadata={
        "description": "a suggested reply in the internal note, never sent to the customer"})
    # `fields` in the policy; the attribute has another name because Schema.fields is taken.
    custom_fields = fields.Dict(keys=NameOrId(), values=fields.String(), load_default=None,
                                data_key="fields", validate=check_field_templates, metadata={
                                    "description": "custom ticket fields by title or id, each "
                                                   "a template; an unknown title is left unset"})
    problem = fields.String(load_default=None, validate=check_template, metadata={
        "description": "an incident's key: the first event opens the problem ticket "
                       "`Problem: <key>`, later ones become its incidents"})


class NoteParams(Schema):
    note = fields.String(load_default=None, validate=check_template,
                         metadata={"description": "opens the internal note"})


def conversation_external_id(event: dict) -> str:
    """Name the conversation's ticket in Zendesk: goodwill:<platform>:<thread>."""
    # An event with no thread yet (a review) starts its own conversation.
    return f"goodwill:{event['platform']}:{event.get('thread') or event['id']}"


def desk_service(ctx: ActionContext):
    """Return the help desk client the runtime shares with actions."""
    try:
        return ctx.services["desk"]
    except KeyError:
        raise PermanentActionError("no help desk client: the worker was started without Zendesk "
                                   "settings (ZENDESK_URL)") from None


def _decisions(ctx: ActionContext) -> list[dict]:
    return ctx.decisions or [{"policy": ctx.policy, "policy_version": ctx.policy_version,
                              "rule": ctx.rule, "why": ctx.why}]


def ticket_routing(params: dict, decisions: list[dict], names) -> tuple[dict, list[str]]:
    """Work out tags, group and assignee, and say which names Zendesk did not know.

    A name Zendesk does not know travels as a tag (group_<name>, assignee_<name>) rather than
    failing the ticket: the customer still reaches an agent, and a view or trigger can route it.
    """
    tags = ["goodwill"]
    for decision in decisions:
        tags += [f"policy_{decision['policy']}", f"rule_{decision['rule']}"]
    tags += params.get("tags") or []
    routing = {"group_id": None, "assignee_id": None, "assignee_email": None}
    remarks = []
    group, assignee = params.get("group"), params.get("assignee")
    if group:
        routing["group_id"] = int(group) if group.isdigit() else names.group_id(group)
        if routing["group_id"] is None:
            tags.append(f"group_{group}")
            remarks.append(f"Zendesk has no group named {group!r}: tagged group_{zendesk_tag(group)} instead.")
    if assignee and "@" in assignee:
        routing["assignee_email"] = assignee
    elif assignee:
        routing["assignee_id"] = int(assignee) if assignee.isdigit() else names.agent_id(assignee)
        if routing["assignee_id"] is None:
            tags.append(f"assignee_{assignee}")
            remarks.append(f"Zendesk has no agent named {assignee!r}: "
                           f"tagged assignee_{zendesk_tag(assignee)} instead.")
    return {"tags": list(dict.fromkeys(zendesk_tag(t) for t in tags)), **routing}, remarks


def custom_field_values(params: dict, fact: dict, names) -> tuple[list[dict], list[str]]:
    """Fill the policy's custom fields from the event; say which field names Zendesk did not know."""
    values, remarks = [], []
    for name, template in (params.get("custom_fields") or {}).items():
        field_id = int(name) if name.isdigit() else names.field_id(name)
        if field_id is None:
            remarks.append(f"Zendesk has no ticket field named {name!r}: left unset.")
        else:
            values.append({"id": field_id, "value": render(template, fact)})
    return values, remarks


def problem_external_id(key: str) -> str:
    """Name the problem ticket that gathers the incidents with this key."""
    return f"goodwill:problem:{zendesk_tag(key)}"


def requester_user_fields(ctx: ActionContext) -> dict:
    """Return the user fields a new requester gets: the customer's loyalty points."""
    return {BALANCE_FIELD: (ctx.customer.get("balance") or {}).get("points") or 0}


def _requester(ctx: ActionContext, desk) -> int:
    """Return the Zendesk user of the event's author, with the linked customer's email and points."""
    return desk.ensure_requester(ctx.event, email=ctx.customer.get("email"), user_fields=requester_user_fields(ctx))


def problem_key(ctx: ActionContext, params: dict) -> str:
    """Return the incident key the policy gives this event ('' when the ticket is no incident)."""
    return render(params["problem"], ctx.fact).strip() if params.get("problem") else ""


def ensure_problem(desk, key: str) -> int:
    """Return the open problem ticket gathering the incidents with this key, creating it if none."""
    return desk.ensure_problem(
        problem_external_id(key), subject=f"Problem: {key}",
        body=f"Goodwill gathers the social posts about {key!r} as incidents of this problem "
             "ticket: solving it answers them all.")


def new_ticket_fields(ctx: ActionContext, params: dict, desk, problem_id: int | None) -> dict:
    """Return what the conversation's new ticket carries, but its requester: fields and the post."""
    event = ctx.event
    subject = render(params["subject"], ctx.fact).strip() if params.get("subject") else ""
    custom_fields = custom_field_values(params, ctx.fact, desk.names)[0]
    return {"external_id": conversation_external_id(event), "subject": subject or default_subject(event),
            "body": post_comment(event, event_marker(event["id"])), "priority": params.get("priority") or "normal",
            "ticket_type": "incident" if problem_id else params.get("type"), "custom_fields": custom_fields,
            "problem_id": problem_id, **ticket_routing(params, _decisions(ctx), desk.names)[0]}


def internal_note(ctx: ActionContext, params: dict, desk) -> str:
    """Write Goodwill's internal note on the new ticket, with what it could not do as the policy asked."""
    # The context is an internal note, so the customer never receives rules and history.
    remarks = (ticket_routing(params, _decisions(ctx), desk.names)[1]
               + custom_field_values(params, ctx.fact, desk.names)[1])
    note = render(params["note"], ctx.fact) if params.get("note") else None
    reply = render(params["reply"], ctx.fact) if params.get("reply") else None
    return context_note(ctx.event, ctx.fact, ctx.customer, _decisions(ctx), event_marker(ctx.event["id"]),
                        note, reply, remarks)


def _result(desk, ticket_id: int, operation: str) -> dict:
    return {"ticket_id": ticket_id, "operation": operation, "url": desk.ticket_url(ticket_id)}


@register
class ZendeskTicket(ActionType):
    """One ticket per conversation: a new ticket, or a comment on the open one (reopened if solved)."""

    name = "zendesk.ticket"
    Params = TicketParams
    template_fields = ("subject", "note", "reply", "problem")
    example = """\
zendesk.ticket:
  priority: high
  group: Social care
  tags: [complaint]
  note: "{author.name} has complained {history.complaints_30d} times in 30 days"
  fields: {Order number: "{signals.order_number}"}"""

    def label(self, params: dict) -> str:
        kind = f"{params['type']} " if params.get("type") else ""
        text = f"create a {params.get('priority') or 'normal'}-priority Zendesk {kind}ticket"
        if params.get("group"):
            text += f" in {params['group']}"
        if params.get("assignee"):
            text += f" assigned to {params['assignee']}"
        if params.get("tags"):
            text += f" tagged {', '.join(params['tags'])}"
        if params.get("problem"):
            text += f", as an incident of the problem {params['problem']!r}"
        return text

    def execute(self, ctx: ActionContext, params: dict) -> dict:
        desk, event = desk_service(ctx), ctx.event
        marker = event_marker(event["id"])
        tickets = desk.find_conversation_tickets(conversation_external_id(event))
        latest = tickets[-1] if tickets else None
        comments = desk.ticket_comments(latest["id"]) if latest else []
        if any(has_marker(c["body"], marker) for c in comments):
            # An earlier attempt reached Zendesk but its result was never recorded: finish it.
            return self._resume(ctx, params, desk, latest, comments, marker, len(tickets) > 1)
        if latest is None or latest["status"] == "closed":
            # A closed ticket can't take comments; Zendesk links a follow-up to it instead.
            return self._create(ctx, params, desk, follow_up_of=latest and latest["id"])
        reopen = latest["status"] == "solved"
        # Whoever wrote in the thread (a second person too) is the comment's author.
        desk.add_comment(latest["id"], post_comment(event, marker), public=True,
                         author_id=_requester(ctx, desk), reopen=reopen)
        return _result(desk, latest["id"], "reopened" if reopen else "commented")

    def _create(self, ctx, params, desk, follow_up_of):
        key = problem_key(ctx, params)
        fields = new_ticket_fields(ctx, params, desk, ensure_problem(desk, key) if key else None)
        ticket = desk.create_ticket(**fields, requester_id=_requester(ctx, desk),
                                    idempotency_key=ctx.idempotency_key, follow_up_of=follow_up_of)
        desk.add_comment(ticket["id"], internal_note(ctx, params, desk), public=False)
        return _result(desk, ticket["id"], "follow_up" if follow_up_of else "created")

    def _resume(self, ctx, params, desk, ticket, comments, marker, has_earlier_ticket):
        if not has_marker(comments[0]["body"], marker):
            return _result(desk, ticket["id"], "commented")
        if not any(has_marker(c["body"], marker) and not c["public"] for c in comments):
            desk.add_comment(ticket["id"], internal_note(ctx, params, desk), public=False)
        return _result(desk, ticket["id"], "follow_up" if has_earlier_ticket else "created")


@register
class ZendeskNote(ActionType):
    """Add the post to its conversation's ticket as an internal note, as brand replies are."""

    name = "zendesk.note"
    Params = NoteParams
    template_fields = ("note",)
    example = 'zendesk.note: {note: "Our reply to {author.handle}"}'

    def label(self, params: dict) -> str:
        return "add the brand's reply to the conversation's Zendesk ticket as an internal note"

    def execute(self, ctx: ActionContext, params: dict) -> dict:
        desk, event = desk_service(ctx), ctx.event
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
