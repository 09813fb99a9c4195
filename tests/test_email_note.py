"""`email.note`: a rule's personal note reaches the customer through a real SMTP server."""
import socket

import pytest
from aiosmtpd.controller import Controller

from conftest import start_goodwill

POLICY = """policy: welcome
description: Welcome note for new members (test policy).
rules:
  - name: welcome-note
    when: {kind: signup}
    then:
      - email.note:
          subject: "Welcome to {brand}, {author.name}"
          body: "Next time you're in, the coffee is on us."
"""


class Inbox:
    """An aiosmtpd handler keeping every message it is given."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    with socket.socket() as probe:  # the controller checks its port by connecting: name one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, f"smtp://127.0.0.1:{port}"
    controller.stop()


def signup(event_id: str, email: str | None) -> dict:
    return {"id": event_id, "platform": "web", "kind": "signup",
            "occurred_at": "2026-11-03T09:30:00Z", "brand": "BeanThere",
            "author": {"id": f"till-{event_id}", "name": "Alex", "email": email}}


def test_the_note_is_mailed_once_and_a_customer_without_email_is_skipped(tmp_path, desk, smtp):
    inbox, url = smtp
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "welcome.yaml").write_text(POLICY)
    app, server = start_goodwill(tmp_path, desk, policies=policies,
                                 smtp_url=f"{url}?from=hello@beanthere.example")
    try:
        sent = app.settled(app.send(signup("s-1", "alex@example.com"))["id"])
        assert app.send(signup("s-1", "alex@example.com"))["status"] == "duplicate"
        unknown = app.settled(app.send(signup("s-2", None))["id"])
    finally:
        server.shutdown()
        app.runtime.stop()

    [action] = sent["actions"]
    assert action["status"] == "done" and action["result"]["sent_to"] == "alex@example.com"
    [message] = inbox.messages
    assert message.rcpt_tos == ["alex@example.com"]
    text = message.content.decode()
    assert "Subject: Welcome to BeanThere, Alex" in text
    assert "the coffee is on us" in text
    assert unknown["actions"][0]["result"] == {"skipped": "no email address known for this customer"}


def test_a_mail_server_that_is_down_is_retried_then_dead_lettered(tmp_path, desk):
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "welcome.yaml").write_text(POLICY)
    app, server = start_goodwill(tmp_path, desk, policies=policies, max_attempts=2,
                                 smtp_url="smtp://127.0.0.1:9?from=hello@beanthere.example")
    try:
        body = app.settled(app.send(signup("s-3", "alex@example.com"))["id"])
    finally:
        server.shutdown()
        app.runtime.stop()
    [action] = body["actions"]
    assert (action["status"], action["attempts"]) == ("dead", 2)
    assert "mail server unreachable" in action["error"]
