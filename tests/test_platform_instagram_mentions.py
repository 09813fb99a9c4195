"""Instagram `mentions` webhooks are completed from the Graph API before they are decided."""
import json

import pytest

from conftest import desk_comments, desk_tickets, start_goodwill, wait_until
from integrations.meta.adapter import signature
from platform_apis import GraphApi, fixture

APP_SECRET = "6d1c0a8b3f2e4d5c9a7b1e0f2a3c4d5e"
ACCOUNT = "17841400008460056"
COMMENT = fixture("meta", "mentioned_comment")["mentioned_comment"]
MEDIA = fixture("meta", "mentioned_media")["mentioned_media"]


def deliver(app, name: str) -> str:
    body = json.dumps(fixture("meta", name)).encode()
    response = app.http.post(f"{app.url}/webhooks/meta", data=body,
                             headers={"Content-Type": "application/json",
                                      "X-Hub-Signature-256": signature(APP_SECRET, body)})
    assert response.status_code == 200
    return response.json()["events"][0]["id"]


def graph_api(refused_fields=()) -> GraphApi:
    responses = [fixture("meta", "mentioned_comment"), fixture("meta", "mentioned_media")]
    return GraphApi(ACCOUNT, responses, refused_fields)


@pytest.fixture
def graph():
    api = graph_api()
    yield api
    api.shutdown()


def start(tmp_path, desk, graph: GraphApi | None):
    settings = graph.settings() if graph else {}
    return start_goodwill(tmp_path, desk, meta_app_secret=APP_SECRET, **settings)


@pytest.fixture
def working(tmp_path, desk, graph):
    app, server = start(tmp_path, desk, graph)
    yield app
    server.shutdown()
    app.runtime.stop()


def test_comment_mention_gets_its_text_author_and_link_and_a_ticket(working, desk, graph):
    event = working.settled(deliver(working, "instagram_mention_comment"))["event"]
    assert (event["platform"], event["kind"]) == ("instagram", "mention")
    assert event["id"] == COMMENT["id"]
    assert event["text"] == COMMENT["text"]
    assert event["author"]["handle"] == "oat.milk.ollie"
    assert event["url"] == COMMENT["media"]["permalink"]
    assert event["extra"]["posted_at"] == COMMENT["timestamp"]
    [request] = graph.requests
    assert request["node"] == ACCOUNT
    assert request["fields"].startswith(f"mentioned_comment.comment_id({COMMENT['id']}){{")
    assert request["authorization"] == f"Bearer {GraphApi.ACCESS_TOKEN}"
    [ticket] = desk_tickets(desk)
    assert any(COMMENT["text"] in c["body"] for c in desk_comments(desk, ticket["id"]))


def test_caption_mention_gets_the_caption(working):
    event = working.settled(deliver(working, "instagram_mention_caption"))["event"]
    assert (event["id"], event["text"]) == (MEDIA["id"], MEDIA["caption"])
    assert (event["author"]["handle"], event["url"]) == ("kim.fan", MEDIA["permalink"])


def test_a_refused_field_still_reads_the_mention_with_the_documented_fields(tmp_path, desk):
    graph = graph_api(refused_fields=("permalink",))
    app, server = start(tmp_path, desk, graph)
    try:
        event = app.settled(deliver(app, "instagram_mention_comment"))["event"]
        assert (event["text"], event["url"]) == (COMMENT["text"], None)
        assert len(graph.requests) == 2
    finally:
        server.shutdown()
        app.runtime.stop()
        graph.shutdown()


def test_a_deleted_comment_is_recorded_as_gone_and_not_ticketed(tmp_path, desk):
    graph = GraphApi(ACCOUNT, [])
    app, server = start(tmp_path, desk, graph)
    try:
        body = app.settled(deliver(app, "instagram_mention_comment"))
        assert body["status"] == "processed"
        assert body["event"]["extra"]["content"] == "gone"
        assert "does not exist" in body["event"]["extra"]["content_error"]
        assert len(graph.requests) == 1
        assert desk_tickets(desk) == []
    finally:
        server.shutdown()
        app.runtime.stop()
        graph.shutdown()


def test_without_a_page_access_token_the_event_names_the_setting(tmp_path, desk):
    app, server = start(tmp_path, desk, None)
    try:
        event_id = deliver(app, "instagram_mention_comment")
        body = wait_until(lambda: (b := app.event(event_id))["error"] and b)
        assert body["status"] == "received"
        assert "META_PAGE_ACCESS_TOKEN" in body["error"]
        assert desk_tickets(desk) == []
    finally:
        server.shutdown()
        app.runtime.stop()
