"""Safe hot reload: an edit runs only once it validates and its policy tests pass."""
import hashlib
import os
import threading

import requests
from sqlalchemy import select

from admin_helpers import signed_in_session, start_admin
from conftest import start_goodwill, wait_until
from engine.db import Decision, InboxEvent
from engine.sender import send_event

TESTS = """cases:
  - name: a like is guarded
    event: {kind: like}
    expect: {rules: [guard]}
"""
# Not YAML: the flow sequence opened on line 3 is still open when the file ends on line 4.
BROKEN = "policy: flow\nrules:\n  - name: [v-broken\n"


def flow(tag: str, guard_kind: str = "like") -> str:
    """A policy whose two mention rules carry `tag` in their names; its test checks `guard`."""
    return f"""policy: flow
rules:
  - name: guard
    labels: [guarded]
    when: {{kind: {guard_kind}}}
    then: []
  - name: {tag}-first
    labels: [first]
    when: {{kind: mention}}
    then: []
  - name: {tag}-second
    labels: [second]
    when: {{kind: mention}}
    then: []
"""


FAILING = flow("v-failing", guard_kind="share")


def version(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:7]


def write(path, text: str) -> None:
    """Replace a file in one step, as an editor or a deploy does."""
    temporary = path.with_name(f".{path.name}.new")
    temporary.write_text(text)
    os.replace(temporary, path)


def policy_folder(tmp_path, text: str):
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "flow.yaml").write_text(text)
    (folder / "flow_test.yaml").write_text(TESTS)
    return folder


def mention(n: int) -> dict:
    return {"id": f"m{n}", "platform": "twitter", "kind": "mention",
            "occurred_at": "2026-11-02T09:15:00Z", "author": {"id": f"author-{n}"},
            "brand": "BeanThere", "text": f"hello number {n}"}


class Sender(threading.Thread):
    """Posts signed mentions one after another until stopped; remembers every accepted id."""

    def __init__(self, app):
        super().__init__(daemon=True)
        self.app, self.stopped = app, threading.Event()
        self.accepted, self.refused = [], []

    def run(self):
        with requests.Session() as http:
            n = 0
            while not self.stopped.is_set():
                answer = send_event(self.app.url, self.app.settings.webhook_secret, mention(n),
                                    session=http)
                accepted = answer.get("status") == "accepted"
                (self.accepted if accepted else self.refused).append(answer)
                n += 1
                self.stopped.wait(0.01)


def policies(app) -> dict:
    response = app.api("/policies")
    assert response.status_code == 200
    return response.json()


def running_version(app) -> str | None:
    return next(p["version"] for p in policies(app)["policies"] if p["file"] == "flow.yaml")


def decided_from_now(app, sender: Sender) -> str:
    """Wait until the next event sent is decided; return the policy version it was decided with."""
    sent = len(sender.accepted)
    wait_until(lambda: len(sender.accepted) > sent)
    return app.settled(sender.accepted[sent]["id"])["decisions"][0]["policy_version"]


def test_edits_under_traffic_run_only_when_valid_and_tested(tmp_path, desk):
    texts = {tag: flow(tag) for tag in ("v1", "v2", "v3", "v5")}
    folder = policy_folder(tmp_path, texts["v1"])
    app, server = start_admin(tmp_path, desk, policies=folder, workers=2)
    admin = signed_in_session(app.url)
    sender = Sender(app)
    try:
        sender.start()
        assert decided_from_now(app, sender) == version(texts["v1"])
        for step in ("v2", BROKEN, "v3", FAILING, "v5"):
            before = policies(app)["last_reload"]
            write(folder / "flow.yaml", texts.get(step, step))
            if step in texts:
                wait_until(lambda: running_version(app) == version(texts[step]))
                assert decided_from_now(app, sender) == version(texts[step])
                continue
            attempt = wait_until(lambda: policies(app)["last_reload"] != before
                                 and policies(app)["last_reload"])
            assert attempt["outcome"] == "kept"
            expected = (f"{folder / 'flow.yaml'}:4:1: not valid YAML" if step == BROKEN else
                        f"{folder / 'flow_test.yaml'}:2: policy test failed: a like is guarded")
            assert attempt["errors"][0].startswith(expected)
            page = admin.get(f"{app.url}/admin/policies").text
            assert "was kept out" in page and expected in page
            still = version(texts["v3" if step == FAILING else "v2"])
            assert running_version(app) == still and decided_from_now(app, sender) == still
    finally:
        sender.stopped.set()
        sender.join()
    assert sender.refused == []
    try:
        app.drain(timeout=120)
        assert policies(app)["last_reload"]["outcome"] == "loaded"
        tag_of = {version(text): tag for tag, text in texts.items()}
        with app.runtime.sessionmaker() as session:
            rows = session.scalars(select(InboxEvent)).all()
            assert sorted(row.id for row in rows) == sorted(a["id"] for a in sender.accepted)
            seen = set()
            for row in rows:
                decisions = session.scalars(select(Decision).where(Decision.event_id == row.id)
                                            ).all()
                assert row.status == "processed"
                versions = {d.policy_version for d in decisions}
                assert len(decisions) == 2 and len(versions) == 1, (row.id, decisions)
                tag = tag_of[versions.pop()]
                assert {d.rule for d in decisions} == {f"{tag}-first", f"{tag}-second"}
                seen.add(tag)
        assert seen == set(texts)
    finally:
        server.shutdown()
        app.runtime.stop()


def reload(app, token: str | None = None) -> requests.Response:
    token = app.settings.api_token if token is None else token
    return requests.post(f"{app.url}/api/v1/policies/reload",
                         headers={"Authorization": f"Bearer {token}"} if token else {})


def test_the_reload_route_loads_a_good_edit_and_refuses_a_bad_one(tmp_path, desk):
    folder = policy_folder(tmp_path, flow("v1"))
    app, server = start_goodwill(tmp_path, desk, policies=folder)
    try:
        for token in ("", "wrong"):
            refused = reload(app, token)
            assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
        assert requests.get(f"{app.url}/api/v1/policies").status_code == 401

        write(folder / "flow.yaml", flow("v2"))
        answer = reload(app)
        assert answer.status_code == 200, answer.text
        assert answer.json()["outcome"] == "loaded"
        assert answer.json()["versions"] == {"flow": version(flow("v2"))}
        decided = app.settled(app.send(mention(1))["id"])
        assert {d["rule"] for d in decided["decisions"]} == {"v2-first", "v2-second"}

        write(folder / "flow.yaml", BROKEN)
        answer = reload(app)
        assert answer.status_code == 422
        error = answer.json()["error"]
        assert error["code"] == "policies_kept_out" and error["field"] is None
        assert error["message"].startswith(f"{folder / 'flow.yaml'}:4:1: not valid YAML")
        assert error["errors"][0] == error["message"]
        shown = policies(app)
        assert shown["valid"] is False and shown["errors"]
        assert shown["last_reload"]["outcome"] == "kept"
        row = shown["policies"][0]
        assert row["version"] == version(flow("v2")) and row["running"]
        assert row["file_version"] is None

        write(folder / "flow.yaml", FAILING)
        answer = reload(app)
        assert answer.status_code == 422
        assert answer.json()["error"]["message"].startswith(
            f"{folder / 'flow_test.yaml'}:2: policy test failed: a like is guarded")
        shown = policies(app)
        assert shown["valid"] is True and shown["tests_passed"] is False
        assert shown["policies"][0]["tests"]["failed"][0].startswith("a like is guarded")
        decided = app.settled(app.send(mention(2))["id"])
        assert {d["policy_version"] for d in decided["decisions"]} == {version(flow("v2"))}

        write(folder / "flow_test.yaml", TESTS.replace("kind: like", "kind: share"))
        answer = reload(app)
        assert answer.status_code == 200 and answer.json()["versions"] == {"flow": version(FAILING)}
        assert policies(app)["loaded_at"] == answer.json()["loaded_at"]
    finally:
        server.shutdown()
        app.runtime.stop()


def test_answers_match_the_openapi_description(tmp_path, desk):
    from openapi_core import OpenAPI
    from openapi_core.testing import MockRequest, MockResponse

    folder = policy_folder(tmp_path, flow("v1"))
    app, server = start_goodwill(tmp_path, desk, policies=folder)
    try:
        spec = OpenAPI.from_dict(app.api("/openapi.json").json())
        auth = {"Authorization": f"Bearer {app.settings.api_token}"}

        def check(method: str, path: str, answer: requests.Response) -> None:
            request = MockRequest("http://127.0.0.1", method, f"/api/v1{path}", headers=auth)
            spec.validate_response(request, MockResponse(
                answer.content, status_code=answer.status_code,
                content_type=answer.headers["Content-Type"]))

        check("get", "/policies", app.api("/policies"))
        check("post", "/policies/reload", reload(app))
        check("get", "/policies", app.api("/policies"))
        write(folder / "flow.yaml", BROKEN)
        check("post", "/policies/reload", reload(app))
        check("get", "/policies", app.api("/policies"))
    finally:
        server.shutdown()
        app.runtime.stop()


def test_a_receiver_only_process_reports_the_folder(tmp_path, desk):
    folder = policy_folder(tmp_path, flow("v1"))
    app, server = start_goodwill(tmp_path, desk, policies=folder, workers=0)
    try:
        shown = policies(app)
        assert shown["rules_engine"] is False and shown["loaded_at"] is None
        assert shown["valid"] is True and shown["tests_passed"] is True
        row = shown["policies"][0]
        assert (row["name"], row["version"], row["running"], row["rules"]) == (
            "flow", version(flow("v1")), False, 3)
        assert row["tests"]["passed"] == 1
        checked = reload(app)
        assert checked.status_code == 200 and checked.json()["outcome"] == "checked"

        write(folder / "flow.yaml", BROKEN)
        shown = policies(app)
        assert shown["valid"] is False
        assert shown["errors"][0].startswith(f"{folder / 'flow.yaml'}:4:")
        assert reload(app).status_code == 422
        assert policies(app)["last_reload"]["outcome"] == "kept"
    finally:
        server.shutdown()
        app.runtime.stop()
