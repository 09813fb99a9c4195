"""Production stack: PostgreSQL, worker processes that can die, gunicorn in front."""
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections import Counter

import pytest
import requests
from sqlalchemy import create_engine, func, select, text

from conftest import SHARED, desk_comments, desk_tickets, fresh_env, start_goodwill, wait_until
from engine import kpis
from engine.db import Action, InboxEvent
from engine.replay import conversation_events, deliveries
from engine.sender import send_event
from engine.ticket_metrics import sync_once
from integrations.zendesk.ticket_body import event_marker
from test_ticket_metrics import agent_reply, ticket_of

ADMIN_URL = os.environ.get("GOODWILL_TEST_POSTGRES_URL")
CORPUS = SHARED / "corpora/twitter-care/conversations.json"


def _reachable(url: str | None) -> bool:
    if not url:
        return False
    try:
        with create_engine(url).connect():
            return True
    except Exception:
        return False


pytestmark = pytest.mark.skipif(not _reachable(ADMIN_URL),
                                reason="no PostgreSQL: set GOODWILL_TEST_POSTGRES_URL "
                                       "(make test starts one through tests/services.sh)")


@pytest.fixture
def pg_url():
    """A fresh, empty database of its own for each test."""
    name = f"goodwill_{uuid.uuid4().hex[:12]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def cli(*args, env, **kwargs):
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120, **kwargs)


def test_database_behind_the_code_is_refused_until_upgraded(pg_url):
    env = {**fresh_env(), "GOODWILL_DATABASE_URL": pg_url}
    refused = cli("worker", env=env)
    assert refused.returncode == 1
    assert "goodwill db upgrade" in refused.stderr
    upgraded = cli("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "at migration" in upgraded.stdout


def test_signed_event_to_ticket_on_postgres(pg_url, tmp_path, desk):
    assert cli("db", "upgrade", env={**fresh_env(), "GOODWILL_DATABASE_URL": pg_url}).returncode == 0
    app, server = start_goodwill(tmp_path, desk, database_url=pg_url)
    try:
        event = next(e for e in deliveries(CORPUS, limit=1))
        first = app.send(event)
        assert app.send(event)["status"] == "duplicate"
        body = app.settled(first["id"])
        assert [a["status"] for a in body["actions"]] == ["done"]
        assert len(desk_tickets(desk)) == 1
    finally:
        server.shutdown()
        app.runtime.stop()


def test_receiver_answers_503_when_the_database_is_gone(pg_url, tmp_path, desk):
    assert cli("db", "upgrade", env={**fresh_env(), "GOODWILL_DATABASE_URL": pg_url}).returncode == 0
    app, server = start_goodwill(tmp_path, desk, database_url=pg_url, workers=0)
    try:
        name = pg_url.rsplit("/", 1)[1]
        with create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        answer = app.send(next(e for e in deliveries(CORPUS, limit=1)))
        assert answer["http_status"] == 503
        assert answer["error"]["code"] == "database_unavailable"
    finally:
        server.shutdown()
        app.runtime.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_receiver_accepts_and_stops_gracefully_on_sigterm(pg_url):
    env = {**fresh_env(), "GOODWILL_DATABASE_URL": pg_url,
           "GOODWILL_WEBHOOK_SECRET": "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQ="}
    assert cli("db", "upgrade", env=env).returncode == 0
    port = _free_port()
    gunicorn = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "-w", "2",
         "-b", f"127.0.0.1:{port}", "webhook_server:create_app()"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(f"{url}/healthz"), timeout=30)
        answer = send_event(url, env["GOODWILL_WEBHOOK_SECRET"],
                            next(e for e in deliveries(CORPUS, limit=1)))
        assert answer["http_status"] == 202
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        output, _ = gunicorn.communicate(timeout=60)
    assert gunicorn.returncode == 0, output


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _counts(url: str) -> tuple[int, int, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        waiting = conn.scalar(select(func.count()).select_from(InboxEvent)
                              .where(InboxEvent.status == "received"))
        unfinished = conn.scalar(select(func.count()).select_from(Action)
                                 .where(Action.status.in_(("pending", "retrying", "running"))))
        done = conn.scalar(select(func.count()).select_from(Action)
                           .where(Action.status == "done"))
    engine.dispose()
    return waiting, unfinished, done


def test_worker_processes_share_the_work_and_a_sigkill_repeats_no_side_effect(pg_url, tmp_path,
                                                                             desk):
    env = {**fresh_env(), "GOODWILL_DATABASE_URL": pg_url, "ZENDESK_URL": desk,
           "ZENDESK_EMAIL": "agent@example.com", "ZENDESK_TOKEN": "t",
           "GOODWILL_LEASE_SECONDS": "3"}
    assert cli("db", "upgrade", env=env).returncode == 0
    receiver, server = start_goodwill(tmp_path, desk, database_url=pg_url, workers=0)
    workers = []
    try:
        sent = deliveries(CORPUS, limit=40)
        assert {receiver.send(e)["status"] for e in sent} == {"accepted", "duplicate"}
        start = lambda: subprocess.Popen([sys.executable, "-m", "engine.cli", "worker",
                                          "--concurrency", "2"], env=env,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        workers = [start(), start()]
        wait_until(lambda: _counts(pg_url)[2] >= 8, timeout=120, interval=0.05)
        workers[0].kill()  # SIGKILL: whatever it held stays claimed until its lease ends
        workers.append(start())
        wait_until(lambda: _counts(pg_url)[:2] == (0, 0), timeout=300, interval=0.5)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=60)
        server.shutdown()
        receiver.runtime.stop()

    conversations = [conversation_events(c) for c in
                     __import__("json").loads(CORPUS.read_text())[:40]]
    threads = {events[0]["id"] for events in conversations}
    tickets = desk_tickets(desk)
    assert Counter(t["external_id"] for t in tickets) == Counter(
        f"goodwill:twitter:{t}" for t in threads)
    ticket_of = {t["external_id"]: t["id"] for t in tickets}
    for events in conversations:
        brand = events[0]["brand"]
        public = [c["body"] for c in desk_comments(desk, ticket_of[f"goodwill:twitter:{events[0]['id']}"])
                  if c["public"]]
        for event in events:
            if event["author"]["handle"] != brand:
                marker = event_marker(event["id"])
                assert sum(marker in b.splitlines() for b in public) == 1, event["id"]


def test_first_reply_sync_and_kpis_on_postgres(pg_url, tmp_path, desk):
    assert cli("db", "upgrade", env={**fresh_env(), "GOODWILL_DATABASE_URL": pg_url}).returncode == 0
    app, server = start_goodwill(tmp_path, desk, database_url=pg_url, ticket_metrics_every=0)
    try:
        event = next(e for e in deliveries(CORPUS, limit=1))
        agent_reply(desk, ticket_of(app.settled(app.send(event)["id"])))
        assert sync_once(app.runtime) == {"found": 1, "checked": 1, "answered": 1}
        with app.runtime.sessionmaker() as session:
            figures = kpis.compute(session, kpis.parse_period("1d"))
        assert figures["first_response"]["answered"] == 1 and figures["rewards"]["cost"] == 0.0
    finally:
        server.shutdown()
        app.runtime.stop()
