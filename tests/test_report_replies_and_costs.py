"""First reply times and reward costs of a known scenario, on the KPI page, in the report and /metrics."""
import csv
import io
import json
from decimal import Decimal

import pytest

from admin_helpers import signed_in_session, start_admin
from engine.db import utcnow
from engine.policy.loader import load_policy_file
from engine.settings import Settings
from engine.ticket_metrics import record, sync_once
from loyalty_helpers import api_post, event, policy_folder, send_all
from test_metrics import scrape
from test_report import goodwill_report

CARE = """
    policy: care
    rules:
      - name: mention
        when: {kind: mention}
        then:
          - zendesk.ticket: {priority: high}
      - name: message
        when: {kind: direct_message}
        then:
          - zendesk.ticket: {}
"""
THANKS = """
    policy: thanks
    rules:
      - name: visit
        when: {kind: purchase}
        then:
          - loyalty.credit: {points: 50}
      - name: coffee
        when: {kind: check_in}
        then:
          - loyalty.credit: {voucher: free-coffee, cost: 2.5}
"""
# Minutes after which agents answered each ticket, as Zendesk's metrics tell them (None: not yet).
REPLIES = {("twitter", "mary"): 12, ("twitter", "lee"): 40, ("twitter", "sam"): None,
           ("facebook", "kim"): 30}


def ticket_of(body: dict) -> int:
    [action] = [a for a in body["actions"] if a["type"] == "zendesk.ticket"]
    return action["result"]["ticket_id"]


def test_first_replies_and_reward_costs_of_a_known_scenario(tmp_path, desk):
    # A point is worth 0.02: a 50-point visit costs 1.00, a free coffee 2.50.
    app, server = start_admin(tmp_path, desk, policies=policy_folder(tmp_path, care=CARE, thanks=THANKS),
                              point_value=Decimal("0.02"), ticket_metrics_every=0)
    try:
        tickets = {}
        for platform, author in REPLIES:
            kind = "mention" if platform == "twitter" else "direct_message"
            [body] = send_all(app, event(kind, author, platform=platform, text="Where is my order?"))
            tickets[(platform, author)] = ticket_of(body)
        visits = send_all(app, *(event("purchase", "kim") for _ in range(3)))
        send_all(app, event("check_in", "kim"), event("check_in", "lee"))
        [refunded] = [a["result"]["ledger_id"] for a in app.event(visits[0]["id"])["actions"]]
        assert api_post(app, f"/ledger/{refunded}/reverse", {"reason": "refunded"}).status_code == 201

        assert sync_once(app.runtime) == {"found": 4, "checked": 4, "answered": 0}
        with app.runtime.sessionmaker.begin() as session:
            for key, minutes in REPLIES.items():
                if minutes is not None:
                    record(session, tickets[key], {"reply_time_in_minutes": {
                        "calendar": minutes, "business": minutes}}, utcnow())

        page = signed_in_session(app.url).get(f"{app.url}/admin/kpis", params={"since": "7d"}).text
        samples = scrape(app.url)
    finally:
        server.shutdown()
        app.runtime.stop()

    assert 'aria-label="Median first reply in minutes by platform: twitter: 26.0, facebook: 30"' in page
    assert "75.0% answered" in page and 'aria-label="Reward cost by policy: thanks: 7.0"' in page
    assert "<td>thanks/coffee</td><td>5.00</td>" in page and "<td>thanks/visit</td><td>2.00</td>" in page

    report = goodwill_report(app.settings.database_url, "--since", "30d", "--format", "json")
    assert report.returncode == 0, report.stderr
    kpis = json.loads(report.stdout)
    assert kpis["first_response"] == {
        "tickets": 4, "answered": 3, "answered_share": 0.75, "median_minutes": 30, "p90_minutes": 40,
        "unchecked": 0,
        "by_platform": {
            "twitter": {"tickets": 3, "answered": 2, "answered_share": 0.667, "median_minutes": 26.0,
                        "p90_minutes": 40},
            "facebook": {"tickets": 1, "answered": 1, "answered_share": 1.0, "median_minutes": 30,
                         "p90_minutes": 30}},
        "by_policy": {"care": {"tickets": 4, "answered": 3, "answered_share": 0.75, "median_minutes": 30,
                               "p90_minutes": 40}}}
    rewards = kpis["rewards"]
    assert (rewards["credits"], rewards["reversals"], rewards["points"]) == (5, 1, 100)
    assert rewards["cost"] == 7.0 and rewards["cost_by_policy"] == {"thanks": 7.0}
    assert rewards["cost_by_rule"] == {"thanks/coffee": 5.0, "thanks/visit": 2.0}

    as_csv = goodwill_report(app.settings.database_url, "--since", "30d")
    rows = {(r["section"], r["name"]): r["value"] for r in csv.DictReader(io.StringIO(as_csv.stdout))}
    assert rows[("first_response", "by_platform.twitter.median_minutes")] == "26.0"
    assert rows[("rewards", "cost_by_rule.thanks/coffee")] == "5.0"

    def sample(name, **labels):
        return samples[(name, tuple(sorted(labels.items())))]
    assert sample("goodwill_reward_cost", policy="thanks", rule="coffee") == 5.0
    assert sample("goodwill_reward_cost", policy="thanks", rule="visit") == 2.0
    assert sample("goodwill_first_reply_minutes_count", platform="twitter", policy="care") == 2
    assert sample("goodwill_first_reply_minutes_sum", platform="twitter", policy="care") == 52
    assert sample("goodwill_first_reply_minutes_bucket", platform="twitter", policy="care", le="15") == 1
    assert sample("goodwill_tickets_unanswered", platform="twitter", policy="care") == 1
    assert sample("goodwill_tickets_unanswered", platform="facebook", policy="care") == 0


def test_a_cost_belongs_to_a_voucher_and_the_point_value_must_be_an_amount(tmp_path):
    folder = policy_folder(tmp_path, thanks=THANKS.replace("{points: 50}", "{points: 50, cost: 1.5}"))
    policy, errors = load_policy_file(folder / "thanks.yaml")
    assert policy is None and "cost is the price of a voucher" in str(errors[0])
    assert Settings.from_env({"GOODWILL_POINT_VALUE": "0.01"}).point_value == Decimal("0.01")
    with pytest.raises(ValueError, match="GOODWILL_POINT_VALUE must be an amount"):
        Settings.from_env({"GOODWILL_POINT_VALUE": "a penny"})
