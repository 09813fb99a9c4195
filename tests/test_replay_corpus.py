"""Replay 525 real customer-care conversations: one ticket each, follow-ups as comments."""
import json
from collections import Counter

import pytest

from conftest import SHARED, desk_comments, desk_tickets, start_goodwill, wait_until
from engine.replay import conversation_events, deliveries

CORPUS = SHARED / "corpora/twitter-care/conversations.json"
pytestmark = pytest.mark.skipif(not CORPUS.exists(), reason=f"corpus not found at {CORPUS}")


def test_replay_gives_one_ticket_per_conversation_and_comments_for_follow_ups(tmp_path, desk):
    conversations = json.loads(CORPUS.read_text())
    app, server = start_goodwill(tmp_path, desk, workers=2)
    try:
        statuses = Counter(app.send(event)["status"] for event in deliveries(CORPUS))
        unique = sum(len(c["dialogContent"]) for c in conversations)
        assert statuses == {"accepted": unique, "duplicate": len(conversations)}

        def drained():
            with app.runtime.sessionmaker() as session:
                from sqlalchemy import func, select
                from engine.db import Action, InboxEvent
                waiting = session.scalar(select(func.count(InboxEvent.id))
                                         .where(InboxEvent.status == "received"))
                running = session.scalar(select(func.count(Action.id)).where(
                    Action.status.in_(("pending", "retrying", "running"))))
                return waiting == 0 and running == 0
        wait_until(drained, timeout=600, interval=0.5)
    finally:
        server.shutdown()
        app.runtime.stop()

    tickets = desk_tickets(desk)
    by_conversation = Counter(t["external_id"] for t in tickets)
    assert max(by_conversation.values()) == 1, "a conversation got two tickets"
    assert len(tickets) == len(conversations)

    ticket_of = {t["external_id"]: t["id"] for t in tickets}
    for conversation in conversations:
        events = conversation_events(conversation)
        brand = conversation["dialogHeader"]["company"]
        customer_texts = [e["text"] for e in events if e["author"]["handle"] != brand]
        ticket_id = ticket_of[f"goodwill:twitter:{events[0]['id']}"]
        public = [c["body"] for c in desk_comments(desk, ticket_id) if c["public"]]
        for text in customer_texts:
            assert sum(text in body for body in public) == 1, (ticket_id, text)
