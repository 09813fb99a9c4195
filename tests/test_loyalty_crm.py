"""The CRM hears of rewards by signed webhooks that match the documented schema, and redelivers."""
import base64
import json
import secrets
import threading
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from standardwebhooks.webhooks import Webhook
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from conftest import wait_until
from engine.cli import main
from loyalty_helpers import event, policy_folder, started  # noqa: F401

SCHEMAS = Path(__file__).resolve().parents[1] / "docs" / "webhooks"
APPRECIATION = """
    policy: appreciation
    rules:
      - name: regular
        when: {kind: purchase}
        then:
          - loyalty.credit: {voucher: free-coffee}
          - crm.webhook: {event: customer.appreciated}
"""


class CrmReceiver:
    """A CRM endpoint: verifies each Standard Webhooks signature, answers 500 while failing."""

    def __init__(self, secret: str):
        self.secret, self.webhook = secret, Webhook(secret)
        self.failing, self.received, self.attempts = True, [], []
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/crm"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @Request.application
    def app(self, request: Request) -> Response:
        body = request.get_data(as_text=True)
        self.webhook.verify(body, dict(request.headers))  # raises on a bad signature
        self.attempts.append(request.headers["webhook-id"])
        if self.failing:
            return Response("down for maintenance", status=500)
        self.received.append((request.headers["webhook-id"], json.loads(body)))
        return Response(status=204)


@pytest.fixture
def crm():
    receiver = CrmReceiver("whsec_" + base64.b64encode(secrets.token_bytes(24)).decode())
    yield receiver
    receiver.server.shutdown()


def schema_validator() -> Draft202012Validator:
    resources = {}
    for path in SCHEMAS.glob("*.schema.json"):
        schema = json.loads(path.read_text())
        resources[schema["$id"]] = Resource.from_contents(schema)
    registry = Registry().with_resources(resources.items())
    schema = json.loads((SCHEMAS / "customer.appreciated.schema.json").read_text())
    return Draft202012Validator(schema, registry=registry)


def test_a_dead_crm_webhook_is_redelivered_once_signed_and_documented(started, tmp_path, crm,
                                                                     monkeypatch, capsys):
    app = started(policy_folder(tmp_path, appreciation=APPRECIATION), max_attempts=2,
                  crm_webhook_url=crm.url, crm_webhook_secret=crm.secret)
    body = app.settled(app.send(event("purchase", "kim", email="kim@example.com"))["id"])
    [dead] = [a for a in body["actions"] if a["type"] == "crm.webhook"]
    assert dead["status"] == "dead" and "500" in dead["error"]
    assert len(crm.attempts) == 2 and crm.received == []

    crm.failing = False
    monkeypatch.setenv("GOODWILL_DATABASE_URL", app.settings.database_url)
    assert main(["outbox", "retry", "--dead"]) == 0
    assert main(["outbox", "retry", "--dead"]) == 0  # nothing dead now: nothing queued twice
    out = capsys.readouterr().out
    assert f"re-queued 1 dead action(s)\n  {dead['id']}" in out and "re-queued 0" in out
    app.runtime.wake_workers()
    wait_until(lambda: crm.received)
    done = app.settled(body["id"])
    assert [a["status"] for a in done["actions"] if a["type"] == "crm.webhook"] == ["done"]

    [(webhook_id, payload)] = crm.received
    assert webhook_id == crm.attempts[0]  # the same webhook-id on every try: the CRM dedupes
    schema_validator().validate(payload)
    assert payload["type"] == "customer.appreciated"
    assert payload["data"]["customer"]["email"] == "kim@example.com"
    assert payload["data"]["decision"]["rule"] == "regular"
    assert main(["outbox", "retry", "--action", dead["id"]]) == 0
    assert "is done, not dead" in capsys.readouterr().err
    assert main(["outbox", "retry", "--action", "no-such-action"]) == 1


def test_the_documented_schema_refuses_a_body_without_its_customer():
    validator = schema_validator()
    errors = list(validator.iter_errors({"type": "customer.appreciated",
                                         "timestamp": "2026-11-02T10:00:00Z",
                                         "data": {"event": {}, "decision": {}}}))
    assert any("customer" in e.message for e in errors)
