"""Shared by the admin, metrics and browser tests: an admin-enabled Goodwill and a dead action."""
import json
import re

import requests

from conftest import start_goodwill
from engine.cli import EXAMPLES

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


def start_admin(tmp_path, desk, **overrides):
    return start_goodwill(tmp_path, desk, secret_key="test-secret-key-0123456789",
                          admin_password=PASSWORD, **overrides)


def csrf_of(html: str) -> str:
    return CSRF.search(html).group(1)


def signed_in_session(url: str, password: str = PASSWORD) -> requests.Session:
    """A browser-like session signed in to /admin."""
    http = requests.Session()
    http.headers["Accept"] = "text/html"
    token = csrf_of(http.get(f"{url}/admin/login").text)
    answer = http.post(f"{url}/admin/login", data={"csrf_token": token, "password": password})
    assert answer.status_code == 200 and "Recent events" in answer.text
    return http


def make_dead_ticket_action(app, desk) -> tuple[str, str]:
    """Send a complaint while the desk fails; return (event id, its dead ticket action id)."""
    requests.post(f"{desk}/_desk/faults", json={"status": 500, "count": 100,
                                                 "path_prefix": "/api/v2"})
    event_id = app.send(example("01-complaint.json"))["id"]
    body = app.settled(event_id)
    action = next(a for a in body["actions"] if a["type"] == "zendesk.ticket")
    assert action["status"] == "dead"
    requests.delete(f"{desk}/_desk/faults")
    return event_id, action["id"]
