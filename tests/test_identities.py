"""Linking identities and offline keys to customers, and merging two records of one person."""
from loyalty_helpers import api_post, event, policy_folder, send_all, started  # noqa: F401

THANKS = """
    policy: thanks
    rules:
      - name: visit
        when: {kind: [purchase, check_in, mention]}
        then:
          - loyalty.credit: {points: 10, note: "Thanks for coming by"}
"""


def test_a_till_purchase_lands_on_the_same_customer_as_the_tweets(started, tmp_path):
    app = started(policy_folder(tmp_path, thanks=THANKS))
    [tweet] = send_all(app, event("mention", "tw-55", platform="twitter", text="@BeanThere hi"))
    answer = api_post(app, "/customers/twitter:tw-55/identities", {"member_number": "M-1001"})
    assert answer.status_code == 201
    assert {"platform": "member", "author_id": "M-1001", "handle": None} in answer.json()["identities"]

    [purchase] = send_all(app, event("purchase", "till-9", member_number="M-1001",
                                     phone="+44 (0)20 7946-0000", email="Kim@Example.com"))
    assert purchase["customer_id"] == tweet["customer_id"]
    customer = app.api("/customers/phone:+44020 79460000").json()
    assert customer["id"] == tweet["customer_id"]
    assert customer["balance"]["points"] == 20
    assert app.api("/customers/email:kim@example.com").json()["id"] == customer["id"]
    # A later check-in known only by the member number is the same person too.
    [visit] = send_all(app, event("check_in", "till-3", member_number="M-1001"))
    assert visit["customer_id"] == customer["id"]


def test_linking_two_customers_merges_them_and_keeps_everything(started, tmp_path):
    app = started(policy_folder(tmp_path, thanks=THANKS))
    tweets = send_all(app, event("mention", "tw-1", platform="twitter", text="@BeanThere hi"),
                      event("mention", "tw-1", platform="twitter", text="@BeanThere again"))
    shop = send_all(app, event("purchase", "till-1", email="kim@example.com"))
    online = app.api("/customers/twitter:tw-1").json()
    offline = app.api("/customers/email:kim@example.com").json()
    assert online["id"] != offline["id"]

    answer = api_post(app, "/customers/twitter:tw-1/identities", {"email": "KIM@example.com"})
    assert answer.status_code == 201
    merged = answer.json()
    assert merged["id"] == online["id"]
    assert merged["merged"]["customer_id"] == offline["id"]
    assert merged["balance"]["points"] == 30
    assert {e["id"] for e in merged["ledger"]} == {e["id"] for e in online["ledger"] + offline["ledger"]}
    keys = {(i["platform"], i["author_id"]) for i in merged["identities"]}
    assert {("twitter", "tw-1"), ("web", "till-1"), ("email", "kim@example.com")} <= keys
    [audit] = app.api(f"/customers/{online['id']}").json()["merged"]
    assert audit["customer_id"] == offline["id"] and audit["moved"]["ledger"] == 1
    assert "email:kim@example.com" in audit["reason"]
    for body in tweets + shop:
        assert app.event(body["id"])["customer_id"] == online["id"]
    # The old record's id still finds the person.
    assert app.api(f"/customers/{offline['id']}").json()["id"] == online["id"]
    again = api_post(app, "/customers/twitter:tw-1/identities", {"email": "kim@example.com"})
    assert again.status_code == 200 and again.json()["linked"] is False


def test_linking_explains_what_is_wrong(started, tmp_path):
    app = started(policy_folder(tmp_path, thanks=THANKS))
    send_all(app, event("purchase", "till-2"))
    missing = api_post(app, "/customers/nobody-here/identities", {"email": "a@example.com"})
    assert missing.status_code == 404
    half = api_post(app, "/customers/web:till-2/identities", {"platform": "twitter"})
    assert half.status_code == 422 and half.json()["error"]["field"] == "author_id"
    two = api_post(app, "/customers/web:till-2/identities", {"email": "a@example.com",
                                                             "phone": "123"})
    assert two.status_code == 422
    linked = api_post(app, "/customers/web:till-2/identities",
                      {"platform": "facebook", "author_id": "fb-9", "handle": "kim.fan"})
    assert linked.status_code == 201
    assert app.api("/customers/facebook:fb-9").json()["identities"][-1]["handle"] == "kim.fan"
