"""`/metrics` parsed with prometheus_client.parser: its counts equal what the API reports."""
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from conftest import start_goodwill, wait_until
from engine.cli import EXAMPLES

ROOT = Path(__file__).resolve().parents[1]


def scrape(url: str) -> dict:
    """Return {(sample name, sorted labels): value} of one scrape."""
    answer = requests.get(f"{url}/metrics")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(answer.text) for s in family.samples}


def test_metrics_after_a_replay_equal_what_the_api_reports(tmp_path, desk):
    app, server = start_goodwill(tmp_path, desk)
    try:
        ids = [app.send(json.loads(p.read_text()))["id"] for p in sorted(EXAMPLES.glob("*.json"))]
        bodies = [app.settled(i) for i in ids]
        refused = requests.post(f"{app.url}/webhooks/events", data=b"{}",
                                headers={"webhook-id": "msg_1", "webhook-timestamp": "1",
                                         "webhook-signature": "v1,bad"})
        assert refused.status_code == 401
        samples = scrape(app.url)
    finally:
        server.shutdown()
        app.runtime.stop()

    statuses = Counter(b["status"] for b in bodies)
    for status, n in statuses.items():
        assert samples[("goodwill_events", (("source", "events"), ("status", status)))] == n
    decisions = Counter((d["policy"], d["rule"]) for b in bodies for d in b["decisions"])
    assert decisions
    for (policy, rule), n in decisions.items():
        assert samples[("goodwill_decisions_total", (("policy", policy), ("rule", rule)))] == n
    assert sum(v for (name, _), v in samples.items() if name == "goodwill_decisions_total") \
        == sum(decisions.values())
    actions = Counter((a["type"], a["status"]) for b in bodies for a in b["actions"])
    for (kind, status), n in actions.items():
        assert samples[("goodwill_actions", (("status", status), ("type", kind)))] == n
    done = Counter(a["type"] for b in bodies for a in b["actions"] if a["status"] == "done")
    for kind, n in done.items():
        key = ("goodwill_action_latency_seconds_count", (("type", kind),))
        assert samples[key] == n
        assert samples[("goodwill_action_latency_seconds_bucket",
                        (("le", "+Inf"), ("type", kind)))] == n
    assert samples[("goodwill_outbox_depth", ())] == 0
    assert samples[("goodwill_outbox_oldest_age_seconds", ())] == 0
    assert samples[("goodwill_signature_failures_total", (("source", "events"),))] >= 1


def test_metrics_count_actions_paused_by_a_desk_rate_limit(tmp_path, desk):
    app, server = start_goodwill(tmp_path, desk)
    try:
        requests.post(f"{desk}/_desk/faults", json={"status": 429, "count": 100,
                                                     "retry_after": 3600, "path_prefix": "/api/v2"})
        event_id = app.send(json.loads((EXAMPLES / "01-complaint.json").read_text()))["id"]

        def paused():
            actions = app.event(event_id)["actions"]
            return actions if actions and actions[0]["status"] == "retrying" else None
        waiting = wait_until(paused)
        samples = scrape(app.url)
    finally:
        server.shutdown()
        app.runtime.stop()
    assert samples[("goodwill_outbox_depth", ())] == len(waiting) == 1
    assert samples[("goodwill_outbox_oldest_age_seconds", ())] >= 0
    assert samples[("goodwill_desk_rate_limited_actions", ())] == 1
    assert samples[("goodwill_desk_pause_remaining_seconds", (("desk", "zendesk"),))] > 0
    assert samples[("goodwill_actions", (("status", "retrying"), ("type", "zendesk.ticket")))] == 1


def test_refusals_counted_by_several_processes_are_summed(tmp_path, desk, monkeypatch):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    # Two other processes, as gunicorn workers would be, each refuse a delivery.
    count_one = ("from engine.counters import SIGNATURE_FAILURES; "
                 "SIGNATURE_FAILURES.labels('meta').inc()")
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count_one], check=True, cwd=ROOT,
                       env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)})
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    app, server = start_goodwill(tmp_path, desk, workers=0)
    try:
        samples = scrape(app.url)
    finally:
        server.shutdown()
        app.runtime.stop()
    assert samples[("goodwill_signature_failures_total", (("source", "meta"),))] == 2
