"""Replay 525 real customer-care conversations: one ticket each, follow-ups as comments."""
import json
from collections import Counter

import pytest

from conftest import SHARED, desk_comments, desk_tickets, start_goodwill
from engine.replay import conversation_events, deliveries
from integrations.zendesk.desk import create_desk_app, serve_desk_in_thread
from integrations.zendesk.ticket_body import event_marker

CORPUS = SHARED / "corpora/twitter-care/conversations.json"
pytestmark = pytest.mark.skipif(not CORPUS.exists(), reason=f"corpus not found at {CORPUS}")


@pytest.fixture
def roomy_desk():
    """A stand-in whose rate limit leaves room for the replay and for inspecting every ticket."""
    url, server = serve_desk_in_thread(app=create_desk_app(rate_limit=100_000))
    yield url
    server.shutdown()


def test_replay_gives_one_ticket_per_conversation_and_comments_for_follow_ups(tmp_path, roomy_desk):
    desk = roomy_desk
    conversations = json.loads(CORPUS.read_text())
    app, server = start_goodwill(tmp_path, desk, workers=2)
    try:
        sent = deliveries(CORPUS)
        statuses = Counter(app.send(event)["status"] for event in sent)
        # A few tweets appear in two conversations of the corpus: accepted once all the same.
        unique = len({event["id"] for event in sent})
        assert statuses == {"accepted": unique, "duplicate": len(sent) - unique}
        app.drain()
    finally:
        server.shutdown()
        app.runtime.stop()

    tickets = desk_tickets(desk)
    by_conversation = Counter(t["external_id"] for t in tickets)
    assert max(by_conversation.values()) == 1, "a conversation got two tickets"
    # Two pairs of corpus conversations start with the same tweet: one conversation each.
    threads = {c["dialogContent"][0]["tweet_ID"] for c in conversations}
    assert len(tickets) == len(threads)

    ticket_of = {t["external_id"]: t["id"] for t in tickets}
    for conversation in conversations:
        events = conversation_events(conversation)
        brand = conversation["dialogHeader"]["company"]
        customer_tweets = [e for e in events if e["author"]["handle"] != brand]
        ticket_id = ticket_of[f"goodwill:twitter:{events[0]['id']}"]
        public = [c["body"] for c in desk_comments(desk, ticket_id) if c["public"]]
        for tweet in customer_tweets:
            carrying = [b for b in public if event_marker(tweet["id"]) in b.splitlines()]
            assert len(carrying) == 1, (ticket_id, tweet["id"])
            assert tweet["text"].split()[-1] in carrying[0]
