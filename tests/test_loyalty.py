"""The ledger over HTTP: credits, limits recorded as limited, vouchers, reversals."""
import re

from loyalty_helpers import api_post, event, policy_folder, send_all, started  # noqa: F401

LIMITED = """
    policy: thanks
    rules:
      - name: visit
        when: {kind: purchase}
        then:
          - loyalty.credit:
              points: 30
              note: "Thanks {author.name}"
              limit: {max: 2, within: 30d, rule_per_day: 3, brand_points_per_day: 120}
"""
VOUCHER = """
    policy: thanks
    rules:
      - name: coffee
        when: {kind: check_in}
        then:
          - loyalty.credit: {voucher: free-coffee, voucher_days: 30,
                             note: "Next time you're in, the coffee is on us, {author.name}"}
"""


def credit_of(app, body: dict) -> dict:
    [action] = [a for a in app.event(body["id"])["actions"] if a["type"] == "loyalty.credit"]
    return action["result"]


def test_a_reversal_is_a_new_entry_and_only_one_is_allowed(started, tmp_path):
    app = started(policy_folder(tmp_path, thanks=LIMITED))
    [purchase] = send_all(app, event("purchase", "till-1", name="Kim"))
    entry_id = credit_of(app, purchase)["ledger_id"]
    assert app.api("/customers/web:till-1").json()["balance"]["points"] == 30

    no_reason = api_post(app, f"/ledger/{entry_id}/reverse", {})
    assert no_reason.status_code == 422 and no_reason.json()["error"]["field"] == "reason"
    answer = api_post(app, f"/ledger/{entry_id}/reverse", {"reason": "purchase refunded"})
    assert answer.status_code == 201
    reversal = answer.json()
    assert reversal["kind"] == "reversal" and reversal["points"] == -30
    assert reversal["reverses"] == entry_id and reversal["reason"] == "purchase refunded"
    twice = api_post(app, f"/ledger/{entry_id}/reverse", {"reason": "fraud"})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_reversed"
    of_reversal = api_post(app, f"/ledger/{reversal['id']}/reverse", {"reason": "oops"})
    assert of_reversal.status_code == 409
    assert api_post(app, "/ledger/nope/reverse", {"reason": "x"}).status_code == 404

    customer = app.api("/customers/web:till-1").json()
    assert customer["balance"]["points"] == 0
    assert [(e["kind"], e["points"]) for e in customer["ledger"]] == [("credit", 30),
                                                                    ("reversal", -30)]
    assert customer["ledger"][0]["note"] == "Thanks Kim"


def test_credits_past_a_limit_are_recorded_as_limited(started, tmp_path):
    app = started(policy_folder(tmp_path, thanks=LIMITED))
    kim = send_all(app, *(event("purchase", "kim") for _ in range(3)))
    assert [credit_of(app, b)["credited"] for b in kim] == [True, True, False]
    assert credit_of(app, kim[2])["limited"] is True
    customer = app.api("/customers/web:kim").json()
    assert customer["balance"]["points"] == 60
    limited = [e for e in customer["ledger"] if e["kind"] == "limited"]
    assert len(limited) == 1 and limited[0]["points"] == 0
    assert "2 per 30d" in limited[0]["reason"]

    # The rule gives 3 credits a day in all: Alex gets one, then the rule is spent.
    alex = send_all(app, event("purchase", "alex"), event("purchase", "alex"))
    assert credit_of(app, alex[0])["credited"] is True
    assert "rule limit of 3" in credit_of(app, alex[1])["reason"]


def test_the_brands_daily_budget_stops_credits(started, tmp_path):
    app = started(policy_folder(tmp_path, thanks=LIMITED.replace("rule_per_day: 3", "rule_per_day: 9")))
    bodies = send_all(app, *(event("purchase", f"guest-{n}") for n in range(5)))
    results = [credit_of(app, b) for b in bodies]
    assert [r["credited"] for r in results] == [True, True, True, True, False]
    assert "daily budget of 120 points" in results[4]["reason"]
    assert app.api("/customers/web:guest-4").json()["ledger"][0]["kind"] == "limited"


def test_vouchers_come_from_the_pool_then_unguessable_generated_codes(started, tmp_path):
    app = started(policy_folder(tmp_path, thanks=VOUCHER))
    pool = api_post(app, "/vouchers/free-coffee", {"codes": ["COFFEE-1", "COFFEE-1"],
                                                   "expires_at": "2027-01-31T00:00:00Z"})
    assert pool.status_code == 201 and pool.json()["added"] == 1 and pool.json()["free"] == 1
    bad = api_post(app, "/vouchers/free-coffee", {"codes": []})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "codes"

    bodies = send_all(app, *(event("check_in", f"guest-{n}", name=f"G{n}") for n in range(3)))
    results = [credit_of(app, b) for b in bodies]
    assert results[0]["voucher_code"] == "COFFEE-1"
    assert results[0]["expires_at"] == "2027-01-31T00:00:00Z"
    generated = [r["voucher_code"] for r in results[1:]]
    assert len(set(generated)) == 2
    assert all(re.fullmatch(r"FREE-COFFEE-[A-Z2-7]{16}", code) for code in generated)
    customer = app.api("/customers/web:guest-1").json()
    assert customer["balance"]["vouchers"] == ["free-coffee"]
    assert customer["balance"]["voucher_codes"][0]["code"] == generated[0]
    assert customer["ledger"][0]["note"] == "Next time you're in, the coffee is on us, G1"

    api_post(app, f"/ledger/{results[1]['ledger_id']}/reverse", {"reason": "fraud"})
    assert app.api("/customers/web:guest-1").json()["balance"]["vouchers"] == []


def test_two_workers_crediting_one_customer_keep_to_the_limit(started, tmp_path):
    app = started(policy_folder(tmp_path, thanks=LIMITED.replace("max: 2", "max: 3")
                                .replace("rule_per_day: 3", "rule_per_day: 50")
                                .replace("brand_points_per_day: 120", "brand_points_per_day: 900")),
                  workers=2)
    answers = [app.send(event("purchase", "kim")) for _ in range(10)]
    results = []
    for answer in answers:
        body = app.settled(answer["id"])
        assert [a["status"] for a in body["actions"]] == ["done"]
        results.append(credit_of(app, body))
    assert sum(r["credited"] for r in results) == 3
    customer = app.api("/customers/web:kim").json()
    assert customer["balance"]["points"] == 90
    assert sorted(e["kind"] for e in customer["ledger"]) == ["credit"] * 3 + ["limited"] * 7
