"""Torture tests of the production stack: real conversations replayed through gunicorn, two
`goodwill worker` processes, the Zendesk stand-in and PostgreSQL, while deliveries repeat,
workers die, the desk fails and the database restarts. Each run must leave exactly what a
calm replay leaves. `pytest -s` shows the measured counts."""
import json
import random
import shutil
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from conftest import SHARED, start_goodwill, wait_until
from engine.policy.model import policy_files
from engine.replay import deliveries
from engine.settings import shipped_policies_dir
from integrations.zendesk.desk import create_desk_app, serve_desk_in_thread
from test_postgres import ADMIN_URL, _reachable
from torture_outcome import (action_statuses, claims_held, conversation_of, difference,
                             early_retries, outcome, report, taken_over)
from torture_stack import Stack, ThrowawayCluster, drop_database, fresh_database

CORPUS = SHARED / "corpora/twitter-care/conversations.json"
# Sized so that the whole file runs in about five minutes on two cores.
CONVERSATIONS = 40
ROOMY = 100_000
# Past the 10 s that Goodwill's Zendesk client waits for an answer.
TIMEOUT_HOLD = 11

pytestmark = [
    pytest.mark.skipif(not CORPUS.exists(), reason=f"corpus not found at {CORPUS}"),
    pytest.mark.skipif(not _reachable(ADMIN_URL),
                       reason="no PostgreSQL: set GOODWILL_TEST_POSTGRES_URL "
                              "(make test starts one through tests/services.sh)"),
]


# The corpus holds almost no praise, so the shipped policies credit next to nothing; this one
# credits every customer post, and once a month a bonus, so that workers race on the ledger.
LOYALTY_POLICY = """
policy: loyalty
description: Points for every post, and a bonus at most once a month.
rules:
  - name: points-for-writing
    when: {kind: [mention, reply]}
    then:
      - loyalty.credit: {points: 1}
  - name: monthly-bonus
    when: {kind: [mention, reply]}
    then:
      - loyalty.credit: {points: 10, limit: {max: 1, within: 30d}}
"""


@pytest.fixture(scope="module")
def replay() -> list[dict]:
    return deliveries(CORPUS, limit=CONVERSATIONS)


@pytest.fixture(scope="module")
def policies(tmp_path_factory) -> Path:
    """The shipped policies and the loyalty policy above."""
    folder = tmp_path_factory.mktemp("policies")
    for policy in policy_files(shipped_policies_dir()):
        shutil.copy(policy, folder)
    (folder / "loyalty.yaml").write_text(LOYALTY_POLICY)
    return folder


@pytest.fixture(scope="module")
def calm(replay, policies, tmp_path_factory):
    """What the generic replay leaves with nothing going wrong: one process, SQLite."""
    desk_url, desk = serve_desk_in_thread(app=create_desk_app(rate_limit=ROOMY))
    folder = tmp_path_factory.mktemp("calm")
    app, server = start_goodwill(folder, desk_url, policies=policies, workers=1)
    try:
        for event in replay:
            assert app.send(event)["http_status"] == 202
        app.drain(timeout=300)
        expected = outcome(desk_url, app.settings.database_url)
        statuses = action_statuses(app.settings.database_url)
    finally:
        server.shutdown()
        app.runtime.stop()
        desk.shutdown()
    tickets = Counter(item[1] for item in expected.elements() if item[0] == "ticket")
    assert tickets and max(tickets.values()) == 1
    assert set(statuses) == {"done"}
    return expected


@pytest.fixture
def production(tmp_path, policies):
    """Start a stack on a fresh database; everything started is stopped and dropped afterwards."""
    started = []

    def start(desk_app=None, admin_url=ADMIN_URL, **settings) -> tuple[Stack, str]:
        desk_url, desk = serve_desk_in_thread(app=desk_app or create_desk_app(rate_limit=ROOMY))
        stack = Stack(fresh_database(admin_url), desk_url, tmp_path,
                      GOODWILL_POLICIES=str(policies), **settings)
        started.append((stack, desk, admin_url))
        return stack.start(), desk_url

    yield start
    for stack, desk, admin_url in started:
        stack.stop()
        # Kept beside the processes' logs, to read after a failure.
        (tmp_path / "desk-requests.json").write_text(
            requests.get(f"{stack.env['ZENDESK_URL']}/_desk/requests").text)
        desk.shutdown()
        drop_database(admin_url, stack.database_url)


def unique(events: list[dict]) -> list[dict]:
    return list({event["id"]: event for event in events}.values())


def send_all(stack: Stack, events: list[dict]) -> Counter:
    """Deliver each event once, in order; return the answers' statuses."""
    return Counter(stack.post(json.dumps(event)).json()["status"] for event in events)


def test_every_delivery_sent_three_times_at_once_gives_one_ticket_and_one_credit(
        replay, calm, production):
    stack, desk_url = production(GOODWILL_LEASE_SECONDS="30")
    events = unique(replay)

    def deliver(barrier, body, message_id):
        barrier.wait()
        answer = stack.post(body, message_id)
        return answer.status_code, answer.json()["status"]

    answers = Counter()
    with ThreadPoolExecutor(3) as pool:
        for event in events:
            body, barrier, shared_id = json.dumps(event), threading.Barrier(3), f"msg_{uuid.uuid4().hex}"
            # A platform's retry keeps its webhook-id; a second subscription sends its own.
            copies = [pool.submit(deliver, barrier, body, m) for m in (shared_id, shared_id, None)]
            answers[tuple(sorted(copy.result() for copy in copies))] += 1
    stack.drain()
    got = outcome(desk_url, stack.database_url)
    print(report("every delivery three times at once", calm, got, events=len(events),
                 deliveries=3 * len(events), answers=dict(answers)))
    assert answers == {((202, "accepted"), (202, "duplicate"), (202, "duplicate")): len(events)}
    assert got == calm, difference(calm, got)


def test_workers_killed_ten_times_mid_replay_lose_and_double_nothing(replay, calm, production):
    # A killed worker's claims wait out their lease; a live worker's never do, even in a batch.
    stack, desk_url = production(GOODWILL_LEASE_SECONDS="15")
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    sent = Counter()
    sender = threading.Thread(target=lambda: sent.update(send_all(stack, replay)))
    started = time.monotonic()
    sender.start()
    kills, mid_work = 0, 0
    while kills < 10:
        ready = [w for w in stack.workers if stack.worker_ready(w)]
        if not ready:
            time.sleep(0.05)
            continue
        time.sleep(rng.uniform(0.2, 1.5))
        victim = rng.choice(ready)
        mid_work += claims_held(stack.database_url) > 0
        victim.kill()  # SIGKILL: no clean-up, its claims wait for their lease to end
        victim.wait()
        kills += 1
        stack.workers[stack.workers.index(victim)] = stack.start_worker()
    sender.join()
    killing = time.monotonic() - started
    stack.drain()
    got = outcome(desk_url, stack.database_url)
    print(report("workers SIGKILLed", calm, got, events=len(unique(replay)), deliveries=len(replay),
                 seconds_killing=round(killing), seconds_in_all=round(time.monotonic() - started),
                 kills=kills, kills_while_work_was_claimed=mid_work,
                 work_taken_over_after_a_lease=taken_over(stack.database_url), seed=seed))
    assert sent["accepted"] == len(unique(replay))
    assert got == calm, difference(calm, got)


TIMEOUT = {"status": 504, "after": True, "delay": TIMEOUT_HOLD}
TICKET_CREATION = {"method": "POST", "path_prefix": "/api/v2/tickets"}
# The first ticket creations time out, then one answers 502, each once the ticket exists;
# then about one request in five fails. The 429s fall on ticket requests, whose conversation
# the request log tells (a bulk one carries many), so that each retry's wait can be checked.
FAULTS = [
    {**TIMEOUT, **TICKET_CREATION, "count": 2},
    {"status": 502, "after": True, **TICKET_CREATION, "count": 1},
    {"status": 429, "retry_after": 1, "probability": 0.06, "path_prefix": "/api/v2/tickets"},
    {"status": 500, "probability": 0.08},
    {"status": 502, "after": True, "probability": 0.07},
    # Few: each holds a worker for the client's whole timeout.
    {**TIMEOUT, **TICKET_CREATION, "probability": 0.1, "count": 3},
]


def test_a_desk_failing_one_request_in_five_gets_every_action_once(replay, calm, production):
    # An action makes several requests, so it takes many attempts: the outbox may try often
    # and soon. Zendesk's rate limit is the stand-in's default.
    stack, desk_url = production(desk_app=create_desk_app(), GOODWILL_MAX_ATTEMPTS="40",
                                 GOODWILL_BACKOFF_BASE="1.25", GOODWILL_LEASE_SECONDS="60")
    for fault in FAULTS:
        requests.post(f"{desk_url}/_desk/faults", json={"count": 10**6, **fault}).raise_for_status()
    sent = send_all(stack, replay)
    stack.drain(timeout=300)
    requests.delete(f"{desk_url}/_desk/faults")
    log = requests.get(f"{desk_url}/_desk/requests").json()["requests"]
    got = outcome(desk_url, stack.database_url)
    injected = Counter(entry["fault"] for entry in log if entry["fault"])
    early, checked = early_retries(log, conversation_of(desk_url, stack.database_url))
    rate_refusals = sum(entry["status"] == 429 and not entry["fault"] for entry in log)
    print(report("desk failing", calm, got, events=len(unique(replay)), deliveries=len(replay),
                 desk_requests=len(log), faults_injected=dict(injected),
                 fault_share=f"{sum(injected.values()) / len(log):.0%}",
                 retries_before_retry_after=f"{early} of {checked} checked",
                 refusals_for_the_real_rate_limit=rate_refusals,
                 actions=dict(action_statuses(stack.database_url))))
    assert set(injected) == {"429", "500", "502 after", f"504 after, held {TIMEOUT_HOLD}s"}
    assert sent["accepted"] == len(unique(replay))
    assert set(action_statuses(stack.database_url)) == {"done"}
    assert got == calm, difference(calm, got)
    assert checked and early == 0
    assert rate_refusals == 0


@pytest.fixture
def cluster():
    """A PostgreSQL cluster of this test's own, which it may stop without harming others."""
    own = ThrowawayCluster()
    if own.bin is None:
        pytest.skip("no initdb/pg_ctl on this machine to run a cluster that may be restarted")
    yield own.create()
    own.remove()


def test_postgres_restarted_mid_replay_loses_nothing_accepted(replay, calm, cluster, production):
    stack, desk_url = production(admin_url=cluster.url, GOODWILL_LEASE_SECONDS="15")
    workers = [w.pid for w in stack.workers]
    answers, refusals = Counter(), []
    halfway = threading.Event()

    def platform():
        """Deliver in order; a refused delivery is delivered again, as platforms retry."""
        for number, event in enumerate(replay):
            body = json.dumps(event)
            while (answer := stack.post(body)).status_code >= 500:
                refusals.append((answer.status_code, answer.json()))
                time.sleep(0.2)
            answers[(answer.status_code, answer.json()["status"])] += 1
            if number == len(replay) // 3:
                halfway.set()

    sender = threading.Thread(target=platform)
    sender.start()
    halfway.wait(timeout=120)
    cluster.stop()
    wait_until(lambda: len(refusals) >= 5, timeout=30)
    time.sleep(2)
    refused_while_down = len(refusals)
    cluster.start()
    sender.join()
    stack.drain()
    got = outcome(desk_url, stack.database_url)
    print(report("PostgreSQL restarted", calm, got, events=len(unique(replay)), deliveries=len(replay),
                 answers_503_while_down=refused_while_down,
                 answers_503_once_it_was_back=len(refusals) - refused_while_down,
                 worker_processes_restarted=sum(w.pid not in workers for w in stack.workers)))
    assert answers[(202, "accepted")] == len(unique(replay))
    assert all(status == 503 and set(body["error"]) == {"code", "message", "field"}
               and body["error"]["code"] == "database_unavailable" for status, body in refusals)
    assert all(w.poll() is None for w in stack.workers)
    assert got == calm, difference(calm, got)
