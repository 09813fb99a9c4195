"""Google review notifications are completed from the Business Profile API before a decision."""
import json
import logging

import pytest
import requests

from conftest import desk_comments, desk_tickets, start_goodwill, wait_until
from integrations.hydrate import complete_content
from platform_apis import GoogleApis, fixture

TOKEN = "pubsub-push-token-4f0c2b7e"
REVIEW = fixture("google", "review")
REPLIED = fixture("google", "review_replied")
ANONYMOUS = fixture("google", "review_anonymous")


def push(app, name: str) -> str:
    response = app.http.post(f"{app.url}/webhooks/google", params={"token": TOKEN},
                             data=json.dumps(fixture("google", name)),
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    return response.json()["events"][0]["id"]


@pytest.fixture
def google():
    apis = GoogleApis([REVIEW, ANONYMOUS])
    yield apis
    apis.shutdown()


@pytest.fixture
def working(tmp_path, desk, google):
    app, server = start_goodwill(tmp_path, desk, google_pubsub_token=TOKEN, **google.settings())
    yield app
    server.shutdown()
    app.runtime.stop()


def requester_name(desk: str, ticket: dict) -> str:
    response = requests.get(f"{desk}/api/v2/users/{ticket['requester_id']}.json",
                            auth=("agent@example.com/token", "x"))
    return response.json()["user"]["name"]


def test_review_notification_becomes_a_ticket_with_reviewer_stars_and_text(working, desk):
    body = working.settled(push(working, "new_review"))
    event = body["event"]
    assert (event["text"], event["rating"]) == (REVIEW["comment"], 2)
    assert event["author"]["name"] == "Dana Whitfield"
    assert event["extra"]["content"] == "fetched"
    assert event["extra"]["review_created_at"] == REVIEW["createTime"]
    [ticket] = desk_tickets(desk)
    assert requester_name(desk, ticket) == "Dana Whitfield"
    comments = desk_comments(desk, ticket["id"])
    assert any(REVIEW["comment"] in c["body"] and c["public"] for c in comments)
    assert any("Rating: 2/5" in c["body"] and not c["public"] for c in comments)


def test_anonymous_star_only_review_has_stars_and_no_name(working):
    event = working.settled(push(working, "new_review_anonymous"))["event"]
    assert (event["rating"], event["text"], event["author"]["name"]) == (5, None, None)
    assert event["extra"]["reviewer_anonymous"] is True


def test_one_access_token_serves_every_read_until_it_expires(working, google):
    working.settled(push(working, "new_review"))
    working.settled(push(working, "new_review_anonymous"))
    assert len(google.tokens_issued) == 1
    [first, second] = google.review_requests
    assert first["authorization"] == second["authorization"] == f"Bearer {google.tokens_issued[0]}"


def test_owners_reply_is_an_internal_note_on_the_reviews_ticket(working, desk, google):
    working.settled(push(working, "new_review"))
    google.reviews[REPLIED["name"]] = REPLIED
    update = working.settled(push(working, "updated_review"))
    assert update["event"]["extra"]["from_brand"] is True
    assert update["event"]["text"] == REPLIED["reviewReply"]["comment"]
    [ticket] = desk_tickets(desk)
    notes = [c["body"] for c in desk_comments(desk, ticket["id"]) if not c["public"]]
    assert any(f"Owner replied on Google:\n{REPLIED['reviewReply']['comment']}" in n for n in notes)


def test_an_unavailable_api_is_retried_and_makes_one_ticket(working, desk, google):
    google.faults = [503]
    body = working.settled(push(working, "new_review"))
    assert body["status"] == "processed"
    assert body["event"]["text"] == REVIEW["comment"]
    assert len(google.review_requests) == 2
    assert len(desk_tickets(desk)) == 1


def test_a_deleted_review_is_recorded_as_gone_and_not_ticketed(working, desk, google):
    del google.reviews[REVIEW["name"]]
    body = working.settled(push(working, "new_review"))
    assert body["status"] == "processed"
    assert desk_tickets(desk) == []
    event = body["event"]
    assert event["extra"]["content"] == "gone"
    assert "404 Requested entity was not found." in event["extra"]["content_error"]
    assert REVIEW["name"] in event["extra"]["content_error"]
    assert (event["text"], event["rating"]) == (None, None)
    assert len(google.review_requests) == 1  # a 404 is final: no retry


def test_stored_content_is_never_fetched_again(working, google):
    event_id = push(working, "new_review")
    working.settled(event_id)
    complete_content(working.runtime, event_id)
    assert len(google.review_requests) == 1
    assert working.event(event_id)["event"]["text"] == REVIEW["comment"]


def test_missing_credentials_are_named_on_the_event_and_warned_at_startup(tmp_path, desk, caplog):
    with caplog.at_level(logging.WARNING, logger="goodwill.hydrate"):
        app, server = start_goodwill(tmp_path, desk, google_pubsub_token=TOKEN)
    try:
        assert any("GOOGLE_REFRESH_TOKEN" in r.getMessage() for r in caplog.records)
        event_id = push(app, "new_review")
        body = wait_until(lambda: (b := app.event(event_id))["error"] and b)
        assert body["status"] == "received"
        assert "GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, GOOGLE_REFRESH_TOKEN" in body["error"]
        assert body["event"]["extra"]["content"] == "pending"
        assert desk_tickets(desk) == []
    finally:
        server.shutdown()
        app.runtime.stop()
