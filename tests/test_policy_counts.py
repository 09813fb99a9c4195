"""Counts across customers (`rate`, `brand_history`) come from SQL; unmatched events show."""
from conftest import start_goodwill
from loyalty_helpers import policy_folder

INCIDENTS = """
    policy: incidents
    rules:
      - name: complaint
        when: {text: [outage, broken]}
        then: [{zendesk.ticket: {tags: [complaint]}}]
      - name: outage-incident
        when:
          text: [outage]
          rate: {of: complaint, within: 10m, mentioning: [outage], at_least: 2}
        then: [{zendesk.ticket: {tags: [incident]}}]
      - name: busy-brand
        when: {brand_history.mentions_1h: {at_least: 3}}
        then: [{zendesk.ticket: {tags: [busy]}}]
"""


def mention(n: int, author: str, minute: int, text: str, brand: str = "Acme") -> dict:
    return {"id": f"m-{n}", "platform": "twitter", "kind": "mention", "brand": brand,
            "occurred_at": f"2026-11-30T10:{minute:02d}:00Z", "text": text,
            "author": {"id": author, "handle": author, "name": author, "email": None}}


def rules_fired(body: dict) -> list[str]:
    return sorted(d["rule"] for d in body["decisions"])


def test_rates_and_brand_history_count_other_customers_events_in_sql(tmp_path, desk):
    app, server = start_goodwill(tmp_path, desk, policy_folder(tmp_path, incidents=INCIDENTS))
    try:
        sent = [mention(0, "ann", 0, "outage at the station"),     # 30 minutes before the rest
                mention(1, "bob", 30, "Outage again?"),
                mention(2, "cat", 31, "outage here too"),
                mention(3, "other", 31, "outage!", brand="OtherCo"),  # another brand's customer
                mention(4, "dan", 32, "my grinder is broken"),
                mention(5, "eve", 33, "OUTAGE!!")]
        fired = []
        for event in sent:
            # One at a time, so each sees the decisions of the ones before it.
            fired.append(rules_fired(app.settled(app.send(event)["id"])))
    finally:
        server.shutdown()
        app.runtime.stop()
    assert fired == [
        ["complaint"],
        ["complaint"],                             # ann's report is outside the 10 minutes
        ["complaint"],                             # one earlier report: below 2
        ["complaint"],                             # OtherCo has no earlier report at all
        ["busy-brand", "complaint"],               # ann, bob, cat within the hour; no "outage"
        ["busy-brand", "complaint", "outage-incident"],  # bob and cat (dan did not say outage)
    ]


def test_an_event_no_rule_matches_is_recorded_as_unmatched(tmp_path, desk):
    app, server = start_goodwill(tmp_path, desk, policy_folder(tmp_path, incidents=INCIDENTS))
    try:
        body = app.settled(app.send(mention(9, "fay", 0, "lovely weather"))["id"])
    finally:
        server.shutdown()
        app.runtime.stop()
    assert body["status"] == "processed"
    assert body["decisions"] == [{**body["decisions"][0], "policy": "goodwill",
                                  "rule": "unmatched", "why": "no rule of the policies matched"}]
    assert body["actions"] == []
