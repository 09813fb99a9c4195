"""Goodwill's Zendesk actions through real zenpy, over HTTP, against the shipped stand-in."""
import socket
import sys
import threading
from types import SimpleNamespace

import pytest
import requests

from engine.actions.base import ActionContext, ActionFailed, PermanentActionError
from engine.actions.registry import ACTIONS
from engine.actions.templates import fields_in, render
from engine.actions.zendesk_ticket import ZendeskNote, ZendeskTicket
from integrations.zendesk.client import DeskClient, desk_client
from integrations.zendesk.desk import serve_desk_in_thread
from integrations.zendesk.ticket_body import context_note, default_subject

AUTH = ("agent@example.com/token", "test-token")
COMPLAINT = {"policy": "complaints", "policy_version": "3f2a9c1", "rule": "public-complaint",
             "why": "sentiment -0.62 below -0.3"}
THIRD = {"policy": "complaints", "policy_version": "3f2a9c1", "rule": "third-complaint-this-month",
         "why": "history.complaints_30d 3 at least 3"}
CUSTOMER = {"id": "c1", "name": "Mary", "email": None,
            "balance": {"points": 50, "vouchers": ["free-coffee"]},
            "history": {"complaints_30d": 3, "engagements_30d": 1}}


def tweet(event_id="1001", thread="1001", author_id="123itsmeMary", handle="123itsmeMary",
          name="Mary", text="@AmazonHelp I paid for next day shipping and it arrived broken"):
    return {"id": event_id, "platform": "twitter", "kind": "mention", "brand": "AmazonHelp",
            "occurred_at": "2026-11-30T10:00:00Z", "text": text, "thread": thread, "rating": None,
            "url": f"https://twitter.com/{handle}/status/{event_id}", "in_reply_to": None,
            "author": {"id": author_id, "handle": handle, "name": name, "email": None}}


def fact_of(event, followers=1204, sentiment=-0.62):
    return {**event, "author": {**event["author"], "followers": followers, "verified": False},
            "sentiment": sentiment, "history": {"complaints_30d": 3}}


def context(client, event, attempt=1, decisions=(COMPLAINT,), key=None):
    return ActionContext(
        action_id=f"a-{event['id']}", idempotency_key=key or f"{event['id']}:zendesk.ticket",
        attempt=attempt, policy=decisions[0]["policy"], policy_version=decisions[0]["policy_version"],
        rule=decisions[0]["rule"], why=decisions[0]["why"], event=event, fact=fact_of(event),
        decisions=list(decisions), customer=CUSTOMER,
        settings=SimpleNamespace(zendesk_url=client.base_url, zendesk_email=AUTH[0], zendesk_token=AUTH[1]),
        sessionmaker=None, services={"desk": client})


def ticket_params(**given):
    return ZendeskTicket.Params().load({"priority": "high", "group": "Social care",
                                        "tags": ["social", "complaint"], **given})


@pytest.fixture
def desk_url():
    url, server = serve_desk_in_thread()
    yield url
    server.shutdown()


@pytest.fixture
def client(desk_url):
    return DeskClient(desk_url, "agent@example.com", "test-token")


def get(desk_url, path):
    response = requests.get(f"{desk_url}/api/v2/{path}", auth=AUTH)
    response.raise_for_status()
    return response.json()


def put_status(desk_url, ticket_id, status):
    requests.put(f"{desk_url}/api/v2/tickets/{ticket_id}.json", auth=AUTH,
                 json={"ticket": {"status": status}}).raise_for_status()


def fault(desk_url, **spec):
    requests.post(f"{desk_url}/_desk/faults", json=spec).raise_for_status()


def test_both_actions_are_registered_with_readable_labels():
    assert isinstance(ACTIONS["zendesk.ticket"], ZendeskTicket)
    assert isinstance(ACTIONS["zendesk.note"], ZendeskNote)
    assert ZendeskTicket().label(ticket_params()) == \
        "create a high-priority Zendesk ticket in Social care tagged social, complaint"


def test_bad_ticket_params_are_refused_when_the_policy_loads():
    with pytest.raises(Exception) as refused:
        ZendeskTicket.Params().load({"priority": "asap", "subject": "Hi {author.name"})
    assert set(refused.value.messages) == {"priority", "subject"}


def test_templates_fill_dotted_paths_and_leave_missing_ones_empty():
    fact = {"author": {"name": "Mary", "followers": None}, "sentiment": -0.6234}
    assert render("Thanks {author.name}! {author.followers}{nope.x} {sentiment:.2f}", fact) == \
        "Thanks Mary!  -0.62"
    assert fields_in("Thanks {author.name}, {{literal}} {kind}") == ["author.name", "kind"]


def test_ticket_body_tells_the_agent_who_posted_where_and_why():
    event = tweet()
    note = context_note(event, fact_of(event), CUSTOMER, [COMPLAINT], "goodwill-event: 1001")
    for piece in ["X (Twitter) (mention)", "@123itsmeMary (Mary)", "1,204 followers",
                  "https://twitter.com/123itsmeMary/status/1001", "-0.62 (negative)",
                  "complaints_30d 3", "engagements_30d 1", "50 points; vouchers: free-coffee",
                  "Rule complaints/public-complaint (policy version 3f2a9c1) fired because: "
                  "sentiment -0.62 below -0.3"]:
        assert piece in note
    assert "Rating" not in note
    review = {**event, "platform": "trustpilot", "kind": "review", "rating": 2}
    assert "Rating: 2/5" in context_note(review, fact_of(review), CUSTOMER, [COMPLAINT], "m")
    assert default_subject({**event, "text": "@AmazonHelp it\narrived broken"}) == \
        "X (Twitter) mention from @123itsmeMary: @AmazonHelp it arrived broken"
    assert default_subject({**event, "text": "x" * 80}).endswith(": " + "x" * 60 + "…")


def test_a_complaint_becomes_one_ticket_with_tags_post_and_context(client, desk_url):
    event = tweet()
    result = ZendeskTicket().execute(context(client, event, decisions=(COMPLAINT, THIRD)),
                                     ticket_params(subject="Complaint from {author.name}"))
    assert result["operation"] == "created"
    assert result["url"] == f"{desk_url}/agent/tickets/{result['ticket_id']}"
    [ticket] = get(desk_url, "tickets.json")["tickets"]
    assert ticket["id"] == result["ticket_id"]
    assert ticket["external_id"] == "goodwill:twitter:1001"
    assert ticket["subject"] == "Complaint from Mary" and ticket["priority"] == "high"
    assert set(ticket["tags"]) == {"goodwill", "policy_complaints", "rule_public-complaint",
                                   "rule_third-complaint-this-month", "social", "complaint"}
    social_care = [g for g in get(desk_url, "groups.json")["groups"] if g["name"] == "Social care"]
    assert ticket["group_id"] == social_care[0]["id"]
    post, note = get(desk_url, f"tickets/{ticket['id']}/comments.json")["comments"]
    assert post["public"] is True and post["author_id"] == ticket["requester_id"]
    assert event["text"] in post["body"] and event["url"] in post["body"]
    assert note["public"] is False
    assert "fired because: history.complaints_30d 3 at least 3" in note["body"]
    assert "50 points" in note["body"]


def test_requester_carries_the_social_identity_and_is_reused(client, desk_url):
    user_id = client.ensure_requester(tweet())
    assert client.ensure_requester(tweet(event_id="1002")) == user_id
    user = get(desk_url, f"users/{user_id}.json")["user"]
    assert user["external_id"] == "goodwill:twitter:123itsmeMary" and user["name"] == "Mary"
    identities = get(desk_url, f"users/{user_id}/identities.json")["identities"]
    assert {"type": "twitter", "value": "123itsmeMary"} in [
        {"type": i["type"], "value": i["value"]} for i in identities]
    insta = {**tweet(author_id="ig-9", handle="kim.fan"), "platform": "instagram"}
    insta_user = get(desk_url, f"users/{client.ensure_requester(insta)}.json")["user"]
    assert insta_user["external_id"] == "goodwill:instagram:ig-9"


def test_a_repeated_create_with_the_same_idempotency_key_returns_the_first_ticket(client, desk_url):
    requester = client.ensure_requester(tweet())
    create = dict(external_id="goodwill:twitter:1001", requester_id=requester, subject="s",
                  body="broken\n\ngoodwill-event: 1001", idempotency_key="1001:zendesk.ticket")
    assert client.create_ticket(**create) == client.create_ticket(**create)
    assert len(get(desk_url, "tickets.json")["tickets"]) == 1
    sent = requests.get(f"{desk_url}/_desk/requests").json()["requests"]
    assert [r["idempotency_key"] for r in sent if r["method"] == "POST" and r["path"] == "/api/v2/tickets.json"] \
        == ["1001:zendesk.ticket", "1001:zendesk.ticket"]


def test_a_requester_whose_email_zendesk_refuses_still_gets_a_ticket(client, desk_url):
    event = tweet()
    event["author"]["email"] = "mary at example"
    result = ZendeskTicket().execute(context(client, event), ticket_params())
    ticket = get(desk_url, f"tickets/{result['ticket_id']}.json")["ticket"]
    user = get(desk_url, f"users/{ticket['requester_id']}.json")["user"]
    assert user["external_id"] == "goodwill:twitter:123itsmeMary" and "email" not in user


def test_retry_after_a_lost_commit_makes_no_second_ticket(client, desk_url):
    event = tweet()
    first = ZendeskTicket().execute(context(client, event), ticket_params())
    # The worker died before recording `first`; the outbox runs the action again.
    again = ZendeskTicket().execute(context(client, event, attempt=2), ticket_params())
    assert again == first
    [ticket] = get(desk_url, "tickets.json")["tickets"]
    assert len(get(desk_url, f"tickets/{ticket['id']}/comments.json")["comments"]) == 2


def test_retry_after_a_crash_between_create_and_context_adds_only_the_context(client, desk_url):
    event = tweet()
    client.create_ticket(external_id="goodwill:twitter:1001", requester_id=client.ensure_requester(event),
                         subject="s", body=f"{event['text']}\n\ngoodwill-event: 1001",
                         idempotency_key="1001:zendesk.ticket")
    result = ZendeskTicket().execute(context(client, event, attempt=2), ticket_params())
    assert result["operation"] == "created"
    assert len(get(desk_url, "tickets.json")["tickets"]) == 1
    post, note = get(desk_url, f"tickets/{result['ticket_id']}/comments.json")["comments"]
    assert note["public"] is False and "complaints/public-complaint" in note["body"]


def test_follow_ups_in_the_conversation_are_comments_by_whoever_wrote(client, desk_url):
    created = ZendeskTicket().execute(context(client, tweet()), ticket_params())
    reply = tweet(event_id="1002", text="Order BT-48213, still waiting")
    again = ZendeskTicket().execute(context(client, reply), ticket_params())
    stranger = tweet(event_id="1003", author_id="999", handle="bob", name="Bob", text="Same here!")
    third = ZendeskTicket().execute(context(client, stranger), {})
    assert again["operation"] == third["operation"] == "commented"
    assert again["ticket_id"] == third["ticket_id"] == created["ticket_id"]
    assert len(get(desk_url, "tickets.json")["tickets"]) == 1
    comments = get(desk_url, f"tickets/{created['ticket_id']}/comments.json")["comments"]
    mary, bob = comments[2], comments[3]
    assert "Order BT-48213" in mary["body"] and mary["public"] is True
    assert "Same here!" in bob["body"] and bob["author_id"] != mary["author_id"]
    repeat = ZendeskTicket().execute(context(client, reply, attempt=2), ticket_params())
    assert repeat["ticket_id"] == created["ticket_id"]
    assert len(get(desk_url, f"tickets/{created['ticket_id']}/comments.json")["comments"]) == 4


def test_a_solved_ticket_reopens_on_the_next_post(client, desk_url):
    created = ZendeskTicket().execute(context(client, tweet()), ticket_params())
    put_status(desk_url, created["ticket_id"], "solved")
    result = ZendeskTicket().execute(context(client, tweet(event_id="1002", text="Broken again")), {})
    assert result == {**created, "operation": "reopened"}
    assert get(desk_url, f"tickets/{created['ticket_id']}.json")["ticket"]["status"] == "open"


def test_a_closed_ticket_gets_a_linked_follow_up(client, desk_url):
    created = ZendeskTicket().execute(context(client, tweet()), ticket_params())
    put_status(desk_url, created["ticket_id"], "closed")
    result = ZendeskTicket().execute(context(client, tweet(event_id="1002", text="Broken again")),
                                     ticket_params())
    assert result["operation"] == "follow_up" and result["ticket_id"] != created["ticket_id"]
    follow_up = get(desk_url, f"tickets/{result['ticket_id']}.json")["ticket"]
    assert follow_up["via"]["source"]["rel"] == "follow_up"
    assert follow_up["via"]["source"]["from"]["ticket_id"] == created["ticket_id"]
    assert follow_up["external_id"] == "goodwill:twitter:1001"
    nothing_new = ZendeskTicket().execute(context(client, tweet(event_id="1002", text="Broken again"),
                                                  attempt=2), ticket_params())
    assert nothing_new == result
    assert len(get(desk_url, "tickets.json")["tickets"]) == 2


def test_brand_replies_become_internal_notes_once(client, desk_url):
    brand = tweet(event_id="2001", author_id="85741735", handle="AmazonHelp", name="Amazon Help",
                  text="@123itsmeMary sorry! DM us your order number")
    assert ZendeskNote().execute(context(client, brand), {}) == {"skipped": "no ticket"}
    created = ZendeskTicket().execute(context(client, tweet()), ticket_params())
    noted = ZendeskNote().execute(context(client, brand), {})
    assert noted["ticket_id"] == created["ticket_id"]
    ZendeskNote().execute(context(client, brand, attempt=2), {})
    comments = get(desk_url, f"tickets/{created['ticket_id']}/comments.json")["comments"]
    [note] = [c for c in comments if "DM us your order number" in c["body"]]
    assert note["public"] is False and "@AmazonHelp replied on X (Twitter)" in note["body"]


def test_server_errors_are_worth_retrying(client, desk_url):
    fault(desk_url, status=500, count=1, path_prefix="/api/v2/tickets")
    with pytest.raises(ActionFailed) as failed:
        ZendeskTicket().execute(context(client, tweet()), ticket_params())
    assert not isinstance(failed.value, PermanentActionError)
    assert "500" in str(failed.value)
    assert ZendeskTicket().execute(context(client, tweet(), attempt=2), ticket_params())["operation"] == "created"


def test_rate_limits_hand_retry_after_to_the_outbox_instead_of_sleeping(client, desk_url):
    # zenpy on its own would sleep out the 600 seconds inside the call.
    fault(desk_url, status=429, count=1, retry_after=600, path_prefix="/api/v2/tickets")
    with pytest.raises(ActionFailed) as failed:
        ZendeskTicket().execute(context(client, tweet()), ticket_params())
    assert failed.value.retry_after == 600
    assert not isinstance(failed.value, PermanentActionError)


def test_validation_errors_are_permanent_and_carry_zendesks_message(client, desk_url):
    with pytest.raises(PermanentActionError) as refused:
        ZendeskTicket().execute(context(client, tweet()), ticket_params(group=99999))
    assert "422" in str(refused.value) and "Group: is invalid" in str(refused.value)


def test_an_unreachable_desk_is_worth_retrying():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = DeskClient(f"http://127.0.0.1:{port}", "agent@example.com", "test-token", timeout=2)
    with pytest.raises(ActionFailed) as failed:
        ZendeskTicket().execute(context(client, tweet()), ticket_params())
    assert not isinstance(failed.value, PermanentActionError)


def test_desk_client_comes_from_settings_and_refuses_a_url_without_scheme(desk_url):
    settings = SimpleNamespace(zendesk_url=desk_url + "/", zendesk_email="a@example.com", zendesk_token="t")
    assert desk_client(settings).find_conversation_tickets("goodwill:twitter:none") == []
    with pytest.raises(ValueError):
        DeskClient("acme.zendesk.com", "a@example.com", "t")


def test_threads_sharing_a_client_send_every_comment_whole(desk_url, client):
    # zenpy keeps the object it is sending on its client: threads sharing one client used to
    # empty or lose each other's comments. Frequent thread switches make that show at once.
    tickets = [requests.post(f"{desk_url}/api/v2/tickets.json", auth=AUTH,
                             json={"ticket": {"comment": {"body": "post"}}}).json()["ticket"]["id"]
               for _ in range(4)]
    failures = []

    def comment(ticket_id):
        for n in range(30):
            try:
                client.add_comment(ticket_id, f"note {n}", public=False)
            except Exception as exc:
                failures.append(exc)

    threads = [threading.Thread(target=comment, args=(t,)) for t in tickets]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert failures == []
    for ticket_id in tickets:
        bodies = [c["body"] for c in get(desk_url, f"tickets/{ticket_id}/comments.json")["comments"]]
        assert bodies == ["post"] + [f"note {n}" for n in range(30)]
