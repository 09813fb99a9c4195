"""Referrals pay when the friend joins, once per friend; self-referrals and bursts are refused."""
from loyalty_helpers import api_post, event, send_all, started  # noqa: F401


def claim(referrer: str, friend: str | None = None, code: str | None = None, **author) -> dict:
    return event("referral", referrer, referred={"email": friend, "code": code, "name": "Friend"},
                 **author)


def credits(app, key: str) -> list[dict]:
    return [e for e in app.api(f"/customers/{key}").json()["ledger"] if e["kind"] == "credit"]


def test_a_referral_pays_when_the_friend_signs_up_not_when_claimed(started):
    app = started()
    send_all(app, claim("kim", "alex@example.com", email="kim@example.com"))
    kim = app.api("/customers/web:kim").json()
    assert kim["balance"]["points"] == 0
    assert [(r["referred_email"], r["status"]) for r in kim["referrals"]] == [
        ("alex@example.com", "pending")]

    # Someone else claims the same friend later; the friend then joins and buys twice.
    send_all(app, claim("sam", "Alex@Example.com"),
             event("signup", "till-7", email="alex@example.com"),
             event("purchase", "till-7", email="alex@example.com"))
    [reward] = credits(app, "web:kim")
    assert reward["points"] == 50 and reward["rule"] == "referral-confirmed"
    assert app.api("/customers/web:kim").json()["referrals"][0]["status"] == "confirmed"
    sam = app.api("/customers/web:sam").json()
    assert sam["balance"]["points"] == 0
    assert sam["referrals"][0]["status"] == "superseded"


def test_a_referral_code_brought_to_the_till_confirms_the_claim(started):
    app = started()
    send_all(app, claim("kim", code="KIM-2041"),
             event("purchase", "till-8", referral_code="KIM-2041"))
    assert [c["points"] for c in credits(app, "web:kim")] == [50]


def test_self_referrals_are_refused_with_the_reason(started):
    app = started()
    send_all(app, claim("kim", "kim@example.com", email="kim@example.com"))
    [own_email] = app.api("/customers/web:kim").json()["referrals"]
    assert own_email["status"] == "refused" and "self-referral" in own_email["reason"]

    # An email linked to Kim's record is Kim too.
    api_post(app, "/customers/web:kim/identities", {"email": "kim.work@example.com"})
    send_all(app, claim("kim", "kim.work@example.com"))
    assert app.api("/customers/web:kim").json()["referrals"][0]["status"] == "refused"

    # A code Kim hands out and uses herself at the till: refused on confirmation.
    send_all(app, claim("kim", code="KIM-1"),
             event("purchase", "till-9", referral_code="KIM-1", email="kim@example.com"))
    kim = app.api("/customers/web:kim").json()
    assert kim["balance"]["points"] == 0
    assert kim["referrals"][0]["status"] == "refused"
    assert "referrer is the referred customer" in kim["referrals"][0]["reason"]


def test_a_burst_of_claims_from_one_referrer_is_refused(started):
    app = started()
    send_all(app, *(claim("spammer", f"friend{n}@example.com") for n in range(7)))
    statuses = [(r["status"], r["reason"]) for r in
                reversed(app.api("/customers/web:spammer").json()["referrals"])]
    assert [s for s, _ in statuses] == ["pending"] * 5 + ["refused"] * 2
    assert "burst" in statuses[5][1]


def test_two_workers_never_both_pay_for_one_friend(started):
    app = started(workers=2)
    referrers = [f"ref-{n}" for n in range(6)]
    send_all(app, *(claim(r, "popular@example.com") for r in referrers))
    # The friend joins and buys many times at once; both workers confirm concurrently.
    answers = [app.send(event("purchase", "till-1", email="popular@example.com"))
               for _ in range(8)]
    for answer in answers:
        body = app.settled(answer["id"])
        assert [a["status"] for a in body["actions"]] == ["done"]
    paid = {r: credits(app, f"web:{r}") for r in referrers}
    assert sum(len(c) for c in paid.values()) == 1
    assert len(paid["ref-0"]) == 1
