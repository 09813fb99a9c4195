"""Goodwill keeps Zendesk's first reply time of its own tickets, and a failing desk stops only that."""
import requests
from sqlalchemy import func, select

from admin_helpers import example
from conftest import start_goodwill, wait_until
from engine.db import DeskPause, TicketMetric, utcnow
from engine.ticket_metrics import sync_once

AUTH = ("agent@example.com/token", "test-token")


def agent_reply(desk: str, ticket_id: int) -> None:
    """Ann, an agent of the desk, answers the ticket publicly, as agents do in Zendesk."""
    ann = requests.post(f"{desk}/api/v2/users/create_or_update.json", auth=AUTH, json={
        "user": {"name": "Ann", "email": "ann@example.com", "role": "agent"}}).json()["user"]
    answer = requests.put(f"{desk}/api/v2/tickets/{ticket_id}.json", auth=AUTH, json={
        "ticket": {"comment": {"body": "Sorry, a new grinder leaves today", "author_id": ann["id"]}}})
    answer.raise_for_status()


def ticket_of(body: dict) -> int:
    [action] = [a for a in body["actions"] if a["type"] == "zendesk.ticket"]
    assert action["status"] == "done"
    return action["result"]["ticket_id"]


def stored(app, ticket_id: int) -> TicketMetric | None:
    with app.runtime.sessionmaker() as session:
        return session.get(TicketMetric, ticket_id)


def metrics_requests(desk: str, ticket_id: int) -> int:
    asked = requests.get(f"{desk}/_desk/requests").json()["requests"]
    return sum(r["path"].removesuffix(".json") == f"/api/v2/tickets/{ticket_id}/metrics" for r in asked)


def test_workers_keep_the_first_reply_once_an_agent_answers(tmp_path, desk):
    app, server = start_goodwill(tmp_path, desk, ticket_metrics_every=0.2)
    try:
        ticket_id = ticket_of(app.settled(app.send(example("01-complaint.json"))["id"]))
        row = wait_until(lambda: (r := stored(app, ticket_id)) and r.checked_at and r)
        assert row.reply_minutes is None
        assert (row.platform, row.policy, row.rule) == ("twitter", "complaints", "public-complaint")

        agent_reply(desk, ticket_id)
        row = wait_until(lambda: (r := stored(app, ticket_id)) and r.reply_minutes is not None and r)
        assert (row.reply_minutes, row.reply_business_minutes) == (0, 0)

        # A reply time is final: later passes ask about the newer, unanswered ticket only.
        asked = metrics_requests(desk, ticket_id)
        question = ticket_of(app.settled(app.send(example("04-question.json"))["id"]))
        wait_until(lambda: metrics_requests(desk, question) >= 2)
        assert metrics_requests(desk, ticket_id) == asked
    finally:
        server.shutdown()
        app.runtime.stop()


def test_a_failing_desk_leaves_events_flowing_and_the_sync_tries_again(tmp_path, desk):
    app, server = start_goodwill(tmp_path, desk, ticket_metrics_every=0)
    try:
        ticket_id = ticket_of(app.settled(app.send(example("01-complaint.json"))["id"]))
        requests.post(f"{desk}/_desk/faults", json={
            "status": 503, "count": 100, "path_prefix": f"/api/v2/tickets/{ticket_id}/metrics"})
        assert sync_once(app.runtime) == {"found": 1, "checked": 0, "answered": 0}

        question = app.settled(app.send(example("04-question.json"))["id"])
        assert ticket_of(question) != ticket_id

        requests.delete(f"{desk}/_desk/faults")
        agent_reply(desk, ticket_id)
        assert sync_once(app.runtime) == {"found": 1, "checked": 2, "answered": 1}
        assert stored(app, ticket_id).reply_minutes == 0 and stored(app, ticket_id).error is None
    finally:
        server.shutdown()
        app.runtime.stop()


def test_a_rate_limit_pauses_the_desk_and_the_sync_waits_it_out(tmp_path, desk):
    app, server = start_goodwill(tmp_path, desk, ticket_metrics_every=0)
    try:
        ticket_id = ticket_of(app.settled(app.send(example("01-complaint.json"))["id"]))
        requests.post(f"{desk}/_desk/faults", json={
            "status": 429, "count": 1, "retry_after": 60, "path_prefix": f"/api/v2/tickets/{ticket_id}/metrics"})
        assert sync_once(app.runtime)["checked"] == 0
        with app.runtime.sessionmaker() as session:
            paused_until = session.scalar(select(DeskPause.paused_until))
        assert 50 < (paused_until - utcnow()).total_seconds() <= 60

        asked = metrics_requests(desk, ticket_id)
        assert sync_once(app.runtime)["checked"] == 0
        assert metrics_requests(desk, ticket_id) == asked

        # Events are still decided on; the desk's own actions wait for the pause it asked for.
        event_id = app.send(example("04-question.json"))["id"]
        body = wait_until(lambda: (b := app.event(event_id))["status"] == "processed" and b)
        [ticket] = [a for a in body["actions"] if a["type"] == "zendesk.ticket"]
        assert body["decisions"] and ticket["status"] == "pending" and ticket["attempts"] == 0
    finally:
        server.shutdown()
        app.runtime.stop()


def test_a_deleted_ticket_is_not_asked_about_again(tmp_path, desk):
    app, server = start_goodwill(tmp_path, desk, ticket_metrics_every=0)
    try:
        ticket_id = ticket_of(app.settled(app.send(example("01-complaint.json"))["id"]))
        requests.post(f"{desk}/_desk/faults", json={
            "status": 404, "count": 1, "path_prefix": f"/api/v2/tickets/{ticket_id}/metrics"})
        assert sync_once(app.runtime)["checked"] == 0
        assert "404" in stored(app, ticket_id).error
        assert sync_once(app.runtime) == {"found": 0, "checked": 0, "answered": 0}
        with app.runtime.sessionmaker() as session:
            assert session.scalar(select(func.count()).select_from(TicketMetric)) == 1
    finally:
        server.shutdown()
        app.runtime.stop()
