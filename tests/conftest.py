"""Shared fixtures: a real Goodwill server and the Zendesk stand-in, both over HTTP."""
import base64
import importlib.util
import os
import secrets
import threading
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from engine.db import Action, InboxEvent
from engine.policy import RulesEngine, oracle_decide
from engine.policy.facts import fact_from_event
from engine.runtime import Runtime
from engine.sender import send_event
from engine.settings import Settings
from integrations.zendesk.desk import serve_desk_in_thread
from webhook_server import create_app

SHARED = Path(__file__).resolve().parents[2] / "shared"


def example_plugin():
    """Load the example plugin package's module by path, without installing it."""
    path = Path(__file__).resolve().parent / "plugin_example/goodwill_plugin_example/__init__.py"
    spec = importlib.util.spec_from_file_location("goodwill_plugin_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["oracle", "durable_rules"])
def decide(request):
    """Decide with plain Python or with the durable_rules engine: both must say the same."""
    engines = []

    def run(policy_set, event):
        fact = fact_from_event(event, policy_set.count_specs())
        if request.param == "oracle":
            return oracle_decide(policy_set, fact)
        engine = RulesEngine(policy_set)
        engines.append(engine)
        return engine.decide(fact)

    yield run
    for engine in engines:
        engine.close()


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.05):
    """Poll until predicate() is truthy and return it; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout}s")


@pytest.fixture
def desk():
    url, server = serve_desk_in_thread()
    yield url
    server.shutdown()


class Goodwill:
    """A running Goodwill: its URL, settings and helpers to send and inspect."""

    def __init__(self, url: str, settings: Settings, runtime: Runtime):
        self.url, self.settings, self.runtime = url, settings, runtime
        self.http = requests.Session()

    def send(self, event: dict) -> dict:
        return send_event(self.url, self.settings.webhook_secret, event, session=self.http)

    def api(self, path: str) -> requests.Response:
        return self.http.get(f"{self.url}/api/v1{path}",
                             headers={"Authorization": f"Bearer {self.settings.api_token}"})

    def event(self, event_id: str) -> dict:
        return self.api(f"/events/{event_id}").json()

    def settled(self, event_id: str, timeout: float = 30.0) -> dict:
        """Wait until the event is processed and none of its actions is still to run."""
        def done():
            body = self.event(event_id)
            finished = body["status"] != "received" and all(
                a["status"] in ("done", "dead") for a in body["actions"])
            return body if finished else None
        return wait_until(done, timeout)

    def drain(self, timeout: float = 600.0) -> None:
        """Wait until no event waits in the inbox and no action is left to run."""
        def drained():
            with self.runtime.sessionmaker() as session:
                waiting = session.scalar(select(func.count(InboxEvent.id))
                                         .where(InboxEvent.status == "received"))
                running = session.scalar(select(func.count(Action.id)).where(
                    Action.status.in_(("pending", "retrying", "running"))))
                return waiting == 0 and running == 0
        wait_until(drained, timeout=timeout, interval=0.5)


def start_goodwill(tmp_path, desk_url, policies=None, workers=1, **overrides) -> tuple:
    settings = Settings(
        database_url=overrides.pop("database_url", f"sqlite:///{tmp_path / 'goodwill.db'}"),
        zendesk_url=desk_url, zendesk_email="agent@example.com", zendesk_token="test-token",
        webhook_secret="whsec_" + base64.b64encode(secrets.token_bytes(24)).decode(),
        api_token=secrets.token_urlsafe(16), backoff_base=0.05, **overrides)
    if policies:
        settings.policies = Path(policies)
    runtime = Runtime(settings)
    runtime.start_workers(workers)
    server = make_server("127.0.0.1", 0, create_app(runtime=runtime), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Goodwill(f"http://127.0.0.1:{server.server_port}", settings, runtime), server


@pytest.fixture
def goodwill(tmp_path, desk):
    app, server = start_goodwill(tmp_path, desk)
    yield app
    server.shutdown()
    app.runtime.stop()


def desk_tickets(desk_url: str) -> list[dict]:
    """Every ticket the stand-in holds, through its Zendesk API, page after page."""
    tickets, url = [], f"{desk_url}/api/v2/tickets.json"
    while url:
        response = requests.get(url, auth=("agent@example.com/token", "x"))
        response.raise_for_status()
        page = response.json()
        tickets += page["tickets"]
        url = page["next_page"]
    return tickets


def desk_comments(desk_url: str, ticket_id: int) -> list[dict]:
    """The comments of one ticket in the stand-in."""
    response = requests.get(f"{desk_url}/api/v2/tickets/{ticket_id}/comments.json",
                            auth=("agent@example.com/token", "x"))
    response.raise_for_status()
    return response.json()["comments"]


def fresh_env() -> dict:
    """The environment without Goodwill settings, for CLI runs."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("GOODWILL_", "ZENDESK_"))}
