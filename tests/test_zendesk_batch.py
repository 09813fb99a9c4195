"""A backlog of new conversations becomes tickets in bulk: real zenpy over HTTP against the stand-in."""
import time
from collections import Counter

import pytest
import requests
from sqlalchemy import func, select

import engine.outbox
from conftest import desk_comments, desk_tickets, start_goodwill
from engine.actions import zendesk_batch
from engine.db import Action, DeskPause
from integrations.zendesk.client import desk_client
from integrations.zendesk.desk import create_desk_app, serve_desk_in_thread

AUTH = ("agent@example.com/token", "test-token")
POLICY = """
policy: care
rules:
  - name: complaint
    when: {kind: [mention], not: {text: {contains_any: [misrouted]}}}
    then:
      - zendesk.ticket:
          priority: high
          group: Social care
          assignee: Kim Agent
          tags: [social, complaint]
          note: "Answer {author.handle} today."
          reply: "Sorry {author.name}, we are on it."
          fields: {Social platform: "{platform}"}
          problem: "{brand} deliveries"
  - name: misrouted
    when: {kind: [mention], text: {contains_any: [misrouted]}}
    then:
      - zendesk.ticket: {group: "424242", tags: [social]}
"""


def complaint(n, text="My parcel never arrived and nobody answers, refund please"):
    return {"id": f"9{n:05d}", "platform": "twitter", "kind": "mention", "brand": "BeanThere",
            "occurred_at": "2026-11-30T10:00:00Z", "text": f"@BeanThere {text} #{n}", "thread": f"9{n:05d}",
            "url": f"https://twitter.com/fan{n}/status/9{n:05d}",
            "author": {"id": f"u{n}", "handle": f"fan{n}", "name": f"Fan {n}"}}


def desk_requests(desk_url):
    return requests.get(f"{desk_url}/_desk/requests").json()["requests"]


def calls(sent, method, path):
    return [r for r in sent if r["method"] == method and r["path"].removesuffix(".json") == path]


@pytest.fixture
def policies(tmp_path):
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "care.yaml").write_text(POLICY)
    return folder


def start_desk(**options):
    url, server = serve_desk_in_thread(app=create_desk_app(**options))
    requests.post(f"{url}/api/v2/users.json", auth=AUTH,
                  json={"user": {"name": "Kim Agent", "role": "agent"}}).raise_for_status()
    return url, server


@pytest.fixture
def desk_url():
    url, server = start_desk()
    yield url
    server.shutdown()


def backlog(tmp_path, desk_url, policies, events, **settings):
    """Let events wait in the inbox, then start a worker: it decides them all, then drains the outbox."""
    app, server = start_goodwill(tmp_path, desk_url, policies=policies, workers=0, **settings)
    for event in events:
        assert app.send(event)["status"] == "accepted"
    app.runtime.start_workers(1)
    return app, server


def stop(app, server):
    server.shutdown()
    app.runtime.stop()


def ticket_actions(app):
    with app.runtime.sessionmaker() as session:
        return list(session.scalars(select(Action).where(Action.type == "zendesk.ticket")))


def assert_each_conversation_once(desk_url, count):
    tickets = [t for t in desk_tickets(desk_url) if t["type"] != "problem"]
    assert Counter(t["external_id"] for t in tickets) == Counter(
        f"goodwill:twitter:9{n:05d}" for n in range(count))
    for ticket in tickets:
        post, note = desk_comments(desk_url, ticket["id"])
        assert (post["public"], post["author_id"], note["public"]) == (True, ticket["requester_id"], False)
    return tickets


def test_a_backlog_of_250_complaints_becomes_250_tickets_in_three_create_many_calls(tmp_path, desk_url, policies):
    app, server = backlog(tmp_path, desk_url, policies, [complaint(n) for n in range(250)])
    try:
        app.drain()
    finally:
        stop(app, server)
    sent = desk_requests(desk_url)
    tickets = assert_each_conversation_once(desk_url, 250)
    assert len(calls(sent, "POST", "/api/v2/tickets/create_many")) == 3
    assert len(calls(sent, "POST", "/api/v2/users/create_or_update_many")) == 3
    assert len(calls(sent, "PUT", "/api/v2/tickets/update_many")) == 3
    # The only ticket made on its own is the problem the 250 are incidents of.
    assert [r["idempotency_key"] for r in calls(sent, "POST", "/api/v2/tickets")] == [
        "goodwill:problem:beanthere_deliveries#1"]
    # Nine jobs to poll, the problem, and looking up the group, field and agent names once.
    assert len(sent) <= 30
    assert len({t["requester_id"] for t in tickets}) == 250
    assert all(a.status == "done" and a.result["operation"] == "created" for a in ticket_actions(app))


def agent_view(desk_url):
    """What an agent sees of each conversation's ticket, with ids made comparable across desks."""
    users, problems = {}, {t["id"]: t["external_id"] for t in desk_tickets(desk_url) if t["type"] == "problem"}
    views = {}
    for ticket in desk_tickets(desk_url):
        if ticket["type"] == "problem":
            continue
        requester = users.setdefault(ticket["requester_id"], requests.get(
            f"{desk_url}/api/v2/users/{ticket['requester_id']}.json", auth=AUTH).json()["user"])
        identities = requests.get(f"{desk_url}/api/v2/users/{requester['id']}/identities.json", auth=AUTH).json()
        views[ticket["external_id"]] = {
            **{key: ticket[key] for key in ("subject", "type", "priority", "status", "tags", "group_id",
                                            "assignee_id", "custom_fields")},
            "problem": problems.get(ticket["problem_id"]),
            "requester": {key: requester[key] for key in ("name", "external_id", "user_fields")},
            "identities": sorted((i["type"], i["value"]) for i in identities["identities"]),
            "comments": [(c["body"], c["public"], c["author_id"] == ticket["requester_id"])
                         for c in desk_comments(desk_url, ticket["id"])]}
    return views


def test_a_batch_gives_agents_the_very_tickets_the_one_at_a_time_path_gives(tmp_path, policies):
    events = [complaint(n) for n in range(4)]
    one_url, one_server = start_desk()
    bulk_url, bulk_server = start_desk()
    for folder in ("single", "batched"):
        (tmp_path / folder).mkdir()
    single, single_server = start_goodwill(tmp_path / "single", one_url, policies=policies)
    try:
        for event in events:
            single.settled(single.send(event)["id"])
        batched, batched_server = backlog(tmp_path / "batched", bulk_url, policies, events)
        batched.drain()
        stop(batched, batched_server)
        assert calls(desk_requests(one_url), "POST", "/api/v2/tickets/create_many") == []
        assert len(calls(desk_requests(bulk_url), "POST", "/api/v2/tickets/create_many")) == 1
        assert agent_view(bulk_url) == agent_view(one_url)
        note = agent_view(bulk_url)["goodwill:twitter:900000"]["comments"][1][0]
        assert "Answer fan0 today." in note and "Suggested reply:\nSorry Fan 0, we are on it." in note
    finally:
        stop(single, single_server)
        one_server.shutdown()
        bulk_server.shutdown()


class WorkerKilled(BaseException):
    """The worker process dies: nothing after this line of its runs."""


def kill_after_zendesk_accepts(monkeypatch, hold_jobs_of=None):
    """Make the worker die right after Zendesk queued the tickets, before Goodwill records the job.

    With `hold_jobs_of` (a desk's URL), that desk's job is still queued when the worker dies.
    """
    save = engine.outbox._save_progress

    def save_or_die(runtime, items):
        if any(item.step == "created" for item in items):
            if hold_jobs_of:
                requests.post(f"{hold_jobs_of}/_desk/jobs", json={"hold": True}).raise_for_status()
            raise WorkerKilled
        save(runtime, items)
    monkeypatch.setattr(engine.outbox, "_save_progress", save_or_die)
    return lambda: monkeypatch.setattr(engine.outbox, "_save_progress", save)


def decide_all_then_die(app):
    app.runtime.services["desk"] = desk_client(app.settings)
    with pytest.raises(WorkerKilled):
        while app.runtime.work_once():
            pass


def work_until_drained(app):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not app.runtime.work_once():
            with app.runtime.sessionmaker() as session:
                if not session.scalar(select(func.count(Action.id)).where(Action.status != "done")):
                    return
            time.sleep(0.1)
    pytest.fail("actions left undone")


def test_a_worker_killed_after_create_many_was_accepted_never_duplicates_a_ticket(tmp_path, desk_url, policies,
                                                                                monkeypatch):
    app, server = start_goodwill(tmp_path, desk_url, policies=policies, workers=0, lease_seconds=1)
    try:
        for n in range(5):
            app.send(complaint(n))
        revive = kill_after_zendesk_accepts(monkeypatch)
        decide_all_then_die(app)
        revive()
        time.sleep(1.1)  # the dead worker's lease runs out
        work_until_drained(app)
    finally:
        stop(app, server)
    sent = desk_requests(desk_url)
    assert len(calls(sent, "POST", "/api/v2/tickets/create_many")) == 1
    # The retry could not know the tickets were made: it looked each conversation up, found its ticket.
    lookups = [r for r in calls(sent, "GET", "/api/v2/tickets") if "external_id=goodwill%3Atwitter" in r["query"]
               or "external_id=goodwill:twitter" in r["query"]]
    assert len(lookups) == 5
    assert_each_conversation_once(desk_url, 5)


def test_a_retry_waits_while_the_lost_job_is_still_queued(tmp_path, desk_url, policies, monkeypatch):
    monkeypatch.setattr(zendesk_batch, "EARLIER_JOB_WAIT", 0.2)
    app, server = start_goodwill(tmp_path, desk_url, policies=policies, workers=0, lease_seconds=1)
    try:
        for n in range(3):
            app.send(complaint(n))
        revive = kill_after_zendesk_accepts(monkeypatch, hold_jobs_of=desk_url)
        decide_all_then_die(app)
        revive()
        time.sleep(1.1)
        assert app.runtime.work_once()
        waiting = ticket_actions(app)
        assert {(a.status, a.attempts) for a in waiting} == {("retrying", 1)}
        assert "still running a job" in waiting[0].error
        requests.post(f"{desk_url}/_desk/jobs", json={"hold": False}).raise_for_status()
        work_until_drained(app)
    finally:
        stop(app, server)
    assert len(calls(desk_requests(desk_url), "POST", "/api/v2/tickets/create_many")) == 1
    assert_each_conversation_once(desk_url, 3)


@pytest.mark.parametrize("method, lost", [("POST", "/api/v2/tickets/create_many"),
                                          ("PUT", "/api/v2/tickets/update_many")])
def test_an_answer_lost_after_zendesk_acted_never_duplicates_a_ticket_or_note(tmp_path, desk_url, policies,
                                                                              method, lost):
    requests.post(f"{desk_url}/_desk/faults", json={"status": 502, "after": True, "path_prefix": lost}
                  ).raise_for_status()
    app, server = backlog(tmp_path, desk_url, policies, [complaint(n) for n in range(6)])
    try:
        app.drain()
    finally:
        stop(app, server)
    assert [r["status"] for r in calls(desk_requests(desk_url), method, lost)] == [502]
    assert_each_conversation_once(desk_url, 6)


def test_a_ticket_zendesk_refuses_is_dead_lettered_with_its_words_and_the_others_are_made(
        tmp_path, desk_url, policies):
    events = [complaint(n) for n in range(4)] + [complaint(4, "my order was misrouted to Leeds")]
    app, server = backlog(tmp_path, desk_url, policies, events)
    try:
        app.drain()
    finally:
        stop(app, server)
    outcomes = {a.event_id: (a.status, a.error) for a in ticket_actions(app)}
    assert sorted(status for status, _ in outcomes.values()) == ["dead", "done", "done", "done", "done"]
    [error] = [error for status, error in outcomes.values() if status == "dead"]
    assert error == "Zendesk refused the ticket: RecordInvalid: Group: is invalid"
    assert len(calls(desk_requests(desk_url), "POST", "/api/v2/tickets/create_many")) == 1
    assert_each_conversation_once(desk_url, 4)


def test_429_and_503_mid_batch_leave_every_ticket_made_exactly_once(tmp_path, desk_url, policies):
    for fault in ({"status": 503, "path_prefix": "/api/v2/tickets/create_many"},
                  {"status": 429, "retry_after": 1, "path_prefix": "/api/v2/job_statuses", "count": 2},
                  {"status": 429, "retry_after": 1, "path_prefix": "/api/v2/tickets/update_many"},
                  {"status": 503, "count": 3, "path_prefix": "/api/v2/users/create_or_update_many"},
                  {"status": 503, "probability": 0.1, "count": 10}):
        requests.post(f"{desk_url}/_desk/faults", json=fault).raise_for_status()
    app, server = backlog(tmp_path, desk_url, policies, [complaint(n) for n in range(150)])
    try:
        app.drain()
        with app.runtime.sessionmaker() as session:
            paused = session.get(DeskPause, "zendesk")
    finally:
        stop(app, server)
    requests.delete(f"{desk_url}/_desk/faults")
    statuses = Counter(r["status"] for r in desk_requests(desk_url))
    assert statuses[429] == 3 and statuses[503] >= 4 and "429" in paused.reason
    assert {a.status for a in ticket_actions(app)} == {"done"}
    assert_each_conversation_once(desk_url, 150)


def test_without_bulk_user_imports_requesters_are_made_one_by_one_and_tickets_still_in_bulk(
        tmp_path, policies):
    url, desk_server = start_desk(bulk_user_imports=False)
    app, server = backlog(tmp_path, url, policies, [complaint(n) for n in range(120)])
    try:
        app.drain()
    finally:
        stop(app, server)
        sent = desk_requests(url)
        desk_server.shutdown()
    assert [r["status"] for r in calls(sent, "POST", "/api/v2/users/create_or_update_many")] == [403]
    assert len(calls(sent, "POST", "/api/v2/users/create_or_update")) == 120
    assert len(calls(sent, "POST", "/api/v2/tickets/create_many")) == 2


def test_a_follow_up_in_the_backlog_comments_on_the_ticket_its_batch_made(tmp_path, desk_url, policies):
    follow_up = {**complaint(1, "still nothing, three days now"), "id": "800001", "thread": "900001",
                 "in_reply_to": "900001", "occurred_at": "2026-11-30T10:05:00Z"}
    app, server = backlog(tmp_path, desk_url, policies, [complaint(n) for n in range(3)] + [follow_up])
    try:
        app.drain()
    finally:
        stop(app, server)
    [ticket] = [t for t in desk_tickets(desk_url) if t["external_id"] == "goodwill:twitter:900001"]
    bodies = [c["body"] for c in desk_comments(desk_url, ticket["id"])]
    assert len(bodies) == 3 and "still nothing" in bodies[2] and "Answer fan1 today." in bodies[1]


def test_a_ticket_first_sent_alone_and_rate_limited_is_not_sent_again_by_a_batch(tmp_path, desk_url, policies):
    app, server = start_goodwill(tmp_path, desk_url, policies=policies, workers=0)
    try:
        app.runtime.services["desk"] = desk_client(app.settings)
        app.send(complaint(0))
        # Alone, the ticket goes the one-at-a-time way; its note meets a 429, which costs no attempt.
        requests.post(f"{desk_url}/_desk/faults", json={"status": 429, "retry_after": 1, "method": "PUT",
                                                        "path_prefix": "/api/v2/tickets/"}).raise_for_status()
        assert app.runtime.work_once() and app.runtime.work_once()
        [alone] = ticket_actions(app)
        assert (alone.status, alone.attempts) == ("retrying", 0)
        for n in range(1, 4):
            app.send(complaint(n))
        time.sleep(1.1)  # the desk's pause is over: the batch takes the first ticket along
        work_until_drained(app)
    finally:
        stop(app, server)
    assert len(calls(desk_requests(desk_url), "POST", "/api/v2/tickets/create_many")) == 1
    assert_each_conversation_once(desk_url, 4)
