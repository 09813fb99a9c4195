"""X Account Activity through `/webhooks/x`, driven by fixtures and by the shared Twitter corpus."""
import base64
import hashlib
import hmac
import json
from collections import Counter
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from conftest import SHARED, desk_comments, desk_tickets, start_goodwill
from engine import replay
from engine.counters import ITEMS_SKIPPED, totals
from engine.db import InboxEvent
from integrations.x.adapter import signature
from integrations.x.replay import deliveries, send_delivery
from integrations.zendesk.desk import serve_desk_in_thread

FIXTURES = Path(__file__).resolve().parents[1] / "integrations/x/fixtures"
CORPUS = SHARED / "corpora/twitter-care/conversations.json"
CONSUMER_SECRET = "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu"
BRAND_ID = "1255553005658742784"
MARY_ID = "1229117734226501632"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def deliver(app, payload: dict, secret: str = CONSUMER_SECRET) -> requests.Response:
    body = json.dumps(payload).encode()
    return app.http.post(f"{app.url}/webhooks/x", data=body,
                         headers={"X-Twitter-Webhooks-Signature": signature(secret, body)})


def stored_ids(app) -> list[str]:
    with app.runtime.sessionmaker() as session:
        return list(session.scalars(select(InboxEvent.external_id)))


@pytest.fixture
def receiver(tmp_path):
    app, server = start_goodwill(tmp_path, None, workers=0, x_consumer_secret=CONSUMER_SECRET)
    yield app
    server.shutdown()
    app.runtime.stop()


def test_crc_answers_with_the_signed_token(receiver):
    response = requests.get(f"{receiver.url}/webhooks/x",
                            params={"crc_token": "9b4507b3-9040-4669-9ca3-6b94edb50553"})
    digest = hmac.new(CONSUMER_SECRET.encode(), b"9b4507b3-9040-4669-9ca3-6b94edb50553",
                      hashlib.sha256).digest()
    assert response.status_code == 200
    assert response.json() == {"response_token": "sha256=" + base64.b64encode(digest).decode()}
    assert requests.get(f"{receiver.url}/webhooks/x").status_code == 400


def test_unconfigured_route_names_the_setting_to_set(tmp_path):
    app, server = start_goodwill(tmp_path, None, workers=0)
    try:
        crc = requests.get(f"{app.url}/webhooks/x", params={"crc_token": "abc"})
        assert crc.status_code == 503 and "X_CONSUMER_SECRET" in crc.json()["error"]["message"]
    finally:
        server.shutdown()


def test_missing_or_wrong_signature_is_refused_and_nothing_stored(receiver):
    body = json.dumps(fixture("tweet_create_mention")).encode()
    missing = requests.post(f"{receiver.url}/webhooks/x", data=body)
    wrong = deliver(receiver, fixture("tweet_create_mention"), secret="someone-elses-secret")
    for response in (missing, wrong):
        assert response.status_code == 401
        assert response.json()["error"]["field"] == "X-Twitter-Webhooks-Signature"
    assert stored_ids(receiver) == []


EXPECTED = {
    # fixture: (kind, id, author id, thread as received, in_reply_to, from_brand)
    "tweet_create_mention": ("mention", "1987654321000000001", MARY_ID, "1987654321000000001",
                             None, False),
    "tweet_create_brand_reply": ("reply", "1987654321000000077", BRAND_ID, None,
                                 "1987654321000000001", True),
    "tweet_create_reply": ("reply", "1987654321000000123", MARY_ID, None, "1987654321000000077",
                           False),
    "tweet_create_quote": ("mention", "1987654321000000456", "987654321098765432",
                           "1987654321000000456", None, False),
    "tweet_create_retweet": ("share", "1987654321000000789", "987654321098765432",
                             "1987654321000000789", None, False),
    "favorite_events": ("like", f"favorite:1987000000000000500:{MARY_ID}", MARY_ID,
                        f"favorite:1987000000000000500:{MARY_ID}", None, False),
    "follow_events": ("follow", f"follow:987654321098765432:{BRAND_ID}", "987654321098765432",
                      f"follow:987654321098765432:{BRAND_ID}", None, False),
    "direct_message_events": ("direct_message", "1987654321999000001", MARY_ID,
                              f"{MARY_ID}-{BRAND_ID}", None, False),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_event_type_becomes_one_social_event(receiver, name):
    response = deliver(receiver, fixture(name))
    assert response.status_code == 200
    [answer] = response.json()["events"]
    event = receiver.event(answer["id"])["event"]
    kind, event_id, author_id, thread, in_reply_to, from_brand = EXPECTED[name]
    assert (event["platform"], event["kind"], event["id"]) == ("twitter", kind, event_id)
    assert event["author"]["id"] == author_id
    assert (event["thread"], event["in_reply_to"]) == (thread, in_reply_to)
    assert event["extra"]["from_brand"] is from_brand
    assert event["brand"] == "BeanLeafHelp"


def test_long_tweets_keep_their_full_text_and_quotes_and_retweets_name_their_source(receiver):
    mention = deliver(receiver, fixture("tweet_create_mention")).json()["events"][0]
    text = receiver.event(mention["id"])["event"]["text"]
    assert text.endswith("Can someone look at order BT-48213?")
    quote = deliver(receiver, fixture("tweet_create_quote")).json()["events"][0]
    quoted = receiver.event(quote["id"])["event"]["extra"]["quoted_status_id"]
    assert quoted == "1987000000000000500"
    retweet = deliver(receiver, fixture("tweet_create_retweet")).json()["events"][0]
    event = receiver.event(retweet["id"])["event"]
    assert event["text"] is None
    assert event["extra"]["retweeted_status_id"] == "1987000000000000500"


def test_author_is_known_by_numeric_id_with_followers(receiver):
    answer = deliver(receiver, fixture("tweet_create_mention")).json()["events"][0]
    author = receiver.event(answer["id"])["event"]["author"]
    assert author == {"id": MARY_ID, "handle": "123itsmeMary", "name": "Mary", "email": None,
                      "followers": 311, "verified": False}


def test_redelivery_is_acknowledged_as_a_duplicate(receiver):
    first = deliver(receiver, fixture("favorite_events")).json()["events"][0]
    again = deliver(receiver, fixture("favorite_events")).json()["events"]
    assert again == [{**first, "status": "duplicate"}]


def test_unknown_event_types_are_acknowledged_and_counted(receiver):
    before = totals(ITEMS_SKIPPED)
    for name in ("direct_message_indicate_typing_events", "unfollow_events"):
        response = deliver(receiver, fixture(name))
        assert response.status_code == 200 and response.json()["events"] == []
    after = totals(ITEMS_SKIPPED)
    for event_type in ("direct_message_indicate_typing_events", "follow_events.unfollow"):
        key = ("x", event_type, "unknown")
        assert after[key] == before.get(key, 0) + 1
    assert stored_ids(receiver) == []


@pytest.fixture
def working(tmp_path, desk):
    app, server = start_goodwill(tmp_path, desk, x_consumer_secret=CONSUMER_SECRET)
    yield app
    server.shutdown()
    app.runtime.stop()


def settle(app, name: str) -> dict:
    [answer] = deliver(app, fixture(name)).json()["events"]
    return app.settled(answer["id"])


def test_the_accounts_own_reply_is_recorded_and_never_ticketed(working, desk):
    alone = settle(working, "tweet_create_brand_reply")
    assert alone["status"] == "processed" and alone["actions"] == []
    assert desk_tickets(desk) == []


def test_a_reply_chain_is_one_ticket_whatever_delivery_it_came_in(working, desk):
    settle(working, "tweet_create_mention")
    settle(working, "tweet_create_brand_reply")
    reply = settle(working, "tweet_create_reply")
    assert reply["event"]["thread"] == "1987654321000000001"
    [ticket] = desk_tickets(desk)
    assert ticket["external_id"] == "goodwill:twitter:1987654321000000001"
    bodies = [c["body"] for c in desk_comments(desk, ticket["id"])]
    assert any("Still no beans though!" in b for b in bodies)
    customer = working.api(f"/customers/twitter:{MARY_ID}").json()
    assert customer["identities"][0]["handle"] == "123itsmeMary"


def tickets_and_comments(desk_url: str) -> dict[str, int]:
    return {t["external_id"]: len(desk_comments(desk_url, t["id"])) for t in desk_tickets(desk_url)}


@pytest.mark.skipif(not CORPUS.exists(), reason=f"corpus not found at {CORPUS}")
def test_corpus_replay_through_x_gives_the_same_tickets_as_the_generic_source(tmp_path):
    results = {}
    for route in ("generic", "x"):
        folder = tmp_path / route
        folder.mkdir()
        desk_url, desk_server = serve_desk_in_thread()
        app, server = start_goodwill(folder, desk_url, workers=2, x_consumer_secret=CONSUMER_SECRET)
        try:
            if route == "generic":
                statuses = Counter(app.send(e)["status"] for e in replay.deliveries(CORPUS, 60))
            else:
                statuses = Counter(e["status"] for d in deliveries(CORPUS, 60)
                                   for e in send_delivery(app.url, CONSUMER_SECRET, d,
                                                          session=app.http)["events"])
            app.drain()
            results[route] = (statuses, tickets_and_comments(desk_url))
        finally:
            server.shutdown()
            app.runtime.stop()
            desk_server.shutdown()
    assert results["x"][0] == results["generic"][0]
    assert results["generic"][0]["duplicate"] == 60
    assert results["x"][1] == results["generic"][1]
    assert len(results["x"][1]) == 60
