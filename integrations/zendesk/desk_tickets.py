"""Tickets, comments and audits of the Zendesk stand-in, following Zendesk's rules."""
import copy

from .desk_base import (DeskError, add_field_error, as_int, bad_request, epoch_of, normalize_tags, not_found,
                        now_iso, record_invalid)
from .desk_text import comment_bodies

STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
TICKET_TYPES = ("problem", "incident", "question", "task")
_AUDITED = ("subject", "status", "priority", "type", "tags", "requester_id", "assignee_id", "group_id",
            "problem_id", "external_id")
# Zendesk reopens a pending or solved ticket when its requester (an end user) replies.
_REOPENED_BY_REQUESTER = ("pending", "solved")
_API_VIA = {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}}
_NEW_FIELDS = {"subject": None, "status": None, "priority": None, "type": None, "tags": [], "external_id": None,
               "requester_id": None, "assignee_id": None, "group_id": None, "problem_id": None,
               "custom_fields": []}


def _event_value(value):
    # Audit events carry tags as one space-separated string, as Zendesk's tag field reads.
    return " ".join(value) if isinstance(value, list) else value


class TicketBook:
    """Every ticket of the desk with its comments and audits."""

    def __init__(self, users, groups, next_id):
        self.users = users
        self.groups = groups
        self._next_id = next_id
        self.tickets = {}
        self.comments = {}
        self.audits = {}

    def get(self, ticket_id):
        """Return the ticket with this id or raise Zendesk's 404."""
        ticket = self.tickets.get(as_int(ticket_id))
        if ticket is None:
            raise not_found()
        return ticket

    def listing(self):
        """Return every ticket, oldest first."""
        return [self.tickets[ticket_id] for ticket_id in sorted(self.tickets)]

    def public(self, ticket):
        """Return a ticket's JSON as Zendesk shows it, derived fields included."""
        shown = copy.deepcopy(ticket)
        shown["fields"] = copy.deepcopy(ticket["custom_fields"])
        shown["has_incidents"] = any(t["problem_id"] == ticket["id"] for t in self.tickets.values())
        if shown["raw_subject"] is None:
            del shown["raw_subject"]
        return shown

    def prepare(self, attrs, actor):
        """Check a new ticket's attributes and return a plan for commit; raise 422 when invalid."""
        if not isinstance(attrs, dict):
            raise bad_request("Expected a `ticket` object")
        details = {}
        fields = copy.deepcopy(_NEW_FIELDS)
        self._apply_fields(fields, attrs, details)
        new_requester = None
        if fields["requester_id"] is None:
            fields["requester_id"], new_requester = self._requester(attrs, actor, details)
        submitter_id = attrs.get("submitter_id") or actor["id"]
        if not self.users.exists(submitter_id):
            add_field_error(details, "submitter_id", "Submitter: is invalid")
        if fields["status"] is None:
            fields["status"] = "open" if fields["assignee_id"] else "new"
        elif fields["status"] == "closed":
            add_field_error(details, "status", "Status: closed is not valid for a new ticket")
        comment = self._comment(attrs.get("comment"), submitter_id, details)
        if comment is None:
            add_field_error(details, "base", "Description: cannot be blank", "BlankValue")
        source = self._followup_source(attrs.get("via_followup_source_id"), details)
        if details:
            raise record_invalid(details)
        return {"fields": fields, "new_requester": new_requester, "submitter_id": as_int(submitter_id),
                "comment": comment, "source": source, "actor_id": actor["id"]}

    def commit(self, plan):
        """Store a prepared ticket with its first comment; return (ticket, audit)."""
        fields, now = plan["fields"], now_iso()
        if fields["requester_id"] is None:
            pending = plan["new_requester"]
            fields["requester_id"] = (self.users.match(pending) or self.users.insert(pending))["id"]
        ticket = {"id": self._next_id("ticket"), "external_id": fields["external_id"], "via": copy.deepcopy(_API_VIA),
                  "created_at": now, "updated_at": now, "generated_timestamp": epoch_of(now),
                  "type": fields["type"], "subject": fields["subject"], "raw_subject": fields["subject"],
                  "description": plan["comment"]["body"], "priority": fields["priority"], "status": fields["status"],
                  "requester_id": fields["requester_id"], "submitter_id": plan["submitter_id"],
                  "assignee_id": fields["assignee_id"], "organization_id": None, "group_id": fields["group_id"],
                  "collaborator_ids": [], "follower_ids": [], "email_cc_ids": [], "problem_id": fields["problem_id"],
                  "is_public": plan["comment"]["public"], "due_at": None, "tags": fields["tags"],
                  "custom_fields": fields["custom_fields"], "sharing_agreement_ids": [], "followup_ids": [],
                  "ticket_form_id": None, "brand_id": None, "allow_channelback": False, "allow_attachments": True,
                  "from_messaging_channel": False}
        source = plan["source"]
        if source is not None:
            # Zendesk records a follow-up's origin on both tickets.
            ticket["via"]["source"] = {"from": {"ticket_id": source["id"], "subject": source["subject"]},
                                       "to": {}, "rel": "follow_up"}
            source["followup_ids"].append(ticket["id"])
        self.tickets[ticket["id"]] = ticket
        self.comments[ticket["id"]] = []
        self.audits[ticket["id"]] = []
        audit = self._record(ticket, {}, plan["comment"], plan["actor_id"], now)
        return ticket, audit

    def create(self, attrs, actor):
        """Create one ticket (POST /tickets); return (ticket, audit)."""
        return self.commit(self.prepare(attrs, actor))

    def update(self, ticket_id, attrs, actor):
        """Update a ticket (PUT /tickets/{id}); return (ticket, audit)."""
        ticket = self.get(ticket_id)
        if not isinstance(attrs, dict):
            raise bad_request("Expected a `ticket` object")
        if ticket["status"] == "closed":
            raise record_invalid({"status": [{"description": "Status: closed prevents ticket update",
                                              "error": "InvalidValue"}]})
        details = {}
        after = copy.deepcopy(ticket)
        self._apply_fields(after, attrs, details)
        comment = self._comment(attrs.get("comment"), actor["id"], details) if "comment" in attrs else None
        if details:
            raise record_invalid(details)
        if "status" not in attrs:
            author = self.users.users.get(comment["author_id"]) if comment else None
            if author and author["role"] == "end-user" and after["status"] in _REOPENED_BY_REQUESTER:
                after["status"] = "open"
            elif after["status"] == "new" and after["assignee_id"]:
                after["status"] = "open"
        before = copy.deepcopy(ticket)
        now = now_iso()
        ticket.update(after, updated_at=now, generated_timestamp=epoch_of(now))
        if comment and comment["public"]:
            ticket["is_public"] = True
        return ticket, self._record(ticket, before, comment, actor["id"], now)

    def _apply_fields(self, target, attrs, details):
        if "subject" in attrs:
            if attrs["subject"] is None or isinstance(attrs["subject"], str):
                target["subject"] = attrs["subject"]
                target["raw_subject"] = attrs["subject"]
            else:
                add_field_error(details, "subject", "Subject: must be text")
        for field, allowed in (("status", STATUSES), ("priority", PRIORITIES), ("type", TICKET_TYPES)):
            if field in attrs:
                value = attrs[field]
                if value in allowed or (value is None and field != "status"):
                    target[field] = value
                else:
                    add_field_error(details, field, f"{field.capitalize()}: {value} is not valid")
        if "tags" in attrs:
            target["tags"] = normalize_tags(attrs["tags"])
        if "additional_tags" in attrs:
            target["tags"] = normalize_tags(target["tags"] + normalize_tags(attrs["additional_tags"]))
        if "remove_tags" in attrs:
            removed = set(normalize_tags(attrs["remove_tags"]))
            target["tags"] = [tag for tag in target["tags"] if tag not in removed]
        if "external_id" in attrs:
            target["external_id"] = None if attrs["external_id"] is None else str(attrs["external_id"])
        self._apply_references(target, attrs, details)
        for entry in attrs.get("custom_fields") or attrs.get("fields") or []:
            if not isinstance(entry, dict) or as_int(entry.get("id")) is None:
                add_field_error(details, "custom_fields", "Custom fields: each needs a numeric id")
                continue
            kept = [f for f in target["custom_fields"] if f["id"] != as_int(entry["id"])]
            target["custom_fields"] = kept + [{"id": as_int(entry["id"]), "value": entry.get("value")}]

    def _apply_references(self, target, attrs, details):
        if attrs.get("requester_id") is not None:
            if self.users.exists(attrs["requester_id"]):
                target["requester_id"] = as_int(attrs["requester_id"])
            else:
                add_field_error(details, "requester", "Requester: is invalid")
        if "assignee_id" in attrs:
            assignee = self.users.users.get(as_int(attrs["assignee_id"]))
            if attrs["assignee_id"] is not None and (assignee is None or assignee["role"] == "end-user"):
                add_field_error(details, "assignee", "Assignee: is not an agent")
            else:
                target["assignee_id"] = as_int(attrs["assignee_id"])
        if "group_id" in attrs:
            if attrs["group_id"] is not None and as_int(attrs["group_id"]) not in self.groups.groups:
                add_field_error(details, "group", "Group: is invalid")
            else:
                target["group_id"] = as_int(attrs["group_id"])
        if "problem_id" in attrs:
            problem = self.tickets.get(as_int(attrs["problem_id"]))
            if attrs["problem_id"] is not None and (problem is None or problem["type"] != "problem"):
                add_field_error(details, "problem_id", "Problem: must be a ticket of type problem")
            else:
                target["problem_id"] = as_int(attrs["problem_id"])

    def _requester(self, attrs, actor, details):
        spec = attrs.get("requester")
        if spec is None:
            return actor["id"], None
        if not isinstance(spec, dict):
            add_field_error(details, "requester", "Requester: must be an object with name and email")
            return None, None
        found = self.users.match(spec)
        if found is not None:
            return found["id"], None
        # Zendesk names a new requester after their email address when no name is given.
        wanted = {"name": spec.get("name") or spec.get("email"), **{k: v for k, v in spec.items() if k != "name"}}
        try:
            return None, self.users.validated(wanted)
        except DeskError as error:
            for problems in error.body.get("details", {}).values():
                details.setdefault("requester", []).extend(problems)
            return None, None

    def _comment(self, spec, default_author, details):
        if spec is None:
            return None
        if not isinstance(spec, dict):
            add_field_error(details, "comment", "Comment: must be an object")
            return None
        plain, markup = comment_bodies(spec)
        author_id = spec.get("author_id") or default_author
        if not self.users.exists(author_id):
            add_field_error(details, "author_id", "Author: is invalid")
        public = spec.get("public", True)
        if not isinstance(public, bool):
            add_field_error(details, "public", "Public: must be true or false")
        if not plain:
            return None
        return {"body": plain, "html_body": markup, "public": public, "author_id": as_int(author_id)}

    def _followup_source(self, source_id, details):
        if source_id is None:
            return None
        source = self.tickets.get(as_int(source_id))
        if source is None or source["status"] != "closed":
            add_field_error(details, "via_followup_source_id", "Via followup source: must be a closed ticket")
            return None
        return source

    def _record(self, ticket, before, comment, actor_id, now):
        audit = {"id": self._next_id("audit"), "ticket_id": ticket["id"], "created_at": now, "author_id": actor_id,
                 "via": copy.deepcopy(_API_VIA), "metadata": {"system": {}, "custom": {}}, "events": []}
        if comment is not None:
            stored = {"id": self._next_id("event"), "type": "Comment", "author_id": comment["author_id"],
                      "body": comment["body"], "html_body": comment["html_body"], "plain_body": comment["body"],
                      "public": comment["public"], "attachments": [], "audit_id": audit["id"],
                      "via": copy.deepcopy(_API_VIA), "created_at": now, "metadata": {"system": {}, "custom": {}}}
            self.comments[ticket["id"]].append(stored)
            audit["events"].append({k: stored[k] for k in ("id", "type", "author_id", "body", "html_body",
                                                           "plain_body", "public", "attachments", "audit_id")})
        for field in _AUDITED:
            old, new = before.get(field), ticket[field]
            if old == new or (not before and new in (None, [])):
                continue
            event = {"id": self._next_id("event"), "type": "Change" if before else "Create",
                     "field_name": field, "value": _event_value(new)}
            if before:
                event["previous_value"] = _event_value(old)
            audit["events"].append(event)
        self.audits[ticket["id"]].append(audit)
        return audit
