"""The receiver alone (no workers): it answers fast and never claims what it did not commit."""
import json
import threading

import requests
from werkzeug.serving import make_server

from engine.cli import EXAMPLES
from engine.db import make_sessionmaker
from engine.runtime import Runtime
from engine.sender import send_event
from engine.settings import Settings
from webhook_server import create_app


def serve(settings: Settings):
    server = make_server("127.0.0.1", 0, create_app(runtime=Runtime(settings)), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def test_database_that_cannot_commit_answers_503_so_the_platform_retries(tmp_path):
    path = tmp_path / "goodwill.db"
    make_sessionmaker(f"sqlite:///{path}")
    secret = "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQ="
    settings = Settings(database_url=f"sqlite:///file:{path}?mode=ro&uri=true",
                        webhook_secret=secret)
    url, server = serve(settings)
    try:
        event = json.loads((EXAMPLES / "01-complaint.json").read_text())
        answer = send_event(url, secret, event)
        assert answer["http_status"] == 503
        assert answer["error"]["code"] == "database_unavailable"
    finally:
        server.shutdown()


def test_receiver_without_a_secret_says_which_setting_to_set(tmp_path):
    url, server = serve(Settings(database_url=f"sqlite:///{tmp_path / 'g.db'}"))
    try:
        response = requests.post(f"{url}/webhooks/events", data=b"{}")
        assert response.status_code == 503
        assert "GOODWILL_WEBHOOK_SECRET" in response.json()["error"]["message"]
    finally:
        server.shutdown()
