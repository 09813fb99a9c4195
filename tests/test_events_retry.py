"""`goodwill events retry`: an event that failed to be decided goes back to the inbox, once."""
from sqlalchemy import update

from conftest import start_goodwill
from engine.cli import main
from engine.db import InboxEvent
from test_end_to_end import example


def test_a_failed_event_is_decided_after_a_retry_and_only_once(tmp_path, desk, monkeypatch,
                                                                capsys):
    app, server = start_goodwill(tmp_path, desk, workers=0)
    try:
        accepted = app.send(example("01-complaint.json"))
        # As a worker leaves an event it could not decide after its last attempt.
        with app.runtime.sessionmaker.begin() as session:
            session.execute(update(InboxEvent).where(InboxEvent.id == accepted["id"]).values(
                status="failed", attempts=12, error="ConnectionError: the platform is down"))
        monkeypatch.setenv("GOODWILL_DATABASE_URL", app.settings.database_url)

        assert main(["events", "retry", "--event", "no-such-event"]) == 1
        assert main(["events", "retry", "--failed"]) == 0
        assert main(["events", "retry", "--failed"]) == 0   # nothing failed now: nothing twice
        out = capsys.readouterr().out
        assert f"re-queued 1 failed event(s)\n  {accepted['id']}" in out
        assert "re-queued 0 failed event(s)" in out

        app.runtime.start_workers(1)
        body = app.settled(accepted["id"])
    finally:
        server.shutdown()
        app.runtime.stop()
    assert body["status"] == "processed"
    assert [a["type"] for a in body["actions"]] == ["zendesk.ticket"]
    assert body["actions"][0]["status"] == "done"
