"""Tickets an agent can work: routing by name, fields, suggested replies, problems, balances, rate limits."""
from datetime import timedelta
from types import SimpleNamespace

import pytest
import requests
from marshmallow import ValidationError

from conftest import desk_comments, desk_tickets, start_goodwill
from engine.actions.base import ActionContext
from engine.actions.registry import action_types
from engine.actions.zendesk_ticket import ZendeskTicket
from engine.db import Action, DeskPause, InboxEvent, utcnow
from engine.outbox import claim_action
from integrations.zendesk.client import DeskClient, pacing_delay
from integrations.zendesk.desk import create_desk_app, serve_desk_in_thread

AUTH = ("agent@example.com/token", "test-token")
DECISION = {"policy": "complaints", "policy_version": "3f2a9c1", "rule": "public-complaint",
            "why": "sentiment -0.62 below -0.3"}
CUSTOMER = {"id": "c1", "name": "Mary", "email": "mary@example.com",
            "balance": {"points": 120, "vouchers": []}, "history": {"complaints_30d": 1}}


def tweet(event_id="2001", author_id="mary1", handle="mary_tweets", text="My parcel never arrived, refund please"):
    return {"id": event_id, "platform": "twitter", "kind": "mention", "brand": "BeanThere",
            "occurred_at": "2026-11-30T10:00:00Z", "text": text, "thread": event_id, "rating": None,
            "url": f"https://twitter.com/{handle}/status/{event_id}", "in_reply_to": None,
            "author": {"id": author_id, "handle": handle, "name": "Mary", "email": None}}


def context(client, event, customer=CUSTOMER):
    fact = {**event, "author": {**event["author"], "followers": 88}, "sentiment": -0.7, "history": {}}
    return ActionContext(
        action_id=f"a-{event['id']}", idempotency_key=f"{event['id']}:zendesk.ticket", attempt=1,
        policy=DECISION["policy"], policy_version=DECISION["policy_version"], rule=DECISION["rule"],
        why=DECISION["why"], event=event, fact=fact, decisions=[DECISION], customer=customer,
        settings=SimpleNamespace(), sessionmaker=None, services={"desk": client})


def create(client, event, **params):
    return ZendeskTicket().execute(context(client, event), ZendeskTicket.Params().load(params))


def api(desk_url, method, path, **kwargs):
    response = requests.request(method, f"{desk_url}/api/v2/{path}", auth=AUTH, **kwargs)
    response.raise_for_status()
    return response.json()


def desk_requests(desk_url):
    return requests.get(f"{desk_url}/_desk/requests").json()["requests"]


@pytest.fixture
def desk_url():
    url, server = serve_desk_in_thread(app=create_desk_app(groups=("Support", "Billing team")))
    yield url
    server.shutdown()


@pytest.fixture
def client(desk_url):
    return DeskClient(desk_url, "agent@example.com", "test-token")


def test_group_and_assignee_given_by_name_become_ids_looked_up_once(client, desk_url):
    kim = api(desk_url, "POST", "users.json", json={"user": {"name": "Kim Agent", "role": "agent"}})["user"]
    billing = [g for g in api(desk_url, "GET", "groups.json")["groups"] if g["name"] == "Billing team"][0]
    requests.delete(f"{desk_url}/_desk/requests")
    create(client, tweet("2001"), group="billing TEAM", assignee="Kim Agent")
    create(client, tweet("2002", author_id="jo2", handle="jo"), group="Billing team", assignee="kim agent")
    tickets = desk_tickets(desk_url)
    assert [(t["group_id"], t["assignee_id"]) for t in tickets] == [(billing["id"], kim["id"])] * 2
    assert not any(tag.startswith(("group_", "assignee_")) for t in tickets for tag in t["tags"])
    lookups = [r["path"] for r in desk_requests(desk_url) if "groups" in r["path"] or "name" in r["query"]]
    assert lookups == ["/api/v2/groups.json", "/api/v2/users/search.json"]


def test_a_group_created_after_the_first_lookup_is_found_on_a_miss(client, desk_url):
    create(client, tweet("2001"), group="Support")
    escalations = api(desk_url, "POST", "groups.json", json={"group": {"name": "Escalations"}})["group"]
    create(client, tweet("2002", author_id="jo2", handle="jo"), group="Escalations")
    assert desk_tickets(desk_url)[-1]["group_id"] == escalations["id"]


def test_an_unknown_group_still_reaches_an_agent_tagged_and_explained(client, desk_url):
    create(client, tweet(), group="Night shift", assignee="Nobody Here")
    [ticket] = desk_tickets(desk_url)
    assert ticket["group_id"] is None and ticket["assignee_id"] is None
    assert {"group_night_shift", "assignee_nobody_here"} <= set(ticket["tags"])
    note = desk_comments(desk_url, ticket["id"])[-1]
    assert "Zendesk has no group named 'Night shift'" in note["body"]
    assert "Zendesk has no agent named 'Nobody Here'" in note["body"]


def test_custom_fields_by_name_or_id_are_filled_from_the_event(client, desk_url):
    fields = {f["title"]: f["id"] for f in api(desk_url, "GET", "ticket_fields.json")["ticket_fields"]}
    create(client, tweet(), fields={"social platform": "{platform}", fields["Sentiment"]: "{sentiment:.2f}",
                                    "Order number": "{extra.order}"})
    [ticket] = desk_tickets(desk_url)
    assert {f["id"]: f["value"] for f in ticket["custom_fields"]} == {
        fields["Social platform"]: "twitter", fields["Sentiment"]: "-0.70"}
    assert "Zendesk has no ticket field named 'Order number'" in desk_comments(desk_url, ticket["id"])[-1]["body"]


def test_policy_params_are_checked_before_anything_runs():
    schema = ZendeskTicket.Params()
    with pytest.raises(ValidationError, match="not a field of the event"):
        schema.load({"fields": {"Sentiment": "{mood}"}})
    with pytest.raises(ValidationError):
        schema.load({"reply": "Hi {author.name"})
    loaded = schema.load({"fields": {123: "{platform}"}, "reply": "Sorry {author.name}", "problem": "outage"})
    assert loaded["custom_fields"] == {"123": "{platform}"}


def test_the_suggested_reply_is_in_the_internal_note_only(client, desk_url):
    create(client, tweet(), reply="Sorry {author.name}, we are on it: DM us your order number.")
    post, note = desk_comments(desk_url, desk_tickets(desk_url)[0]["id"])
    assert note["public"] is False
    assert "Suggested reply:\nSorry Mary, we are on it: DM us your order number." in note["body"]
    assert "Suggested reply" not in post["body"]


def test_the_requester_carries_the_linked_email_and_loyalty_points(client, desk_url):
    create(client, tweet())
    [ticket] = desk_tickets(desk_url)
    user = api(desk_url, "GET", f"users/{ticket['requester_id']}.json")["user"]
    assert user["email"] == "mary@example.com" and user["user_fields"] == {"goodwill_points": 120}
    identities = api(desk_url, "GET", f"users/{user['id']}/identities.json")["identities"]
    assert {(i["type"], i["value"]) for i in identities} == {("twitter", "mary_tweets"),
                                                             ("email", "mary@example.com")}


def test_complaints_about_one_incident_are_linked_under_one_problem_ticket(client, desk_url):
    for n in range(3):
        create(client, tweet(f"300{n}", author_id=f"a{n}", handle=f"h{n}"), problem="{brand} app outage")
    problems = [t for t in desk_tickets(desk_url) if t["type"] == "problem"]
    assert [p["subject"] for p in problems] == ["Problem: BeanThere app outage"]
    incidents = api(desk_url, "GET", f"tickets/{problems[0]['id']}/incidents.json")["tickets"]
    assert sorted(t["external_id"] for t in incidents) == [f"goodwill:twitter:300{n}" for n in range(3)]
    assert all(t["type"] == "incident" for t in incidents)
    api(desk_url, "PUT", f"tickets/{problems[0]['id']}.json", json={"ticket": {"status": "solved"}})
    create(client, tweet("3009", author_id="a9", handle="h9"), problem="{brand} app outage")
    wave = [t for t in desk_tickets(desk_url) if t["type"] == "problem" and t["status"] != "solved"]
    assert len(wave) == 1 and desk_tickets(desk_url)[-1]["problem_id"] == wave[0]["id"]


def test_low_remaining_allowance_slows_the_sender():
    assert pacing_delay({"X-Rate-Limit": "700", "X-Rate-Limit-Remaining": "500"}) == 0
    slow = pacing_delay({"X-Rate-Limit": "700", "X-Rate-Limit-Remaining": "9", "ratelimit-reset": "10"})
    slower = pacing_delay({"X-Rate-Limit": "700", "X-Rate-Limit-Remaining": "1", "ratelimit-reset": "10"})
    assert 0 < slow < slower <= 5
    assert pacing_delay({}) == 0


POLICY = """
policy: care
rules:
  - name: every-mention
    when: {kind: [mention]}
    then:
      - loyalty.credit: {points: 10}
      - zendesk.balance: {}
      - zendesk.ticket:
          priority: high
          group: Support
          reply: "Sorry {author.name}!"
          fields: {Social platform: "{platform}"}
          problem: "{brand} deliveries"
"""


@pytest.fixture
def goodwill_with_policy(tmp_path, desk_url):
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "care.yaml").write_text(POLICY)
    app, server = start_goodwill(tmp_path, desk_url, policies=folder)
    yield app
    server.shutdown()
    app.runtime.stop()


def test_a_rate_limit_pauses_only_desk_actions_and_then_they_resume(goodwill_with_policy, desk_url):
    requests.post(f"{desk_url}/_desk/faults", json={"status": 429, "count": 1, "retry_after": 2})
    answer = goodwill_with_policy.send(tweet("4001"))
    body = goodwill_with_policy.settled(answer["id"])
    assert {a["type"]: a["status"] for a in body["actions"]} == {
        "loyalty.credit": "done", "zendesk.balance": "done", "zendesk.ticket": "done"}
    with goodwill_with_policy.runtime.sessionmaker() as session:
        pause = session.get(DeskPause, "zendesk")
    assert "429" in pause.reason
    assert [r["status"] for r in desk_requests(desk_url)].count(429) == 1
    problem, ticket = desk_tickets(desk_url)
    assert ticket["problem_id"] == problem["id"] and ticket["custom_fields"][0]["value"] == "twitter"
    assert "Sorry Mary!" in desk_comments(desk_url, ticket["id"])[-1]["body"]
    user = api(desk_url, "GET", f"users/{ticket['requester_id']}.json")["user"]
    assert user["user_fields"] == {"goodwill_points": 10}


def test_server_errors_are_retried_and_validation_errors_dead_lettered_with_zendesks_words(
        goodwill_with_policy, desk_url):
    requests.post(f"{desk_url}/_desk/faults", json={"status": 503, "count": 2, "path_prefix": "/api/v2/tickets"})
    body = goodwill_with_policy.settled(goodwill_with_policy.send(tweet("4002"))["id"])
    ticket_action = [a for a in body["actions"] if a["type"] == "zendesk.ticket"][0]
    assert ticket_action["status"] == "done" and ticket_action["attempts"] == 3
    requests.post(f"{desk_url}/_desk/faults", json={"status": 422, "count": 1, "path_prefix": "/api/v2/tickets"})
    body = goodwill_with_policy.settled(goodwill_with_policy.send(tweet("4003", author_id="b", handle="b"))["id"])
    ticket_action = [a for a in body["actions"] if a["type"] == "zendesk.ticket"][0]
    assert ticket_action["status"] == "dead" and ticket_action["attempts"] == 1
    assert "422" in ticket_action["error"] and "Unprocessable" in ticket_action["error"]


def test_while_the_desk_is_paused_other_actions_are_still_claimed(tmp_path, desk_url):
    app, server = start_goodwill(tmp_path, desk_url, workers=0)
    try:
        make_session = app.runtime.sessionmaker
        with make_session.begin() as session:
            row = InboxEvent(source="events", external_id="e1", payload=tweet("5001"), thread="5001",
                             platform="twitter", kind="mention", author_id="mary1", occurred_at=utcnow())
            session.add(row)
            session.flush()
            for kind in ("zendesk.ticket", "loyalty.credit"):
                session.add(Action(event_id=row.id, type=kind, params={}, policy="p", policy_version="v",
                                   rule="r", idempotency_key=f"k-{kind}"))
            session.add(DeskPause(desk="zendesk", paused_until=utcnow() + timedelta(minutes=1), reason="429"))
        lease = timedelta(minutes=1)
        with make_session() as session:
            first = session.get(Action, claim_action(make_session, lease))
        assert first.type == "loyalty.credit"
        assert claim_action(make_session, lease) is None
        with make_session.begin() as session:
            session.get(DeskPause, "zendesk").paused_until = utcnow() - timedelta(seconds=1)
        with make_session() as session:
            assert session.get(Action, claim_action(make_session, lease)).type == "zendesk.ticket"
    finally:
        server.shutdown()
        app.runtime.stop()


def test_every_new_param_is_known_to_the_policy_language():
    ticket = action_types()["zendesk.ticket"]
    assert {"reply", "problem"} <= set(ticket.template_fields)
    assert "zendesk.balance" in action_types()
