"""`goodwill report`: the admin page's KPIs, as JSON or CSV, from the same database."""
import csv
import io
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from conftest import fresh_env, start_goodwill
from engine.cli import EXAMPLES

ROOT = Path(__file__).resolve().parents[1]


def goodwill_report(database_url: str, *args) -> subprocess.CompletedProcess:
    env = {**fresh_env(), "GOODWILL_DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "engine.cli", "report", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


def test_report_prints_the_kpis_of_the_events_sent(tmp_path, desk):
    app, server = start_goodwill(tmp_path, desk)
    try:
        ids = [app.send(json.loads(p.read_text()))["id"] for p in sorted(EXAMPLES.glob("*.json"))]
        bodies = [app.settled(i) for i in ids]
    finally:
        server.shutdown()
        app.runtime.stop()
    as_json = goodwill_report(app.settings.database_url, "--since", "30d", "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    kpis = json.loads(as_json.stdout)
    assert kpis["events"]["total"] == len(ids)
    assert kpis["events"]["by_platform"] == dict(Counter(b["event"]["platform"] for b in bodies))
    created = [a for b in bodies for a in b["actions"] if a["type"] == "zendesk.ticket"
               and a["status"] == "done" and a["result"]["operation"] == "created"]
    assert kpis["tickets"]["created"] == len(created) > 0
    assert kpis["tickets"]["by_policy"] == dict(Counter(a["policy"] for a in created))
    assert kpis["tickets"]["seconds_from_receipt"]["count"] == len(created)
    referrals = sum(b["event"]["kind"] == "referral" for b in bodies)
    assert kpis["referrals"]["claimed"] == referrals
    # The examples' friend signs up, which confirms the referral that named her.
    assert kpis["referrals"]["confirmed"] == 1 and kpis["referrals"]["pending"] == 0
    credits = [a for b in bodies for a in b["actions"]
               if a["type"] == "loyalty.credit" and (a["result"] or {}).get("credited")]
    assert kpis["rewards"]["credits"] == len(credits)

    as_csv = goodwill_report(app.settings.database_url, "--since", "30d")
    assert as_csv.returncode == 0, as_csv.stderr
    rows = {(r["section"], r["name"]): r["value"] for r in csv.DictReader(io.StringIO(as_csv.stdout))}
    assert rows[("events", "total")] == str(len(ids))
    assert rows[("tickets", "created")] == str(len(created))


def test_report_refuses_a_period_it_cannot_read(tmp_path):
    answer = goodwill_report(f"sqlite:///{tmp_path / 'goodwill.db'}", "--since", "a month")
    assert answer.returncode == 2
    assert "30d" in answer.stderr
