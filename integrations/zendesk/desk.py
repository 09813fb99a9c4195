"""The shipped Zendesk-compatible stand-in ("the desk"): a small Flask app answering like Zendesk's Support API.

Point Goodwill (or zenpy) at its base URL, e.g. http://127.0.0.1:8001. `/api/v2` needs HTTP Basic
auth (any `email/token:TOKEN`); the routes, status codes and JSON follow Zendesk's published
OpenAPI description, plus what Zendesk documents outside it (Idempotency-Key, rate-limit headers).

Not Zendesk, for Goodwill's own tests (no auth):
  POST   /_desk/faults    {"status": 500|429|503, "count": N, "retry_after": S, "path_prefix": "/api/v2/tickets"}
                          the next N requests under path_prefix (default /api/v2) fail with status;
                          429 always carries Retry-After (1 unless retry_after says otherwise);
                          optional: "method": "POST" (only those), "probability": 0.05 (each
                          matching request fails with that chance, until N failed), "after": true
                          (carry the request out, then fail: a 502 once the ticket exists),
                          "delay": S (hold the answer S seconds: past the client's timeout)
  GET    /_desk/faults    the faults still pending;  DELETE /_desk/faults drops them
  GET    /_desk/requests  the /api/v2 requests received: method, path, query, idempotency_key, status,
                          at (Unix time of arrival), fault (the injected one, e.g. "502 after"), retry_after
  DELETE /_desk/requests  forgets them
  POST   /_desk/jobs      {"hold": true} keeps bulk jobs queued (their job_status says so) until
                          {"hold": false}; otherwise a queued job runs before the next request is answered
For people: GET / lists the tickets (newest first) with their comments; GET /tickets.json the same as JSON.
"""
import threading
import time

from flask import Flask, g, jsonify, render_template, request
from werkzeug.serving import make_server

from .desk_api import register_api
from .desk_base import DeskError
from .desk_bulk import register_bulk_api
from .desk_metrics import register_metrics_api
from .desk_ops import (DEFAULT_GROUPS, DEFAULT_RATE_LIMIT, DEFAULT_TICKET_FIELDS, DeskState, fault_error,
                       fault_label, rate_limited)


def _login(authorization):
    """Return the account login of HTTP Basic credentials (`email/token` gives `email`), or None."""
    if authorization is None or authorization.type != "basic" or not authorization.username:
        return None
    return authorization.username.removesuffix("/token")


def _person(user):
    if user is None:
        return "unknown user"
    return f"{user['name']} <{user['email']}>" if user["email"] else user["name"]


def _ticket_pages(desk):
    """Return every ticket, newest first, with its requester and comments spelled out for people."""
    people = desk.users.users
    return [{**desk.tickets.public(ticket), "requester": _person(people.get(ticket["requester_id"])),
             "comments": [{**comment, "author": _person(people.get(comment["author_id"]))}
                          for comment in desk.tickets.comments[ticket["id"]]]}
            for ticket in reversed(desk.tickets.listing())]


def create_desk_app(rate_limit=DEFAULT_RATE_LIMIT, groups=DEFAULT_GROUPS, ticket_fields=DEFAULT_TICKET_FIELDS,
                    bulk_user_imports=True):
    """Return a desk app with fresh records, an allowance of rate_limit requests a minute, groups and ticket fields.

    `bulk_user_imports=False` answers users/create_or_update_many with 403, as Zendesk does until
    the account owner has bulk user imports enabled. `app.extensions["desk"]` is the desk's state.
    """
    app = Flask(__name__, static_folder=None)
    app.json.sort_keys = False
    desk = DeskState(rate_limit=rate_limit, groups=groups, ticket_fields=ticket_fields,
                     bulk_user_imports=bulk_user_imports)
    app.extensions["desk"] = desk
    register_api(app, desk)
    register_bulk_api(app, desk)
    register_metrics_api(app, desk)

    @app.before_request
    def guard():
        if request.path.startswith("/_desk"):
            return
        g.arrived = time.time()
        with desk.lock:
            g.fault = desk.faults.take(request.path, request.method)
        if g.fault is not None and not g.fault["after"]:
            # Held outside the lock, so one slow answer does not stall the other requests.
            time.sleep(g.fault["delay"])
            raise fault_error(g.fault)
        with desk.lock:
            desk.jobs.run_due()
            if not request.path.startswith("/api/v2"):
                return
            login = _login(request.authorization)
            if login is None:
                raise DeskError(401, {"error": "Couldn't authenticate you"},
                                {"WWW-Authenticate": 'Basic realm="Web Password"'})
            if not desk.rate.admit():
                raise rate_limited(desk.rate)
            g.actor = desk.users.agent(login)

    @app.after_request
    def stamp(response):
        fault = g.get("fault")
        if fault is not None and fault["after"]:
            # The request was carried out; its answer is lost on the way back.
            time.sleep(fault["delay"])
            error = fault_error(fault)
            response = app.make_response((jsonify(error.body), error.status, error.headers))
        with desk.lock:
            for name, value in desk.rate.headers().items():
                response.headers[name] = value
            if request.path.startswith("/api/v2"):
                desk.requests.append({"method": request.method, "path": request.path,
                                      "query": request.query_string.decode(),
                                      "idempotency_key": request.headers.get("Idempotency-Key"),
                                      "status": response.status_code, "at": g.get("arrived"),
                                      "fault": fault and fault_label(fault),
                                      "retry_after": response.headers.get("Retry-After")})
        return response

    @app.errorhandler(DeskError)
    def desk_error(error):
        return jsonify(error.body), error.status, error.headers

    @app.errorhandler(404)
    @app.errorhandler(405)
    def invalid_endpoint(_error):
        # Zendesk answers an unknown route, or a known one with the wrong method, the same way.
        return jsonify({"error": "InvalidEndpoint", "description": "Not found"}), 404

    @app.get("/")
    def ticket_page():
        with desk.lock:
            return render_template("desk.html", tickets=_ticket_pages(desk))

    @app.get("/tickets.json")
    def ticket_pages_json():
        with desk.lock:
            return jsonify({"tickets": _ticket_pages(desk)})

    @app.post("/_desk/faults")
    def add_fault():
        with desk.lock:
            return jsonify({"fault": desk.faults.add(request.get_json(silent=True))}), 201

    @app.get("/_desk/faults")
    def list_faults():
        with desk.lock:
            return jsonify({"faults": list(desk.faults.pending)})

    @app.delete("/_desk/faults")
    def clear_faults():
        with desk.lock:
            desk.faults.clear()
        return "", 204

    @app.get("/_desk/requests")
    def list_requests():
        with desk.lock:
            return jsonify({"requests": list(desk.requests)})

    @app.delete("/_desk/requests")
    def forget_requests():
        with desk.lock:
            desk.requests.clear()
        return "", 204

    return app


def serve_desk_in_thread(host="127.0.0.1", port=0, app=None):
    """Serve a desk (fresh unless app is given) on a daemon thread; return (base_url, server)."""
    # server.shutdown() stops it; server.app is the Flask app.
    server = make_server(host, port, app or create_desk_app(), threaded=True)
    # A short poll interval lets shutdown() return at once instead of after half a second.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="goodwill-desk", daemon=True)
    thread.start()
    return f"http://{host}:{server.server_port}", server


def run_desk(host="127.0.0.1", port=8001):
    """Serve a fresh desk until interrupted (the `goodwill desk` command)."""
    server = make_server(host, port, create_desk_app(), threaded=True)
    print(f"Zendesk stand-in listening on http://{host}:{server.server_port} "
          f"(any email/token credentials; tickets at /)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
