"""Facebook Pages and Instagram through `/webhooks/meta`, driven by Meta-shaped fixtures."""
import json
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from conftest import desk_comments, desk_tickets, start_goodwill
from engine.counters import ITEMS_SKIPPED, totals
from engine.db import InboxEvent
from integrations.meta.adapter import signature

FIXTURES = Path(__file__).resolve().parents[1] / "integrations/meta/fixtures"
APP_SECRET = "6d1c0a8b3f2e4d5c9a7b1e0f2a3c4d5e"
VERIFY_TOKEN = "a-long-random-verify-token"
PAGE = "109876543210987"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def deliver(app, payload: dict, secret: str = APP_SECRET, **headers) -> requests.Response:
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers.setdefault("X-Hub-Signature-256", signature(secret, body))
    return app.http.post(f"{app.url}/webhooks/meta", data=body,
                         headers={"Content-Type": "application/json", **headers})


def stored_ids(app) -> list[str]:
    with app.runtime.sessionmaker() as session:
        return list(session.scalars(select(InboxEvent.external_id)))


@pytest.fixture
def receiver(tmp_path):
    app, server = start_goodwill(tmp_path, None, workers=0, meta_app_secret=APP_SECRET,
                                 meta_verify_token=VERIFY_TOKEN)
    yield app
    server.shutdown()
    app.runtime.stop()


def test_handshake_echoes_the_challenge_only_for_the_right_verify_token(receiver):
    url = f"{receiver.url}/webhooks/meta"
    good = requests.get(url, params={"hub.mode": "subscribe", "hub.challenge": "1158201444",
                                     "hub.verify_token": VERIFY_TOKEN})
    assert good.status_code == 200 and good.text == "1158201444"
    wrong = requests.get(url, params={"hub.mode": "subscribe", "hub.challenge": "1158201444",
                                      "hub.verify_token": "meatyhamhock"})
    assert wrong.status_code == 403
    assert wrong.json()["error"]["field"] == "hub.verify_token"


def test_unconfigured_route_names_the_settings_to_set(tmp_path):
    app, server = start_goodwill(tmp_path, None, workers=0)
    try:
        handshake = requests.get(f"{app.url}/webhooks/meta").json()
        assert "META_VERIFY_TOKEN" in handshake["error"]["message"]
        refused = deliver(app, fixture("feed_comment"))
        assert refused.status_code == 503
        assert "META_APP_SECRET" in refused.json()["error"]["message"]
    finally:
        server.shutdown()


def test_missing_or_wrong_signature_is_refused_and_nothing_stored(receiver):
    missing = deliver(receiver, fixture("feed_comment"), **{"X-Hub-Signature-256": ""})
    wrong = deliver(receiver, fixture("feed_comment"), secret="not-the-app-secret")
    for response in (missing, wrong):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "bad_signature"
    assert stored_ids(receiver) == []


def test_signature_covers_the_raw_bytes_not_a_reserialisation(receiver):
    body = json.dumps(fixture("feed_comment"), indent=4).encode()
    compact = json.dumps(json.loads(body)).encode()
    response = receiver.http.post(f"{receiver.url}/webhooks/meta", data=compact,
                                  headers={"X-Hub-Signature-256": signature(APP_SECRET, body)})
    assert response.status_code == 401
    response = receiver.http.post(f"{receiver.url}/webhooks/meta", data=body,
                                  headers={"X-Hub-Signature-256": signature(APP_SECRET, body)})
    assert response.status_code == 200


EXPECTED = {
    # fixture: (platform, kind, id, thread as received, in_reply_to, from_brand)
    "feed_comment": ("facebook", "comment", "1210987654321098_998877665544332",
                     "1210987654321098_998877665544332", f"{PAGE}_1210987654321098", False),
    "feed_comment_reply": ("facebook", "comment", "1210987654321098_998877665544901", None,
                           "1210987654321098_998877665544332", False),
    "feed_page_reply": ("facebook", "comment", "1210987654321098_998877665544700", None,
                        "1210987654321098_998877665544332", True),
    "feed_page_post": ("facebook", "post", f"{PAGE}_1210987654321098",
                       f"{PAGE}_1210987654321098", None, True),
    "feed_visitor_post": ("facebook", "mention", f"{PAGE}_1211122233344455",
                          f"{PAGE}_1211122233344455", None, False),
    "feed_reaction": ("facebook", "like", f"reaction:{PAGE}_1210987654321098:6054391234567890",
                      f"reaction:{PAGE}_1210987654321098:6054391234567890", None, False),
    "feed_share": ("facebook", "share", "3344556677889900", "3344556677889900", None, False),
    "ratings": ("facebook", "review", "1212233344455566", "1212233344455566", None, False),
    "mention": ("facebook", "mention", "8823456789012345_4455667788990011",
                "8823456789012345_4455667788990011", None, False),
    "messenger_message": ("facebook", "direct_message", "m_AbCdEf0123456789_customer-1",
                          "25012345678901234", None, False),
    "messenger_echo": ("facebook", "direct_message", "m_AbCdEf0123456789_page-1",
                       "25012345678901234", None, True),
    "instagram_comment": ("instagram", "comment", "17865799348089039", "17865799348089039",
                          "17887498072083520", False),
    "instagram_comment_reply": ("instagram", "comment", "17865799348089911", None,
                                "17865799348089039", False),
    "instagram_message": ("instagram", "direct_message",
                          "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx", "1023456789012345", None,
                          False),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_event_type_becomes_one_social_event(receiver, name):
    response = deliver(receiver, fixture(name))
    assert response.status_code == 200
    [answer] = response.json()["events"]
    assert answer["status"] == "accepted"
    event = receiver.event(answer["id"])["event"]
    platform, kind, event_id, thread, in_reply_to, from_brand = EXPECTED[name]
    assert (event["platform"], event["kind"], event["id"]) == (platform, kind, event_id)
    assert (event["thread"], event["in_reply_to"]) == (thread, in_reply_to)
    assert event["extra"]["from_brand"] is from_brand


def test_review_keeps_rating_text_and_reviewer(receiver):
    [answer] = deliver(receiver, fixture("ratings")).json()["events"]
    event = receiver.event(answer["id"])["event"]
    assert event["rating"] == 2
    assert event["text"].startswith("Lovely staff but the card machine was broken")
    assert event["author"] == {"id": "7712345098765432", "handle": None, "name": "Sam Ortiz",
                               "email": None, "followers": None, "verified": None}
    assert event["extra"]["recommendation_type"] == "negative"


def test_batch_with_a_bad_entry_stores_every_good_one(receiver):
    batch = fixture("batch")
    del batch["entry"][1]["changes"][0]["value"]["from"]  # a reaction nobody made
    batch["entry"].append("not an entry")
    response = deliver(receiver, batch)
    assert response.status_code == 200
    body = response.json()
    assert [e["external_id"] for e in body["events"]] == [
        "1210987654321098_998877665544332", "3344556677889900", "1212233344455566"]
    assert [r["type"] for r in body["rejected"]] == ["feed.reaction.add", "not_an_object"]
    assert len(stored_ids(receiver)) == 3


def test_redelivery_is_acknowledged_as_a_duplicate(receiver):
    first = deliver(receiver, fixture("feed_comment")).json()["events"][0]
    again = deliver(receiver, fixture("feed_comment"))
    assert again.status_code == 200
    assert again.json()["events"] == [{**first, "status": "duplicate"}]
    assert len(stored_ids(receiver)) == 1


def test_unknown_event_types_are_acknowledged_and_counted(receiver):
    before = totals(ITEMS_SKIPPED)
    for name in ("feed_reaction_remove", "messenger_read", "instagram_story_insights"):
        response = deliver(receiver, fixture(name))
        assert response.status_code == 200
        assert response.json()["events"] == []
    after = totals(ITEMS_SKIPPED)
    for event_type in ("feed.reaction.remove", "messaging.read", "story_insights"):
        key = ("meta", event_type, "unknown")
        assert after[key] == before.get(key, 0) + 1
    assert stored_ids(receiver) == []


def test_oversized_body_is_refused_with_413_before_anything_else(tmp_path):
    app, server = start_goodwill(tmp_path, None, workers=0, meta_app_secret=APP_SECRET,
                                 webhook_max_bytes=4096)
    try:
        big = fixture("feed_comment")
        big["entry"][0]["changes"][0]["value"]["message"] = "x" * 5000
        response = deliver(app, big)
        assert response.status_code == 413
        assert set(response.json()["error"]) == {"code", "message", "field"}
        chunked = app.http.post(f"{app.url}/webhooks/meta", data=iter([b"{" * 3000, b" " * 3000]),
                                headers={"X-Hub-Signature-256": "sha256=00"})
        assert chunked.status_code == 413
        assert stored_ids(app) == []
    finally:
        server.shutdown()


@pytest.fixture
def working(tmp_path, desk):
    app, server = start_goodwill(tmp_path, desk, meta_app_secret=APP_SECRET)
    yield app
    server.shutdown()
    app.runtime.stop()


def settle(app, name: str) -> dict:
    [answer] = deliver(app, fixture(name)).json()["events"]
    return app.settled(answer["id"])


def test_replies_join_the_top_level_comment_and_its_ticket(working, desk):
    settle(working, "feed_comment")
    brand = settle(working, "feed_page_reply")
    reply = settle(working, "feed_comment_reply")
    [ticket] = desk_tickets(desk)
    assert ticket["external_id"] == "goodwill:facebook:1210987654321098_998877665544332"
    top_level = "1210987654321098_998877665544332"
    assert brand["event"]["thread"] == reply["event"]["thread"] == top_level
    comments = desk_comments(desk, ticket["id"])
    assert any("Order 4471" in c["body"] and c["public"] for c in comments)
    assert any("Which order was it?" in c["body"] and not c["public"] for c in comments)


def test_the_pages_own_post_is_recorded_and_never_ticketed(working, desk):
    body = settle(working, "feed_page_post")
    assert body["status"] == "processed"
    assert body["actions"] == []
    assert desk_tickets(desk) == []
