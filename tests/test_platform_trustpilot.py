"""Trustpilot service-review webhooks through `/webhooks/trustpilot`, driven by fixtures."""
import json
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from conftest import desk_tickets, start_goodwill
from engine.counters import ITEMS_SKIPPED, totals
from engine.db import InboxEvent

FIXTURES = Path(__file__).resolve().parents[1] / "integrations/trustpilot/fixtures"
USER, PASSWORD = "trustpilot", "b3an-and-l3af-webhook-password"
REVIEW_ID = "6543bffd3600006400029a7c01"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def deliver(app, payload: dict, auth=(USER, PASSWORD)) -> requests.Response:
    return app.http.post(f"{app.url}/webhooks/trustpilot", data=json.dumps(payload), auth=auth,
                         headers={"Content-Type": "application/json"})


def stored_ids(app) -> list[str]:
    with app.runtime.sessionmaker() as session:
        return list(session.scalars(select(InboxEvent.external_id)))


@pytest.fixture
def receiver(tmp_path):
    app, server = start_goodwill(tmp_path, None, workers=0, trustpilot_webhook_user=USER,
                                 trustpilot_webhook_password=PASSWORD,
                                 trustpilot_brand="Bean & Leaf Coffee")
    yield app
    server.shutdown()
    app.runtime.stop()


def test_subscription_credentials_are_required_and_nothing_stored_without_them(receiver):
    for auth in (None, (USER, "guess"), ("someone", PASSWORD)):
        response = deliver(receiver, fixture("service_review_created"), auth=auth)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "bad_credentials"
    assert stored_ids(receiver) == []


def test_unconfigured_route_names_the_settings_to_set(tmp_path):
    app, server = start_goodwill(tmp_path, None, workers=0)
    try:
        response = deliver(app, fixture("service_review_created"))
        assert response.status_code == 503
        assert "TRUSTPILOT_WEBHOOK_USER" in response.json()["error"]["message"]
    finally:
        server.shutdown()


def test_new_review_keeps_stars_text_reviewer_and_link(receiver):
    response = deliver(receiver, fixture("service_review_created"))
    assert response.status_code == 200
    [answer] = response.json()["events"]
    event = receiver.event(answer["id"])["event"]
    assert (event["platform"], event["kind"], event["id"]) == ("trustpilot", "review", REVIEW_ID)
    assert event["rating"] == 1
    assert event["text"].startswith("Cold coffee, no refund\n\nOrdered two lattes")
    assert event["author"]["id"] == "53bffc3900006400017e5db8"
    assert event["author"]["name"] == "Kim Fan"
    assert event["url"] == f"https://www.trustpilot.com/reviews/{REVIEW_ID}"
    assert event["brand"] == "Bean & Leaf Coffee"
    assert event["thread"] == REVIEW_ID
    assert event["extra"]["reference_id"] == "BT-48213"


def test_edit_joins_the_review_and_each_distinct_edit_counts_once(receiver):
    [answer] = deliver(receiver, fixture("service_review_updated")).json()["events"]
    event = receiver.event(answer["id"])["event"]
    assert event["id"].startswith(f"{REVIEW_ID}:updated:")
    assert (event["thread"], event["in_reply_to"], event["rating"]) == (REVIEW_ID, REVIEW_ID, 3)
    again = deliver(receiver, fixture("service_review_updated")).json()["events"]
    assert again == [{**answer, "status": "duplicate"}]


def test_batch_stores_each_event_and_acknowledges_deletions(receiver):
    batch = {"events": [*fixture("service_review_created")["events"],
                        *fixture("service_review_deleted")["events"],
                        {"eventName": "service-review-created", "version": "1",
                         "eventData": {"id": "broken"}}]}
    before = totals(ITEMS_SKIPPED)
    body = deliver(receiver, batch).json()
    assert [e["external_id"] for e in body["events"]] == [REVIEW_ID]
    assert body["ignored"] == ["service-review-deleted"]
    assert [r["type"] for r in body["rejected"]] == ["service-review-created"]
    key = ("trustpilot", "service-review-deleted", "unknown")
    assert totals(ITEMS_SKIPPED)[key] == before.get(key, 0) + 1


@pytest.fixture
def working(tmp_path, desk):
    app, server = start_goodwill(tmp_path, desk, trustpilot_webhook_user=USER,
                                 trustpilot_webhook_password=PASSWORD)
    yield app
    server.shutdown()
    app.runtime.stop()


def test_a_one_star_review_becomes_a_ticket_on_its_own_conversation(working, desk):
    [answer] = deliver(working, fixture("service_review_created")).json()["events"]
    body = working.settled(answer["id"])
    assert any(a["type"] == "zendesk.ticket" and a["status"] == "done" for a in body["actions"])
    [ticket] = desk_tickets(desk)
    assert ticket["external_id"] == f"goodwill:trustpilot:{REVIEW_ID}"
