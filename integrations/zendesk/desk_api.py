"""The Zendesk Support API routes of the stand-in; each answers with and without a `.json` suffix."""
import copy
import functools

from flask import g, jsonify, request

from . import desk_search
from .desk_base import bad_request, page_of


def member(key, kind=dict):
    """Return the request body's member `key`, or Zendesk's 400 when it is missing or not a `kind`."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get(key), kind):
        raise bad_request(f"Expected a JSON object with a `{key}` member")
    return payload[key]


def locked_route(app, desk):
    """Return a decorator that adds a route, and its `.json` twin, whose view runs under the desk's lock."""
    def route(rule, methods=("GET",)):
        def decorate(view):
            @functools.wraps(view)
            def locked(**kwargs):
                with desk.lock:
                    return view(**kwargs)
            app.add_url_rule(rule, view.__name__, locked, methods=list(methods))
            app.add_url_rule(rule + ".json", view.__name__ + "_json", locked, methods=list(methods))
            return locked
        return decorate
    return route


def url(path):
    """Return the API address of a record, as Zendesk writes it in `url`."""
    return f"{request.host_url}api/v2/{path}.json"


def user_json(user):
    """Return a user's JSON as Zendesk shows it."""
    shown = {"url": url(f"users/{user['id']}"), **copy.deepcopy(user)}
    if shown["email"] is None:
        # Zendesk sends null here, but its published schema says string: leave it out.
        del shown["email"]
    return shown


def register_api(app, desk):
    """Add the /api/v2 routes to app, serving the records held by desk."""
    route = locked_route(app, desk)

    def ticket_json(ticket):
        return {"url": url(f"tickets/{ticket['id']}"), **desk.tickets.public(ticket)}

    def identity_json(identity):
        return {"url": url(f"users/{identity['user_id']}/identities/{identity['id']}"), **identity}

    def group_json(group):
        return {"url": url(f"groups/{group['id']}"), **group}

    def paged(items, key):
        return jsonify(page_of(items, request.args, request.base_url, key))

    @route("/api/v2/tickets", ("POST",))
    def create_ticket():
        key = request.headers.get("Idempotency-Key")
        fingerprint = desk.idempotency.fingerprint(request.get_json(silent=True)) if key else None
        answer = desk.idempotency.replay(key, fingerprint) if key else None
        if answer is None:
            ticket, audit = desk.tickets.create(member("ticket"), g.actor)
            answer = {"body": {"ticket": ticket_json(ticket), "audit": copy.deepcopy(audit)},
                      "location": url(f"tickets/{ticket['id']}")}
            if key:
                desk.idempotency.remember(key, fingerprint, answer)
            lookup = "miss"
        else:
            lookup = "hit"
        headers = {"Location": answer["location"]}
        if key:
            headers["x-idempotency-lookup"] = lookup
        return jsonify(answer["body"]), 201, headers

    @route("/api/v2/tickets")
    def list_tickets():
        tickets = desk.tickets.listing()
        if "external_id" in request.args:
            tickets = [t for t in tickets if t["external_id"] == request.args["external_id"]]
        return paged([ticket_json(t) for t in tickets], "tickets")

    @route("/api/v2/tickets/<int:ticket_id>")
    def show_ticket(ticket_id):
        return jsonify({"ticket": ticket_json(desk.tickets.get(ticket_id))})

    @route("/api/v2/tickets/<int:ticket_id>", ("PUT",))
    def update_ticket(ticket_id):
        ticket, audit = desk.tickets.update(ticket_id, member("ticket"), g.actor)
        return jsonify({"ticket": ticket_json(ticket), "audit": copy.deepcopy(audit)})

    @route("/api/v2/tickets/<int:ticket_id>/comments")
    def list_comments(ticket_id):
        comments = copy.deepcopy(desk.tickets.comments[desk.tickets.get(ticket_id)["id"]])
        if request.args.get("sort_order") == "desc":
            comments.reverse()
        return paged(comments, "comments")

    @route("/api/v2/tickets/<int:ticket_id>/incidents")
    def list_incidents(ticket_id):
        problem = desk.tickets.get(ticket_id)
        return paged([ticket_json(t) for t in desk.tickets.listing() if t["problem_id"] == problem["id"]],
                     "tickets")

    @route("/api/v2/users", ("POST",))
    def create_user():
        return jsonify({"user": user_json(desk.users.create(member("user")))}), 201

    @route("/api/v2/users/create_or_update", ("POST",))
    def create_or_update_user():
        user, created = desk.users.create_or_update(member("user"))
        return jsonify({"user": user_json(user)}), 201 if created else 200

    @route("/api/v2/users/<int:user_id>")
    def show_user(user_id):
        return jsonify({"user": user_json(desk.users.get(user_id))})

    @route("/api/v2/users/me")
    def show_current_user():
        return jsonify({"user": user_json(g.actor)})

    @route("/api/v2/users/search")
    def search_users():
        if "external_id" in request.args:
            found = [u for u in desk.users.users.values() if u["external_id"] == request.args["external_id"]]
        elif request.args.get("query"):
            terms = desk_search.parse(request.args["query"])
            found = [u for u in desk.users.users.values()
                     if desk_search.user_matches(terms, u, desk.users.identities[u["id"]])]
        else:
            raise bad_request("Give `query` or `external_id`")
        return paged([user_json(u) for u in found], "users")

    @route("/api/v2/users/<int:user_id>/identities")
    def list_identities(user_id):
        user = desk.users.get(user_id)
        return paged([identity_json(i) for i in desk.users.identities[user["id"]]], "identities")

    @route("/api/v2/users/<int:user_id>/identities", ("POST",))
    def create_identity(user_id):
        identity = desk.users.add_identity(desk.users.get(user_id), member("identity"))
        return jsonify({"identity": identity_json(identity)}), 201

    @route("/api/v2/groups")
    def list_groups():
        return paged([group_json(group) for group in desk.groups.groups.values()], "groups")

    @route("/api/v2/groups/<int:group_id>")
    def show_group(group_id):
        return jsonify({"group": group_json(desk.groups.get(group_id))})

    @route("/api/v2/groups", ("POST",))
    def create_group():
        return jsonify({"group": group_json(desk.groups.create(member("group")))}), 201

    @route("/api/v2/ticket_fields")
    def list_ticket_fields():
        return jsonify({"ticket_fields": [{"url": url(f"ticket_fields/{field['id']}"), **field}
                                          for field in desk.ticket_fields], "count": len(desk.ticket_fields)})

    @route("/api/v2/search")
    def search():
        query = request.args.get("query", "")
        if not query.strip():
            raise bad_request("Give a search `query`")
        terms = desk_search.parse(query)
        types = desk_search.wanted_types(terms)
        results = []
        if "ticket" in types:
            results += [{**ticket_json(t), "result_type": "ticket"} for t in desk.tickets.listing()
                        if desk_search.ticket_matches(terms, t, desk.tickets.comments[t["id"]],
                                                      desk.users.users, desk.groups.groups)]
        if "user" in types:
            results += [{**user_json(u), "result_type": "user"} for u in desk.users.users.values()
                        if desk_search.user_matches(terms, u, desk.users.identities[u["id"]])]
        ordered = desk_search.sort_results(results, request.args.get("sort_by"), request.args.get("sort_order"))
        return jsonify({**page_of(ordered, request.args, request.base_url, "results"), "facets": None})
