"""From a signed delivery to a Zendesk ticket or a ledger credit, over real HTTP."""
import json
from datetime import datetime, timedelta, timezone

import requests

from conftest import desk_comments, desk_tickets, start_goodwill
from engine.cli import EXAMPLES
from engine.sender import signed_headers


def example(name: str, **changes) -> dict:
    event = json.loads((EXAMPLES / name).read_text())
    event.update(changes)
    return event


def test_signed_complaint_becomes_one_ticket_with_context(goodwill, desk):
    answer = goodwill.send(example("01-complaint.json"))
    assert answer["http_status"] == 202 and answer["status"] == "accepted"

    body = goodwill.settled(answer["id"])
    assert body["status"] == "processed"
    assert any(d["policy"] == "complaints" for d in body["decisions"])
    ticket_action = next(a for a in body["actions"] if a["type"] == "zendesk.ticket")
    assert ticket_action["status"] == "done"

    [ticket] = desk_tickets(desk)
    assert ticket["id"] == ticket_action["result"]["ticket_id"]
    assert ticket["external_id"] == "goodwill:twitter:1235335618009485314"
    assert {"goodwill", "policy_complaints"} <= set(ticket["tags"])
    assert any(tag.startswith("rule_") for tag in ticket["tags"])
    text = " ".join(c["body"] for c in desk_comments(desk, ticket["id"]))
    assert "arrived broken" in text
    assert "https://twitter.com/123itsmeMary/status/1235335618009485314" in text
    assert "123itsmeMary" in text
    assert "complaints/" in text
    assert "Reads as: complaint" in text and "phrase: broken" in text


def test_follow_up_and_brand_reply_land_on_the_same_ticket(goodwill, desk):
    first = goodwill.send(example("01-complaint.json"))
    goodwill.settled(first["id"])
    brand = goodwill.send(example("02-brand-reply.json"))
    brand_body = goodwill.settled(brand["id"])
    follow = goodwill.send(example("03-follow-up.json"))
    follow_body = goodwill.settled(follow["id"])

    [ticket] = desk_tickets(desk)
    comments = desk_comments(desk, ticket["id"])
    bodies = [c["body"] for c in comments]
    assert any("Order BT-48213" in b for b in bodies)
    note = next(c for c in comments if "DM us your order number" in c["body"])
    assert note["public"] is False
    assert all(a["type"] != "zendesk.ticket" for a in brand_body["actions"])
    assert follow_body["event"]["thread"] == "1235335618009485314"
    assert follow_body["actions"][-1]["result"]["ticket_id"] == ticket["id"]


def test_duplicate_delivery_is_acknowledged_and_not_acted_on_again(goodwill, desk):
    event = example("01-complaint.json")
    first = goodwill.send(event)
    second = goodwill.send(event)
    assert second["http_status"] == 202
    assert second == {**first, "status": "duplicate"}
    goodwill.settled(first["id"])
    assert len(desk_tickets(desk)) == 1


def test_bad_signature_is_refused_and_nothing_stored(goodwill):
    body = json.dumps(example("01-complaint.json"))
    headers = signed_headers("whsec_" + "A" * 32, body)
    response = requests.post(f"{goodwill.url}/webhooks/events", data=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"
    good = goodwill.send(example("01-complaint.json"))
    assert good["status"] == "accepted"


def test_stale_timestamp_is_refused(goodwill):
    body = json.dumps(example("01-complaint.json"))
    stale = datetime.now(timezone.utc) - timedelta(minutes=6)
    headers = signed_headers(goodwill.settings.webhook_secret, body, timestamp=stale)
    response = requests.post(f"{goodwill.url}/webhooks/events", data=body, headers=headers)
    assert response.status_code == 401
    assert "too old" in response.json()["error"]["message"]


def _post_signed(goodwill, body: str) -> requests.Response:
    headers = signed_headers(goodwill.settings.webhook_secret, body)
    return requests.post(f"{goodwill.url}/webhooks/events", data=body.encode(), headers=headers)


def test_malformed_bodies_get_the_error_shape_naming_the_field(goodwill):
    not_json = _post_signed(goodwill, "{not json")
    assert not_json.status_code == 400
    assert set(not_json.json()["error"]) == {"code", "message", "field"}

    wrong_type = example("01-complaint.json", rating="five")
    response = _post_signed(goodwill, json.dumps(wrong_type))
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "rating"

    missing = example("01-complaint.json")
    del missing["author"]["id"]
    response = _post_signed(goodwill, json.dumps(missing))
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "author.id"


def test_unknown_fields_are_kept_in_extra(goodwill):
    answer = goodwill.send(example("04-question.json", campaign="winter-menu"))
    body = goodwill.settled(answer["id"])
    assert body["event"]["extra"] == {"campaign": "winter-menu"}


def test_brands_own_post_is_recorded_never_ticketed(goodwill, desk):
    post = example("02-brand-reply.json", id="brand-post-1", in_reply_to=None,
                   text="Our winter menu is here! Refund policy unchanged, nothing broken.")
    answer = goodwill.send(post)
    body = goodwill.settled(answer["id"])
    assert body["status"] == "processed"
    assert body["actions"] == []
    assert desk_tickets(desk) == []


def test_referral_is_credited_once_when_the_friend_joins(goodwill):
    referral = example("06-referral.json")
    first = goodwill.send(referral)
    goodwill.settled(first["id"])
    assert goodwill.send(referral)["status"] == "duplicate"
    # The same friend claimed again in a new delivery: still one reward when they join.
    goodwill.settled(goodwill.send({**referral, "id": "ref-2026-0043"})["id"])
    assert goodwill.api("/customers/email:kim@example.com").json()["balance"]["points"] == 0

    signup = {"id": "till-signup-1", "platform": "web", "kind": "signup",
              "occurred_at": "2026-11-03T09:00:00Z", "brand": "BeanThere",
              "author": {"id": "till-alex", "name": "Alex", "email": "alex@example.com"}}
    goodwill.settled(goodwill.send(signup)["id"])
    goodwill.settled(goodwill.send({**signup, "id": "till-purchase-1", "kind": "purchase"})["id"])

    customer = goodwill.api("/customers/email:kim@example.com").json()
    credits = [e for e in customer["ledger"] if e["kind"] == "credit"]
    assert len(credits) == 1
    assert customer["balance"]["points"] == credits[0]["points"] > 0
    by_identity = goodwill.api("/customers/web:fb-777").json()
    assert by_identity["id"] == customer["id"]


def test_failing_action_is_retried_then_dead_lettered(tmp_path, desk):
    app, server = start_goodwill(tmp_path, desk, max_attempts=3)
    try:
        requests.post(f"{desk}/_desk/faults", json={"status": 500, "count": 100,
                                                     "path_prefix": "/api/v2"})
        answer = app.send(example("01-complaint.json"))
        body = app.settled(answer["id"])
        action = next(a for a in body["actions"] if a["type"] == "zendesk.ticket")
        assert action["status"] == "dead"
        assert action["attempts"] == 3
        assert action["error"]
    finally:
        server.shutdown()
        app.runtime.stop()


def test_api_needs_the_bearer_token_and_errors_share_one_shape(goodwill):
    unauthorised = requests.get(f"{goodwill.url}/api/v1/events/nope")
    assert unauthorised.status_code == 401
    assert unauthorised.json()["error"]["code"] == "unauthorized"
    missing = goodwill.api("/events/nope")
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "id"
    unknown_route = requests.get(f"{goodwill.url}/no/such/page")
    assert unknown_route.status_code == 404
    assert set(unknown_route.json()["error"]) == {"code", "message", "field"}
    wrong_method = requests.get(f"{goodwill.url}/webhooks/events")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
    assert requests.get(f"{goodwill.url}/healthz").json() == {"status": "ok"}


def test_shipped_examples_all_settle(goodwill, desk):
    ids = [goodwill.send(json.loads(p.read_text()))["id"] for p in sorted(EXAMPLES.glob("*.json"))]
    bodies = [goodwill.settled(i) for i in ids]
    assert all(b["status"] == "processed" for b in bodies)
    assert all(a["status"] == "done" for b in bodies for a in b["actions"])
    assert len(desk_tickets(desk)) >= 3


def test_replayed_webhook_id_with_another_body_is_refused_and_nothing_stored(goodwill):
    first_body = json.dumps(example("01-complaint.json"))
    headers = signed_headers(goodwill.settings.webhook_secret, first_body, msg_id="msg_fixed")
    assert requests.post(f"{goodwill.url}/webhooks/events", data=first_body,
                         headers=headers).status_code == 202
    # A platform retry: same id, same body, freshly signed: the usual duplicate answer.
    again = signed_headers(goodwill.settings.webhook_secret, first_body, msg_id="msg_fixed")
    retry = requests.post(f"{goodwill.url}/webhooks/events", data=first_body, headers=again)
    assert retry.status_code == 202 and retry.json()["status"] == "duplicate"

    other = example("04-question.json")
    other_body = json.dumps(other)
    replay = signed_headers(goodwill.settings.webhook_secret, other_body, msg_id="msg_fixed")
    refused = requests.post(f"{goodwill.url}/webhooks/events", data=other_body, headers=replay)
    assert refused.status_code == 401
    assert refused.json()["error"] == {"code": "replayed_message", "field": "webhook-id",
                                       "message": refused.json()["error"]["message"]}
    assert goodwill.send(other)["status"] == "accepted"
