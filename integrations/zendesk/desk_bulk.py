"""The stand-in's bulk routes: many tickets or users in one request, done by a job to poll.

`tickets/create_many`, `tickets/update_many` and `users/create_or_update_many` take at most 100
records and answer a job_status (`queued`); each record succeeds or fails on its own, and the
completed job says which, in the order of the request. `users/show_many` and the job status
routes answer at once.
"""
from flask import g, jsonify, request

from .desk_api import locked_route, member, url, user_json
from .desk_base import DeskError, as_int, bad_request, not_found, page_of
from .desk_jobs import created, failed, updated

MAX_BULK = 100


def _bounded(records, noun):
    if not records:
        raise bad_request(f"Expected at least one of the {noun}")
    if len(records) > MAX_BULK:
        raise bad_request(f"Too many values specified: {len(records)} {noun}, at most {MAX_BULK}",
                          error="TooManyValues")
    return records


def _id_list(text, noun):
    return _bounded([part for part in (text or "").split(",") if part], noun)


def register_bulk_api(app, desk):
    """Add the bulk and job status routes to app, serving the records held by desk."""
    route = locked_route(app, desk)

    def job_json(job):
        return {"url": url(f"job_statuses/{job['id']}"), **job}

    def queued(job_type, tasks):
        return jsonify({"job_status": job_json(desk.jobs.queue(job_type, tasks))})

    def create_ticket(index, spec, actor_id):
        def task():
            try:
                ticket, _ = desk.tickets.create(spec, desk.users.get(actor_id))
            except DeskError as error:
                return failed(index, "create", error)
            return created(index, ticket["id"])
        return task

    def update_ticket(ticket_id, attrs, actor_id):
        def task():
            try:
                desk.tickets.update(ticket_id, attrs, desk.users.get(actor_id))
            except DeskError as error:
                return failed(as_int(ticket_id) or 0, "update", error)
            return updated(as_int(ticket_id))
        return task

    def upsert_user(index, attrs):
        def task():
            try:
                user, was_created = desk.users.create_or_update(attrs)
            except DeskError as error:
                return failed(index, "create_or_update", error)
            found = {key: user[key] for key in ("external_id", "email") if user[key] is not None}
            return created(index, user["id"], status="Created" if was_created else "Updated", **found)
        return task

    @route("/api/v2/tickets/create_many", ("POST",))
    def create_many_tickets():
        specs = _bounded(member("tickets", list), "tickets")
        return queued("bulk_create_tickets",
                      [create_ticket(index, spec, g.actor["id"]) for index, spec in enumerate(specs)])

    @route("/api/v2/tickets/update_many", ("PUT",))
    def update_many_tickets():
        if "ids" in request.args:
            # Bulk update: the same change to every ticket named in `ids`.
            change = member("ticket")
            updates = [(ticket_id, change) for ticket_id in _id_list(request.args["ids"], "tickets")]
        else:
            # Batch update: each ticket object names its ticket with `id` and carries its own change.
            specs = _bounded(member("tickets", list), "tickets")
            if not all(isinstance(spec, dict) and as_int(spec.get("id")) for spec in specs):
                raise bad_request("Each ticket of a batch update needs its `id`")
            updates = [(spec["id"], {k: v for k, v in spec.items() if k != "id"}) for spec in specs]
        return queued("bulk_update_tickets",
                      [update_ticket(ticket_id, attrs, g.actor["id"]) for ticket_id, attrs in updates])

    @route("/api/v2/users/create_or_update_many", ("POST",))
    def create_or_update_many_users():
        if not desk.bulk_user_imports:
            raise DeskError(403, {"error": "Forbidden", "description": "Bulk user imports are not enabled "
                                  "for this account: its owner can ask Zendesk Customer Support to enable them"})
        users = _bounded(member("users", list), "users")
        return queued("bulk_create_or_update_users", [upsert_user(index, attrs) for index, attrs in enumerate(users)])

    @route("/api/v2/users/show_many")
    def show_many_users():
        if "external_ids" in request.args:
            found = [user for user in (desk.users.match({"external_id": external_id})
                                       for external_id in _id_list(request.args["external_ids"], "external ids"))
                     if user is not None]
        else:
            wanted = {as_int(i) for i in _id_list(request.args.get("ids"), "ids")}
            found = [u for u in desk.users.users.values() if u["id"] in wanted]
        return jsonify({"users": [user_json(user) for user in found]})

    @route("/api/v2/job_statuses")
    def list_job_statuses():
        return jsonify(page_of([job_json(job) for job in desk.jobs.listing()], request.args,
                               request.base_url, "job_statuses"))

    @route("/api/v2/job_statuses/show_many")
    def show_many_job_statuses():
        jobs = [desk.jobs.get(job_id) for job_id in _id_list(request.args.get("ids"), "ids")]
        return jsonify({"job_statuses": [job_json(job) for job in jobs if job is not None]})

    @route("/api/v2/job_statuses/<job_status_id>")
    def show_job_status(job_status_id):
        job = desk.jobs.get(job_status_id)
        if job is None:
            raise not_found()
        return jsonify({"job_status": job_json(job)})

    @app.post("/_desk/jobs")
    def hold_jobs():
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("hold"), bool):
            raise bad_request('Expected {"hold": true} or {"hold": false}')
        with desk.lock:
            desk.jobs.held = body["hold"]
            if not desk.jobs.held:
                desk.jobs.run_due()
        return jsonify({"hold": body["hold"]})
