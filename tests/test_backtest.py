"""`goodwill backtest`: events decided under one policy folder, replayed against an edited one."""
import json
from datetime import datetime, timedelta, timezone

import requests
from sqlalchemy import column, create_engine, func, inspect, select, table, update

from conftest import fresh_env, start_goodwill
from engine.cli import main
from test_cli import run_cli

BRAND = "BeanThere"
POLICY_A = """policy: care
rules:
  - name: refund
    when: {text: {contains_any: [refund]}}
    then:
      - zendesk.ticket: {priority: high, tags: [refund]}
  - name: thanks
    when: {text: {contains_any: [thanks, cheers]}}
    then:
      - loyalty.credit: {points: 10, note: "Thanks for the kind words"}
"""
# B tickets breakages instead of refunds, no longer thanks a "cheers", rewards love and
# regulars, and labels a greeting on a busy day (counts the stored facts lack: the backtest
# computes them).
POLICY_B = """policy: care
rules:
  - name: broken
    when: {text: {contains_any: [broken]}}
    then:
      - zendesk.ticket: {priority: high, tags: [broken]}
  - name: thanks
    when: {text: {contains_any: [thanks]}}
    then:
      - loyalty.credit: {points: 10, note: "Thanks for the kind words"}
  - name: love
    when: {text: {contains_any: [love]}}
    then:
      - loyalty.credit: {points: 5, note: "Love you too"}
      - crm.webhook: {event: customer.loves}
  - name: regular
    when:
      text: {contains_any: [again]}
      history.mentions_30d: {at_least: 1}
    then:
      - loyalty.credit: {points: 1, note: "Welcome back"}
  - name: crowd
    labels: [crowd]
    when:
      text: {contains_any: [hello]}
      brand_history.mentions_1d: {at_least: 6}
    then: []
"""
START = datetime.now(timezone.utc) - timedelta(hours=1)


def social(n: int, author: str, text: str, thread: str | None = None, reply_to=None) -> dict:
    return {"id": f"e{n}", "platform": "twitter", "kind": "reply" if reply_to else "mention",
            "occurred_at": (START + timedelta(seconds=n)).isoformat().replace("+00:00", "Z"),
            "author": {"id": author, "handle": author}, "brand": BRAND, "text": text,
            "in_reply_to": reply_to, "thread": thread or f"e{n}"}


EVENTS = [
    social(1, "rita", "I want a refund for my grinder"),      # A tickets; B does not
    social(2, "bob", "my mug arrived broken"),                 # B tickets; A did not
    social(3, "tess", "thanks for the lovely coffee"),         # credited by both
    social(4, "carl", "cheers, nice shop"),                    # A credits; B does not
    social(5, "lou", "I love your cakes"),                     # B credits and calls the CRM
    social(6, BRAND, "Sorry Rita, we are on it", "e1", "e1"),  # the brand: never replayed
    social(7, "rita", "still waiting for that refund", "e1", "e6"),  # a comment either way
    social(8, "fan", "hello there"),                           # nothing either way
    social(9, "fan", "hello again"),                           # B: fan's second, brand's 6th
    social(10, "newbie", "again and again"),                   # B: a first mention, no credit
]


def table_counts(db_url: str) -> dict:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        names = inspect(conn).get_table_names()
        counts = {name: conn.scalar(select(func.count()).select_from(table(name)))
                  for name in names}
    engine.dispose()
    return counts


def decided_under_a(tmp_path, desk):
    """Run Goodwill on policy A over EVENTS, then stop it; return its database URL."""
    folder_a = tmp_path / "a"
    folder_a.mkdir()
    (folder_a / "care.yaml").write_text(POLICY_A)
    app, server = start_goodwill(tmp_path, desk, policies=folder_a)
    try:
        for event in EVENTS:
            assert app.send(event)["status"] == "accepted"
        app.drain()
    finally:
        server.shutdown()
        app.runtime.stop()
    return app.settings.database_url


def folder_b(tmp_path, text=POLICY_B):
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "care.yaml").write_text(text)
    return folder


def test_backtest_shows_exactly_what_the_edit_would_change_and_writes_nothing(tmp_path, desk):
    db_url = decided_under_a(tmp_path, desk)
    b = folder_b(tmp_path)
    env = {**fresh_env(), "GOODWILL_DATABASE_URL": db_url}
    rows_before = table_counts(db_url)
    desk_calls_before = len(requests.get(f"{desk}/_desk/requests").json()["requests"])

    result = run_cli("backtest", b, "--since", "1d", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    found = {(d["kind"], d["author"], d["rule"]) for d in report["differences"]}
    assert found == {
        ("dropped_ticket", "rita", "care/refund"),
        ("new_ticket", "bob", "care/broken"),
        ("credit_lost", "carl", "care/thanks"),
        ("credit_gained", "lou", "care/love"),
        ("action_gained", "lou", "care/love"),
        ("rule_lost", "rita", "care/refund"),      # the follow-up: a comment either way
        ("credit_gained", "fan", "care/regular"),
        ("rule_gained", "fan", "care/crowd"),
    }
    assert len(report["differences"]) == len(found)
    by_kind = {d["kind"]: d for d in report["differences"] if d["author"] != "fan"}
    assert by_kind["new_ticket"]["excerpt"] == "my mug arrived broken"
    assert "broken" in by_kind["new_ticket"]["why"]
    assert "refund" in by_kind["dropped_ticket"]["why"]
    assert by_kind["credit_gained"]["action"].startswith("credit 5 points")
    assert "customer.loves" in by_kind["action_gained"]["action"]
    assert report["summary"] == {
        "events_replayed": 9, "unchanged": 3, "changed": 6, "brand_events_skipped": 1,
        "would_ticket_newly": 1, "would_no_longer_ticket": 1,
        "credits_gained": 2, "credits_lost": 1, "actions_gained": 1, "actions_lost": 0}

    text = run_cli("backtest", b, "--since", "1d", env=env)
    assert text.returncode == 0, text.stderr
    assert "NEW TICKET" in text.stdout and "NO TICKET" in text.stdout
    assert 'by bob: "my mug arrived broken"' in text.stdout
    assert text.stdout.strip().splitlines()[-1].startswith(
        "9 event(s) replayed from the last 1d")
    assert "would ticket newly 1, would no longer ticket 1; credits +2 -1" in text.stdout

    assert table_counts(db_url) == rows_before
    assert len(requests.get(f"{desk}/_desk/requests").json()["requests"]) == desk_calls_before


def test_backtest_of_the_running_policies_finds_nothing_to_change(tmp_path, desk, monkeypatch,
                                                                 capsys):
    db_url = decided_under_a(tmp_path, desk)
    env = {**fresh_env(), "GOODWILL_DATABASE_URL": db_url,
           "GOODWILL_POLICIES": str(tmp_path / "a")}
    result = run_cli("backtest", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["differences"] == []
    assert report["summary"]["events_replayed"] == report["summary"]["unchanged"] == 9

    # An event processed before the window is not replayed (in-process from here: quicker).
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(update(table("inbox_events", column("external_id"), column("processed_at")))
                     .where(column("external_id") == "e10")
                     .values(processed_at=datetime.now(timezone.utc) - timedelta(days=2)))
    engine.dispose()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    for since, replayed in (("1d", 8), ("3d", 9)):
        assert main(["backtest", "--since", since, "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out)["summary"]["events_replayed"] == replayed
    assert main(["backtest", "--since", "a week"]) == 2
    assert "--since" in capsys.readouterr().err


def test_a_broken_folder_prints_file_and_line_and_exits_1(tmp_path):
    broken = folder_b(tmp_path, POLICY_B.replace("contains_any: [broken]",
                                                 "contians_any: [broken]"))
    env = {**fresh_env(), "GOODWILL_DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}"}
    result = run_cli("backtest", broken, env=env)
    assert result.returncode == 1
    assert any(line.startswith(f"{broken / 'care.yaml'}:4:") for line in result.stdout.splitlines())
    assert "nothing replayed" in result.stderr
