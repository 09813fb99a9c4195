"""The stand-in's routes and answers match Zendesk's own OpenAPI description of the Support API."""
import base64
import copy
import json
import re
from pathlib import Path

import pytest
import requests
import yaml

from integrations.zendesk.desk import create_desk_app, serve_desk_in_thread

OAS_PATH = Path(__file__).resolve().parents[2] / "shared/zendesk/ticketing-oas.yaml"
AUTH = ("agent@example.com/token", "test-token")
METHODS = ("get", "post", "put", "patch", "delete")


def _oas_template(werkzeug_rule):
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", werkzeug_rule)


def _shape(template):
    return re.sub(r"\{[^}]+\}", "{}", template)


def desk_routes(app):
    """Return (method, OAS-style path) for every /api/v2 route of the desk, `.json` twins left out."""
    return sorted({(method.lower(), _oas_template(rule.rule)) for rule in app.url_map.iter_rules()
                   if rule.rule.startswith("/api/v2") and not rule.rule.endswith(".json")
                   for method in rule.methods if method.lower() in METHODS})


DESK_ROUTES = desk_routes(create_desk_app())


@pytest.fixture(scope="session")
def oas():
    if not OAS_PATH.exists():
        pytest.skip(f"Zendesk's OpenAPI description is not at {OAS_PATH} (it sits in ../shared beside the repo)")
    loader = type("OasLoader", (getattr(yaml, "CSafeLoader", yaml.SafeLoader),), {})
    # The file uses YAML 1.1's "value" tag (`- change: =`), which the safe loaders refuse.
    loader.add_constructor("tag:yaml.org,2002:value", lambda load, node: load.construct_scalar(node))
    return yaml.load(OAS_PATH.read_text(encoding="utf-8"), Loader=loader)


def _allow_null_in_nullable_enums(node):
    """Add null to every `nullable: true` enum, as the description's authors intend."""
    # Zendesk sends `"priority": null` and the description marks priority nullable, but the
    # validator follows OpenAPI 3.0.3's stricter rule that null must also be listed in the enum.
    if isinstance(node, dict):
        if node.get("nullable") is True and isinstance(node.get("enum"), list) and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
        for child in node.values():
            _allow_null_in_nullable_enums(child)
    elif isinstance(node, list):
        for child in node:
            _allow_null_in_nullable_enums(child)


def _ticket_metrics_as_zendesk_answers(description):
    """Describe one ticket's metrics as Zendesk answers them: one object, null until reached."""
    # The description lists `ticket_metric` as an array, but Zendesk answers a single object, as
    # its earlier API reference shows and every client reads it (zenpy's TicketMetric among
    # them); and a time not reached yet (no reply, never solved) is null, not a number.
    schemas = description["components"]["schemas"]
    schemas["TicketMetricsByTicketMetricIdResponse"]["properties"]["ticket_metric"] = {
        "$ref": "#/components/schemas/TicketMetricObject"}
    for name in ("business", "calendar"):
        schemas["TicketMetricTimeObject"]["properties"][name]["nullable"] = True
    for prop in schemas["TicketMetricObject"]["properties"].values():
        if prop.get("format") == "date-time":
            prop["nullable"] = True


def _batch_updates_name_their_tickets(description):
    """Let each ticket of a batch update carry its `id`, as the description's own example does."""
    # The batch items are TicketObject (where `id` is read-only) plus a schema requiring `id`;
    # a validator that enforces readOnly in requests would refuse every batch update.
    schemas = description["components"]["schemas"]
    writable = copy.deepcopy(schemas["TicketObject"])
    writable["properties"]["id"] = {k: v for k, v in writable["properties"]["id"].items() if k != "readOnly"}
    schemas["BatchUpdateTicketObject"] = writable
    batch = schemas["TicketsUpdateRequest"]["oneOf"][1]["properties"]["tickets"]["items"]["allOf"]
    batch[0] = {"$ref": "#/components/schemas/BatchUpdateTicketObject"}


@pytest.fixture(scope="session")
def openapi(oas):
    core = pytest.importorskip("openapi_core", reason="openapi-core checks answers against the description")
    from openapi_core.validation.request.validators import V30RequestBodyValidator
    # Zendesk's file fails openapi-spec-validator on parts the desk never uses, so the whole-file check
    # is off; requests are checked on their bodies only, because openapi-core cannot read the
    # description's `page` parameter (a deepObject that is also an integer).
    config = core.Config(spec_validator_cls=None, request_validator_cls=V30RequestBodyValidator)
    description = copy.deepcopy(oas)
    _allow_null_in_nullable_enums(description)
    _ticket_metrics_as_zendesk_answers(description)
    _batch_updates_name_their_tickets(description)
    return core.OpenAPI.from_dict(description, config=config)


class ContractClient:
    """Calls the desk over HTTP and checks each request body and answer against the description."""

    def __init__(self, url, app, openapi):
        self.url, self.openapi = url, openapi
        self.routes = app.url_map.bind("desk.invalid")
        self.http = requests.Session()
        self.http.auth = AUTH
        self.checked = set()

    def call(self, method, path, **kwargs):
        from openapi_core.testing import MockRequest, MockResponse
        response = self.http.request(method, self.url + path, **kwargs)
        bare = path.split("?")[0].removesuffix(".json")
        rule, view_args = self.routes.match(bare, method=method, return_rule=True)
        template = _oas_template(rule.rule)
        host = "https://example.zendesk.com"  # the description's server; the desk's own URL is not in it
        body = json.dumps(kwargs["json"]).encode() if "json" in kwargs else None
        auth = "Basic " + base64.b64encode(":".join(AUTH).encode()).decode()
        request = MockRequest(host, method, bare, path_pattern=template, args=kwargs.get("params"),
                              view_args=view_args, headers={"Authorization": auth}, data=body)
        self.openapi.validate_request(request)
        answer = MockResponse(response.content, status_code=response.status_code,
                              headers=dict(response.headers), content_type=response.headers["Content-Type"])
        self.openapi.validate_response(request, answer)
        self.checked.add((method.lower(), template))
        return response

    def ticket(self, **fields):
        fields.setdefault("comment", {"body": "The kettle leaks."})
        return self.call("POST", "/api/v2/tickets.json", json={"ticket": fields}).json()["ticket"]

    def user(self, **fields):
        return self.call("POST", "/api/v2/users.json", json={"user": fields}).json()["user"]


@pytest.fixture
def client(openapi):
    url, server = serve_desk_in_thread()
    yield ContractClient(url, server.app, openapi)
    server.shutdown()


def _follow_up_and_problem(c):
    closed = c.ticket(subject="Old", type="problem")
    c.call("PUT", f"/api/v2/tickets/{closed['id']}.json", json={"ticket": {"status": "closed"}})
    c.ticket(via_followup_source_id=closed["id"], requester={"name": "Kim", "email": "kim@example.com"})
    c.ticket(type="incident", problem_id=closed["id"], tags=["outage"], priority="urgent")


def _answered_solved_and_open(c):
    """Ticket 1: answered by an agent, then solved; ticket 2: still waiting."""
    agent = c.user(name="Ann", email="ann@example.com", role="agent")
    first = c.ticket(requester={"name": "Mary", "email": "mary@example.com"}, comment={"body": "Late again"})
    c.call("PUT", f"/api/v2/tickets/{first['id']}.json", json={"ticket": {
        "assignee_id": agent["id"], "comment": {"body": "Sorry, on it", "author_id": agent["id"]}}})
    c.call("PUT", f"/api/v2/tickets/{first['id']}.json", json={"ticket": {"status": "solved"}})
    c.ticket()


def _job(c, method, path, **kwargs):
    """Send a bulk request with the desk's jobs held, see its job queued, then done; return the results."""
    requests.post(f"{c.url}/_desk/jobs", json={"hold": True}).raise_for_status()
    job = c.call(method, path, **kwargs).json()["job_status"]
    queued = c.call("GET", f"/api/v2/job_statuses/{job['id']}.json").json()["job_status"]
    assert (job["status"], queued["status"], queued["results"]) == ("queued", "queued", None)
    requests.post(f"{c.url}/_desk/jobs", json={"hold": False}).raise_for_status()
    done = c.call("GET", f"/api/v2/job_statuses/{job['id']}").json()["job_status"]
    assert (done["status"], done["progress"]) == ("completed", done["total"])
    return done["results"]


def _tickets_in_bulk(c):
    """Three tickets asked for in one request: two made, one refused for its unknown group."""
    results = _job(c, "POST", "/api/v2/tickets/create_many.json", json={"tickets": [
        {"subject": "a", "external_id": "goodwill:twitter:1", "comment": {"body": "x"}},
        {"group_id": 424242, "comment": {"body": "y"}},
        {"subject": "c", "priority": "urgent", "tags": ["goodwill"], "comment": {"body": "z", "public": True}}]})
    assert [r.get("success", True) for r in results] == [True, False, True]


def _users_in_bulk(c):
    """Users upserted in one request: one made, one updated, one refused for a blank name."""
    c.user(name="Kim", external_id="goodwill:twitter:2")
    results = _job(c, "POST", "/api/v2/users/create_or_update_many.json", json={"users": [
        {"name": "Mary", "external_id": "goodwill:twitter:1", "identities": [{"type": "twitter", "value": "mary"}],
         "user_fields": {"goodwill_points": 5}, "skip_verify_email": True},
        {"name": "Kim Fan", "external_id": "goodwill:twitter:2"}, {"name": "", "external_id": "goodwill:x:3"}]})
    assert [r.get("status") for r in results] == ["Created", "Updated", None]


SCENARIOS = {
    ("post", "/api/v2/tickets"): lambda c: (
        c.call("POST", "/api/v2/tickets.json", headers={"Idempotency-Key": "one"}, json={"ticket": {
            "subject": "Late", "tags": ["goodwill"], "external_id": "goodwill:twitter:1",
            "requester": {"name": "Mary", "email": "mary@example.com"},
            "custom_fields": [{"id": 7, "value": "twitter"}], "comment": {"body": "Where?", "public": False}}}),
        c.call("POST", "/api/v2/tickets.json", headers={"Idempotency-Key": "one"}, json={"ticket": {
            "subject": "Late", "tags": ["goodwill"], "external_id": "goodwill:twitter:1",
            "requester": {"name": "Mary", "email": "mary@example.com"},
            "custom_fields": [{"id": 7, "value": "twitter"}], "comment": {"body": "Where?", "public": False}}}),
        _follow_up_and_problem(c)),
    ("get", "/api/v2/tickets"): lambda c: (
        c.ticket(external_id="x:1"), c.ticket(),
        c.call("GET", "/api/v2/tickets.json", params={"external_id": "x:1"}),
        c.call("GET", "/api/v2/tickets.json", params={"page[size]": "1"}),
        c.call("GET", "/api/v2/tickets.json", params={"per_page": "1", "page": "2"})),
    ("get", "/api/v2/tickets/{ticket_id}"): lambda c: (
        _follow_up_and_problem(c), [c.call("GET", f"/api/v2/tickets/{n}.json") for n in (1, 2, 3)]),
    ("put", "/api/v2/tickets/{ticket_id}"): lambda c: (
        c.user(name="Mary", email="mary@example.com"),
        c.call("PUT", f"/api/v2/tickets/{c.ticket(status='solved')['id']}.json", json={"ticket": {
            "comment": {"body": "Still leaking", "author_id": 10002}, "additional_tags": ["reopened"]}}),
        c.call("PUT", "/api/v2/tickets/1", json={"ticket": {
            "comment": {"html_body": "<p>Sorry</p>", "public": False}, "status": "pending",
            "assignee_id": 10001, "group_id": 20002, "priority": "high"}})),
    ("get", "/api/v2/tickets/{ticket_id}/comments"): lambda c: (
        c.call("PUT", f"/api/v2/tickets/{c.ticket()['id']}", json={"ticket": {"comment": {"body": "more"}}}),
        c.call("GET", "/api/v2/tickets/1/comments.json"),
        c.call("GET", "/api/v2/tickets/1/comments.json", params={"page[size]": "1"})),
    ("get", "/api/v2/tickets/{ticket_id}/incidents"): lambda c: (
        _follow_up_and_problem(c), c.call("GET", "/api/v2/tickets/1/incidents.json")),
    ("post", "/api/v2/tickets/create_many"): _tickets_in_bulk,
    ("get", "/api/v2/job_statuses/{job_status_id}"): _tickets_in_bulk,
    ("put", "/api/v2/tickets/update_many"): lambda c: (
        _tickets_in_bulk(c),
        _job(c, "PUT", "/api/v2/tickets/update_many.json", json={"tickets": [
            {"id": 1, "comment": {"body": "Context for the agent", "public": False}, "priority": "high"},
            {"id": 424242, "comment": {"body": "No such ticket"}}]}),
        _job(c, "PUT", "/api/v2/tickets/update_many.json?ids=1,3", json={"ticket": {"additional_tags": ["bulk"]}})),
    ("post", "/api/v2/users/create_or_update_many"): _users_in_bulk,
    ("get", "/api/v2/users/show_many"): lambda c: (
        _users_in_bulk(c),
        c.call("GET", "/api/v2/users/show_many.json", params={"external_ids": "goodwill:twitter:1,nobody"}),
        c.call("GET", "/api/v2/users/show_many.json", params={"ids": "10002,10003"})),
    ("get", "/api/v2/job_statuses"): lambda c: (
        _tickets_in_bulk(c), _users_in_bulk(c), c.call("GET", "/api/v2/job_statuses.json")),
    ("get", "/api/v2/job_statuses/show_many"): lambda c: c.call(
        "GET", "/api/v2/job_statuses/show_many.json", params={"ids": ",".join(
            c.call("POST", "/api/v2/tickets/create_many", json={"tickets": [{"comment": {"body": n}}]})
            .json()["job_status"]["id"] for n in ("x", "y"))}),
    ("post", "/api/v2/users"): lambda c: c.call("POST", "/api/v2/users.json", json={"user": {
        "name": "Mary", "email": "mary@example.com", "external_id": "crm-1", "phone": "+441234",
        "identities": [{"type": "twitter", "value": "mary_tweets"}], "user_fields": {"points": 1}}}),
    ("post", "/api/v2/users/create_or_update"): lambda c: [
        c.call("POST", "/api/v2/users/create_or_update.json", json={"user": {
            "name": name, "external_id": "twitter:123", "tags": ["social"]}}) for name in ("Mary", "Mary S")],
    ("get", "/api/v2/users/{user_id}"): lambda c: (
        c.user(name="No email"), c.user(name="Kim", email="kim@example.com", role="agent"),
        [c.call("GET", f"/api/v2/users/{n}.json") for n in (10001, 10002, 10003)]),
    ("get", "/api/v2/users/me"): lambda c: c.call("GET", "/api/v2/users/me.json"),
    ("get", "/api/v2/users/search"): lambda c: (
        c.user(name="Mary", external_id="crm-1", identities=[{"type": "facebook", "value": "fb-7"}]),
        c.call("GET", "/api/v2/users/search.json", params={"external_id": "crm-1"}),
        c.call("GET", "/api/v2/users/search.json", params={"query": "fb-7"})),
    ("get", "/api/v2/users/{user_id}/identities"): lambda c: c.call(
        "GET", f"/api/v2/users/{c.user(name='Kim', email='kim@example.com')['id']}/identities.json"),
    ("post", "/api/v2/users/{user_id}/identities"): lambda c: c.call(
        "POST", f"/api/v2/users/{c.user(name='Kim')['id']}/identities.json",
        json={"identity": {"type": "twitter", "value": "kim_tweets"}}),
    ("get", "/api/v2/groups"): lambda c: c.call("GET", "/api/v2/groups.json"),
    ("get", "/api/v2/groups/{group_id}"): lambda c: c.call("GET", "/api/v2/groups/20001.json"),
    ("post", "/api/v2/groups"): lambda c: c.call("POST", "/api/v2/groups.json",
                                                 json={"group": {"name": "Escalations", "description": "Hot"}}),
    ("get", "/api/v2/ticket_fields"): lambda c: c.call("GET", "/api/v2/ticket_fields.json"),
    ("get", "/api/v2/tickets/{ticket_id}/metrics"): lambda c: (
        _answered_solved_and_open(c), [c.call("GET", f"/api/v2/tickets/{n}/metrics.json") for n in (1, 2)]),
    ("get", "/api/v2/ticket_metrics"): lambda c: (
        _answered_solved_and_open(c), c.call("GET", "/api/v2/ticket_metrics.json"),
        c.call("GET", "/api/v2/ticket_metrics.json", params={"page[size]": "1"})),
    ("get", "/api/v2/ticket_metrics/{ticket_metric_id}"): lambda c: (
        _answered_solved_and_open(c), c.call("GET", "/api/v2/ticket_metrics/70001.json")),
    ("get", "/api/v2/search"): lambda c: (
        c.ticket(external_id="goodwill:twitter:5"), c.user(name="Mary", email="mary@example.com"),
        c.call("GET", "/api/v2/search.json", params={"query": "type:ticket external_id:goodwill:twitter:5"}),
        c.call("GET", "/api/v2/search.json", params={"query": "type:user email:mary@example.com"}),
        c.call("GET", "/api/v2/search.json", params={"query": "mary", "sort_by": "created_at"})),
}


def test_the_oas_loads_with_its_paths(oas):
    assert oas["openapi"].startswith("3.") and len(oas["paths"]) > 400


@pytest.mark.parametrize("method, path", DESK_ROUTES)
def test_every_desk_route_is_a_zendesk_route(oas, method, path):
    by_shape = {_shape(template): operations for template, operations in oas["paths"].items()}
    assert _shape(path) in by_shape, f"{path} is not in Zendesk's description"
    assert method in by_shape[_shape(path)], f"Zendesk has no {method.upper()} {path}"


def test_every_desk_route_has_a_contract_scenario():
    assert sorted(SCENARIOS) == DESK_ROUTES


@pytest.mark.parametrize("route", sorted(SCENARIOS), ids=" ".join)
def test_answers_match_the_description(client, route):
    SCENARIOS[route](client)
    assert route in client.checked


def test_zenpy_the_real_client_works_against_the_desk(monkeypatch):
    zenpy = pytest.importorskip("zenpy")
    from zenpy.lib.api_objects import Comment, Ticket, User
    url, server = serve_desk_in_thread()
    # zenpy builds https://<subdomain>.zendesk.com URLs; these two variables are its own way to redirect them.
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", url.removeprefix("http://"))
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    try:
        client = zenpy.Zenpy(subdomain="acme", email="agent@example.com", token="test-token")
        user = client.users.create_or_update(User(name="Mary", external_id="twitter:123"))
        created = client.tickets.create(Ticket(subject="Late", requester_id=user.id, external_id="goodwill:twitter:9",
                                               comment=Comment(body="Where is it?", public=True)))
        assert created.ticket.requester_id == user.id and created.audit.ticket_id == created.ticket.id
        assert [t.id for t in client.tickets(external_id="goodwill:twitter:9")] == [created.ticket.id]
        ticket = created.ticket
        ticket.comment = Comment(body="Internal context", public=False)
        ticket.status = "pending"
        assert client.tickets.update(ticket).ticket.status == "pending"
        assert [c.body for c in client.tickets.comments(ticket=ticket.id)] == ["Where is it?", "Internal context"]
        assert [r.id for r in client.search(type="ticket", external_id="goodwill:twitter:9")] == [ticket.id]
    finally:
        server.shutdown()
