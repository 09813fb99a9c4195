"""Helpers of the loyalty, referral and identity tests: events, policies and API calls."""
import itertools
import textwrap

import pytest

from conftest import start_goodwill

_ids = itertools.count(1)


def event(kind: str, author_id: str, platform: str = "web", **fields) -> dict:
    """A SocialEvent of one author, with a fresh id and a time one minute after the last."""
    n = next(_ids)
    author = {"id": author_id, "handle": None, "name": fields.pop("name", author_id),
              "email": fields.pop("email", None)}
    return {"id": f"ev-{n}", "platform": platform, "kind": kind, "brand": "BeanThere",
            "occurred_at": f"2026-11-02T{10 + n // 60 % 10:02d}:{n % 60:02d}:00Z",
            "author": author, "text": None, **fields}


def policy_folder(tmp_path, **policies: str):
    """Write policies (name -> YAML text) into their own folder and return it."""
    folder = tmp_path / "policies"
    folder.mkdir(exist_ok=True)
    for name, text in policies.items():
        (folder / f"{name}.yaml").write_text(textwrap.dedent(text))
    return folder


def api_post(app, path: str, body):
    """POST JSON to /api/v1 with the bearer token."""
    return app.http.post(f"{app.url}/api/v1{path}", json=body,
                         headers={"Authorization": f"Bearer {app.settings.api_token}"})


def send_all(app, *events) -> list[dict]:
    """Send events one after another and wait until each is settled."""
    return [app.settled(app.send(e)["id"]) for e in events]


@pytest.fixture
def started(tmp_path, desk):
    """Start Goodwill with given policies (or the shipped ones); stop every one at the end."""
    running = []

    def start(policies=None, **overrides):
        app, server = start_goodwill(tmp_path, desk, policies, **overrides)
        running.append((app, server))
        return app
    yield start
    for app, server in running:
        server.shutdown()
        app.runtime.stop()
