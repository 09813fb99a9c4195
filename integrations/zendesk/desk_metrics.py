"""Ticket metrics of the Zendesk stand-in, worked out from each ticket's audits and comments.

Zendesk keeps one metric record per ticket: the first reply is the first public comment by an
agent after the ticket's own first comment (the requester's post is not a reply), a solve sets
solved_at and the resolution times, and wait times add up the time spent in each status. The
stand-in has no business-hours schedule, so business minutes equal calendar minutes, as in a
Zendesk account without one. Minutes are whole minutes elapsed; a value not reached yet is null.
"""
import functools
import itertools
from datetime import datetime, timezone

from flask import jsonify, request

from .desk_base import as_int, epoch_of, not_found, page_of

FIRST_METRIC_ID = 70001
RESOLVED = ("solved", "closed")
# Zendesk's requester wait time counts New, Open and On-hold; agent wait time counts Pending.
REQUESTER_WAITS = ("new", "open", "hold")


def _iso(epoch):
    return None if epoch is None else datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _minutes(start, end):
    """Return Zendesk's calendar and business minutes between two Unix times (null when not reached)."""
    value = None if end is None else (end - start) // 60
    return {"calendar": value, "business": value}


def _changes(audits, field):
    """Return (Unix time, new value) for each change of a ticket field, creation included, oldest first."""
    return [(epoch_of(audit["created_at"]), event["value"]) for audit in audits for event in audit["events"]
            if event.get("field_name") == field]


def _time_in(statuses, wanted):
    """Add up the seconds between status changes spent in the wanted statuses (closed spans only)."""
    return sum(end - start for (start, status), (end, _) in itertools.pairwise(statuses) if status in wanted)


def _wait(seconds):
    return {"calendar": seconds // 60, "business": seconds // 60}


def ticket_metric(ticket, comments, audits, users, metric_id):
    """Return the metric record Zendesk shows for one ticket (without its url)."""
    created = epoch_of(ticket["created_at"])
    statuses = _changes(audits, "status")
    solves = [at for (at, status), previous in zip(statuses, [None] + [s for _, s in statuses])
              if status in RESOLVED and previous not in RESOLVED]
    reopens = sum(previous == "solved" and status not in RESOLVED
                  for (_, previous), (_, status) in itertools.pairwise(statuses))
    replies = [epoch_of(c["created_at"]) for c in comments[1:]
               if c["public"] and users.get(c["author_id"], {}).get("role", "end-user") != "end-user"]
    assignees = [(at, value) for at, value in _changes(audits, "assignee_id") if value is not None]
    groups = {value for _, value in _changes(audits, "group_id") if value is not None}
    by_requester = [epoch_of(a["created_at"]) for a in audits if a["author_id"] == ticket["requester_id"]]
    by_requester += [epoch_of(c["created_at"]) for c in comments if c["author_id"] == ticket["requester_id"]]
    by_assignee = [epoch_of(c["created_at"]) for c in comments
                   if ticket["assignee_id"] is not None and c["author_id"] == ticket["assignee_id"]]
    resolved_now = ticket["status"] in RESOLVED
    status_updated = statuses[-1][0] if statuses else created
    return {
        "id": metric_id, "ticket_id": ticket["id"],
        "created_at": ticket["created_at"], "updated_at": ticket["updated_at"],
        "group_stations": len(groups), "assignee_stations": len({value for _, value in assignees}),
        "reopens": reopens, "replies": len(replies),
        "assignee_updated_at": _iso(max(by_assignee, default=None)),
        "requester_updated_at": _iso(max(by_requester, default=created)),
        "status_updated_at": _iso(status_updated), "custom_status_updated_at": _iso(status_updated),
        "initially_assigned_at": _iso(assignees[0][0] if assignees else None),
        "assigned_at": _iso(assignees[-1][0] if assignees else None),
        "solved_at": _iso(solves[-1] if solves else None),
        "latest_comment_added_at": comments[-1]["created_at"] if comments else ticket["created_at"],
        "reply_time_in_minutes": _minutes(created, replies[0] if replies else None),
        "first_resolution_time_in_minutes": _minutes(created, solves[0] if solves else None),
        "full_resolution_time_in_minutes": _minutes(created, solves[-1] if solves and resolved_now else None),
        "agent_wait_time_in_minutes": _wait(_time_in(statuses, ("pending",))),
        "requester_wait_time_in_minutes": _wait(_time_in(statuses, REQUESTER_WAITS)),
        "on_hold_time_in_minutes": _wait(_time_in(statuses, ("hold",))),
    }


def register_metrics_api(app, desk):
    """Add Zendesk's ticket metrics routes to the desk app."""
    # One metric record per ticket, numbered in ticket order as Zendesk creates them with the ticket.
    metric_ids = {}
    numbers = itertools.count(FIRST_METRIC_ID)

    def number_tickets():
        for ticket in desk.tickets.listing():
            if ticket["id"] not in metric_ids:
                metric_ids[ticket["id"]] = next(numbers)

    def metric_json(ticket):
        metric_id = metric_ids[ticket["id"]]
        record = ticket_metric(ticket, desk.tickets.comments[ticket["id"]], desk.tickets.audits[ticket["id"]],
                               desk.users.users, metric_id)
        return {"url": f"{request.host_url}api/v2/ticket_metrics/{metric_id}.json", **record}

    def route(rule):
        def decorate(view):
            @functools.wraps(view)
            def locked(**kwargs):
                with desk.lock:
                    number_tickets()
                    return view(**kwargs)
            app.add_url_rule(rule, view.__name__, locked)
            app.add_url_rule(rule + ".json", view.__name__ + "_json", locked)
            return locked
        return decorate

    @route("/api/v2/tickets/<int:ticket_id>/metrics")
    def show_ticket_metrics_by_ticket(ticket_id):
        return jsonify({"ticket_metric": metric_json(desk.tickets.get(ticket_id))})

    @route("/api/v2/ticket_metrics")
    def list_ticket_metrics():
        # Newest ticket first, as Zendesk orders this list.
        newest_first = list(reversed(desk.tickets.listing()))
        return jsonify(page_of([metric_json(t) for t in newest_first], request.args, request.base_url,
                               "ticket_metrics"))

    @route("/api/v2/ticket_metrics/<ticket_metric_id>")
    def show_ticket_metrics(ticket_metric_id):
        by_metric = {str(metric_id): ticket_id for ticket_id, metric_id in metric_ids.items()}
        # Zendesk also takes a ticket's id here: "a specific metric, or the metrics of a specific ticket".
        ticket_id = by_metric.get(ticket_metric_id, ticket_metric_id)
        if as_int(ticket_id) not in metric_ids:
            raise not_found()
        return jsonify({"ticket_metric": metric_json(desk.tickets.get(ticket_id))})
