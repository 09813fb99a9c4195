"""The Zendesk stand-in behaves like Zendesk for what Goodwill relies on, over real HTTP."""
import threading
import time

import pytest
import requests

from integrations.zendesk.desk import create_desk_app, serve_desk_in_thread

AUTH = ("agent@example.com/token", "test-token")


class Desk:
    """A running stand-in and an authenticated session to talk to it."""

    def __init__(self, url):
        self.url = url
        self.http = requests.Session()
        self.http.auth = AUTH

    def call(self, method, path, **kwargs):
        return self.http.request(method, self.url + path, **kwargs)

    def ticket(self, **fields):
        fields.setdefault("comment", {"body": "My parcel never arrived."})
        response = self.call("POST", "/api/v2/tickets.json", json={"ticket": fields})
        assert response.status_code == 201, response.text
        return response.json()["ticket"]

    def user(self, **fields):
        response = self.call("POST", "/api/v2/users.json", json={"user": fields})
        assert response.status_code == 201, response.text
        return response.json()["user"]


@pytest.fixture
def stand_in():
    url, server = serve_desk_in_thread()
    yield Desk(url)
    server.shutdown()


def test_creating_a_ticket_answers_201_with_location_ticket_and_audit(stand_in):
    response = stand_in.call("POST", "/api/v2/tickets.json", json={"ticket": {
        "subject": "Parcel late", "priority": "high", "external_id": "goodwill:twitter:1",
        "tags": ["Goodwill", "policy_complaints", "goodwill", "late delivery"],
        "requester": {"name": "Mary", "email": "mary@example.com"},
        "comment": {"body": "I paid for next day shipping", "public": False}}})
    assert response.status_code == 201
    body = response.json()
    ticket = body["ticket"]
    assert response.headers["Location"] == ticket["url"] == f"{stand_in.url}/api/v2/tickets/{ticket['id']}.json"
    assert ticket["status"] == "new" and ticket["priority"] == "high"
    assert ticket["tags"] == ["goodwill", "policy_complaints", "late", "delivery"]
    assert ticket["description"] == "I paid for next day shipping"
    assert ticket["via"]["channel"] == "api"
    assert ticket["created_at"].endswith("Z")
    assert body["audit"]["ticket_id"] == ticket["id"]
    assert body["audit"]["events"][0]["type"] == "Comment"
    requester = stand_in.call("GET", f"/api/v2/users/{ticket['requester_id']}.json").json()["user"]
    assert (requester["name"], requester["email"], requester["role"]) == ("Mary", "mary@example.com", "end-user")
    comments = stand_in.call("GET", f"/api/v2/tickets/{ticket['id']}/comments.json").json()["comments"]
    assert [(c["body"], c["public"]) for c in comments] == [("I paid for next day shipping", False)]


def test_an_assigned_ticket_starts_open_and_the_same_requester_is_found_again(stand_in):
    me = stand_in.call("GET", "/api/v2/users/me.json").json()["user"]
    first = stand_in.ticket(requester={"name": "Kim", "email": "kim@example.com"}, assignee_id=me["id"])
    second = stand_in.ticket(requester={"name": "Kim F.", "email": "KIM@example.com"})
    assert first["status"] == "open" and second["status"] == "new"
    assert first["requester_id"] == second["requester_id"]


def test_invalid_tickets_are_refused_with_record_invalid(stand_in):
    unknown_requester = stand_in.call("POST", "/api/v2/tickets", json={"ticket": {
        "requester_id": 999999, "comment": {"body": "hi"}}})
    no_comment = stand_in.call("POST", "/api/v2/tickets", json={"ticket": {"subject": "empty"}})
    bad_priority = stand_in.call("POST", "/api/v2/tickets", json={"ticket": {
        "priority": "asap", "comment": {"body": "hi"}}})
    for response in (unknown_requester, no_comment, bad_priority):
        assert response.status_code == 422
        assert response.json()["error"] == "RecordInvalid"
        assert response.json()["description"] == "Record validation errors"
    assert "requester" in unknown_requester.json()["details"]
    assert no_comment.json()["details"]["base"][0]["description"] == "Description: cannot be blank"
    assert "priority" in bad_priority.json()["details"]
    assert stand_in.call("GET", "/api/v2/tickets").json()["tickets"] == []


def test_a_repeated_idempotency_key_replays_the_first_answer_and_refuses_another_body(stand_in):
    payload = {"ticket": {"subject": "Once", "comment": {"body": "only once please"}}}
    first = stand_in.call("POST", "/api/v2/tickets", json=payload, headers={"Idempotency-Key": "event-1"})
    again = stand_in.call("POST", "/api/v2/tickets", json=payload, headers={"Idempotency-Key": "event-1"})
    other = stand_in.call("POST", "/api/v2/tickets", json={"ticket": {"comment": {"body": "two"}}},
                          headers={"Idempotency-Key": "event-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert (first.headers["x-idempotency-lookup"], again.headers["x-idempotency-lookup"]) == ("miss", "hit")
    assert again.json() == first.json() and again.headers["Location"] == first.headers["Location"]
    assert other.status_code == 400 and other.json()["error"] == "IdempotentRequestError"
    assert len(stand_in.call("GET", "/api/v2/tickets").json()["tickets"]) == 1


def test_concurrent_retries_with_one_idempotency_key_create_one_ticket(stand_in):
    payload = {"ticket": {"subject": "Race", "comment": {"body": "sent by two workers"}}}
    answers = []

    def send():
        answers.append(requests.post(stand_in.url + "/api/v2/tickets", json=payload, auth=AUTH,
                                     headers={"Idempotency-Key": "event-3"}))
    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["ticket"]["id"] for a in answers}) == 1
    assert len(stand_in.call("GET", "/api/v2/tickets").json()["tickets"]) == 1


def test_a_ticket_is_found_by_external_id_in_the_list_and_in_search(stand_in):
    wanted = stand_in.ticket(external_id="goodwill:twitter:42", subject="Broken kettle")
    stand_in.ticket(external_id="goodwill:twitter:43")
    listed = stand_in.call("GET", "/api/v2/tickets.json", params={"external_id": "goodwill:twitter:42"})
    assert [t["id"] for t in listed.json()["tickets"]] == [wanted["id"]]
    found = stand_in.call("GET", "/api/v2/search.json",
                          params={"query": "type:ticket external_id:goodwill:twitter:42"}).json()
    assert [(r["id"], r["result_type"]) for r in found["results"]] == [(wanted["id"], "ticket")]
    assert found["count"] == 1 and found["next_page"] is None
    assert stand_in.call("GET", "/api/v2/search", params={"query": 'type:ticket "kettle"'}).json()["count"] == 1
    assert stand_in.call("GET", "/api/v2/search", params={"query": "type:ticket status<solved"}).json()["count"] == 2


def test_cursor_pagination_walks_every_ticket(stand_in):
    created = [stand_in.ticket(subject=f"n{i}")["id"] for i in range(5)]
    seen, url = [], stand_in.url + "/api/v2/tickets.json?page[size]=2"
    while url:
        page = stand_in.http.get(url).json()
        seen += [t["id"] for t in page["tickets"]]
        url = page["links"]["next"] if page["meta"]["has_more"] else None
    assert seen == created


def test_comments_added_by_put_are_listed_in_order_and_public_or_internal(stand_in):
    ticket = stand_in.ticket(tags=["social"])
    update = stand_in.call("PUT", f"/api/v2/tickets/{ticket['id']}.json", json={"ticket": {
        "comment": {"body": "Brand replied:\nSorry!", "public": False},
        "additional_tags": ["brand_reply"], "priority": "urgent"}})
    assert update.status_code == 200
    assert update.json()["ticket"]["tags"] == ["social", "brand_reply"]
    assert update.json()["ticket"]["priority"] == "urgent"
    assert update.json()["audit"]["events"][0]["body"] == "Brand replied:\nSorry!"
    comments = stand_in.call("GET", f"/api/v2/tickets/{ticket['id']}/comments").json()["comments"]
    assert [(c["body"], c["public"]) for c in comments] == [
        ("My parcel never arrived.", True), ("Brand replied:\nSorry!", False)]


def test_a_requester_comment_reopens_a_solved_ticket_but_an_agent_note_does_not(stand_in):
    customer = stand_in.user(name="Mary", email="mary@example.com")
    ticket = stand_in.ticket(requester_id=customer["id"])
    path = f"/api/v2/tickets/{ticket['id']}"
    stand_in.call("PUT", path, json={"ticket": {"status": "solved"}})
    note = stand_in.call("PUT", path, json={"ticket": {"comment": {"body": "closing note", "public": False}}})
    assert note.json()["ticket"]["status"] == "solved"
    reply = stand_in.call("PUT", path, json={"ticket": {"comment": {"body": "Still broken",
                                                                    "author_id": customer["id"]}}})
    assert reply.json()["ticket"]["status"] == "open"


def test_a_closed_ticket_refuses_updates_and_takes_a_follow_up(stand_in):
    ticket = stand_in.ticket(subject="Old problem")
    path = f"/api/v2/tickets/{ticket['id']}"
    assert stand_in.call("PUT", path, json={"ticket": {"status": "closed"}}).status_code == 200
    refused = stand_in.call("PUT", path, json={"ticket": {"comment": {"body": "again"}}})
    assert refused.status_code == 422
    assert refused.json()["details"]["status"][0]["description"] == "Status: closed prevents ticket update"
    follow_up = stand_in.ticket(via_followup_source_id=ticket["id"], comment={"body": "It broke again"})
    assert follow_up["via"]["source"]["rel"] == "follow_up"
    assert follow_up["via"]["source"]["from"]["ticket_id"] == ticket["id"]
    assert stand_in.call("GET", path).json()["ticket"]["followup_ids"] == [follow_up["id"]]
    open_source = stand_in.call("POST", "/api/v2/tickets", json={"ticket": {
        "via_followup_source_id": follow_up["id"], "comment": {"body": "x"}}})
    assert open_source.status_code == 422 and "via_followup_source_id" in open_source.json()["details"]


def test_create_or_update_matches_a_user_by_external_id_email_or_identity(stand_in):
    created = stand_in.call("POST", "/api/v2/users/create_or_update.json", json={"user": {
        "name": "Mary", "external_id": "twitter:123", "user_fields": {"points": 10},
        "identities": [{"type": "twitter", "value": "123itsmeMary"}]}})
    assert created.status_code == 201
    user_id = created.json()["user"]["id"]
    by_identity = stand_in.call("POST", "/api/v2/users/create_or_update", json={"user": {
        "name": "Mary Smith", "email": "mary@example.com",
        "identities": [{"type": "twitter", "value": "123itsmemary"}]}})
    by_email = stand_in.call("POST", "/api/v2/users/create_or_update", json={"user": {
        "email": "MARY@example.com", "user_fields": {"tier": "gold"}}})
    assert (by_identity.status_code, by_email.status_code) == (200, 200)
    user = by_email.json()["user"]
    assert user["id"] == user_id and user["name"] == "Mary Smith"
    assert user["user_fields"] == {"points": 10, "tier": "gold"}
    identities = stand_in.call("GET", f"/api/v2/users/{user_id}/identities").json()["identities"]
    assert {(i["type"], i["value"]) for i in identities} == {("twitter", "123itsmeMary"), ("email", "mary@example.com")}
    by_external = stand_in.call("GET", "/api/v2/users/search.json", params={"external_id": "twitter:123"})
    by_handle = stand_in.call("GET", "/api/v2/users/search.json", params={"query": "123itsmeMary"})
    assert [u["id"] for u in by_external.json()["users"]] == [user_id]
    assert [u["id"] for u in by_handle.json()["users"]] == [user_id]


def test_a_second_user_with_a_taken_email_is_refused(stand_in):
    stand_in.user(name="Kim", email="kim@example.com")
    duplicate = stand_in.call("POST", "/api/v2/users", json={"user": {"name": "Other", "email": "kim@example.com"}})
    assert duplicate.status_code == 422
    assert duplicate.json()["details"]["email"][0]["error"] == "DuplicateValue"


def test_bulk_creation_answers_a_job_status_to_poll_with_each_tickets_outcome(stand_in):
    answer = stand_in.call("POST", "/api/v2/tickets/create_many.json", json={"tickets": [
        {"subject": "a", "comment": {"body": "first"}}, {"subject": "b", "group_id": 424242, "comment": {"body": "x"}},
        {"subject": "c", "comment": {"body": "third"}}]})
    assert answer.status_code == 200
    job = answer.json()["job_status"]
    assert job["status"] == "queued" and job["total"] == 3 and job["results"] is None
    shown = stand_in.call("GET", f"/api/v2/job_statuses/{job['id']}.json").json()["job_status"]
    assert shown["status"] == "completed" and shown["progress"] == 3
    made, refused, last = shown["results"]
    assert [made["index"], last["index"]] == [0, 2] and refused["success"] is False
    assert refused["details"] == "Group: is invalid"
    subjects = [stand_in.call("GET", f"/api/v2/tickets/{r['id']}").json()["ticket"]["subject"] for r in (made, last)]
    assert subjects == ["a", "c"]
    too_many = stand_in.call("POST", "/api/v2/tickets/create_many", json={"tickets": [
        {"comment": {"body": str(i)}} for i in range(101)]})
    assert too_many.status_code == 400 and too_many.json()["error"] == "TooManyValues"


def test_bulk_user_imports_are_refused_until_the_account_has_them():
    url, server = serve_desk_in_thread(app=create_desk_app(bulk_user_imports=False))
    try:
        answer = Desk(url).call("POST", "/api/v2/users/create_or_update_many.json",
                                json={"users": [{"name": "Mary", "external_id": "goodwill:twitter:1"}]})
        assert answer.status_code == 403 and answer.json()["error"] == "Forbidden"
    finally:
        server.shutdown()


def test_errors_have_zendesk_shapes(stand_in):
    assert stand_in.call("GET", "/api/v2/tickets/424242.json").json() == {
        "error": "RecordNotFound", "description": "Not found"}
    assert stand_in.call("GET", "/api/v2/users/424242").status_code == 404
    unknown = stand_in.call("GET", "/api/v2/no_such_thing.json")
    assert (unknown.status_code, unknown.json()) == (404, {"error": "InvalidEndpoint", "description": "Not found"})
    anonymous = requests.get(stand_in.url + "/api/v2/tickets.json")
    assert (anonymous.status_code, anonymous.json()) == (401, {"error": "Couldn't authenticate you"})


def test_every_answer_carries_rate_limit_headers_and_the_limit_is_enforced():
    url, server = serve_desk_in_thread(app=create_desk_app(rate_limit=2))
    try:
        answers = [requests.get(url + "/api/v2/tickets", auth=AUTH) for _ in range(3)]
    finally:
        server.shutdown()
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [a.headers["X-Rate-Limit-Remaining"] for a in answers] == ["1", "0", "0"]
    assert all(a.headers["X-Rate-Limit"] == a.headers["ratelimit-limit"] == "2" for a in answers)
    assert int(answers[2].headers["Retry-After"]) >= 1
    assert "ratelimit-reset" in answers[0].headers


def test_injected_faults_fail_the_next_matching_requests_then_stop(stand_in):
    control = requests.Session()
    control.post(stand_in.url + "/_desk/faults", json={
        "status": 503, "count": 2, "retry_after": 2, "path_prefix": "/api/v2/tickets"})
    control.post(stand_in.url + "/_desk/faults", json={"status": 429, "count": 1, "path_prefix": "/api/v2/users"})
    first = stand_in.call("POST", "/api/v2/tickets", json={"ticket": {"comment": {"body": "x"}}},
                          headers={"Idempotency-Key": "k"})
    untouched = stand_in.call("GET", "/api/v2/groups")
    second = stand_in.call("GET", "/api/v2/tickets")
    third = stand_in.call("GET", "/api/v2/tickets")
    limited = stand_in.call("GET", "/api/v2/users/me")
    assert [first.status_code, untouched.status_code, second.status_code, third.status_code] == [503, 200, 503, 200]
    assert first.headers["Retry-After"] == "2"
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert third.json()["tickets"] == []
    log = control.get(stand_in.url + "/_desk/requests").json()["requests"]
    assert {k: log[0][k] for k in ("method", "path", "query", "idempotency_key", "status", "fault")} == {
        "method": "POST", "path": "/api/v2/tickets", "query": "", "idempotency_key": "k", "status": 503,
        "fault": "503"}
    assert log[0]["retry_after"] == "2" and log[1]["fault"] is None
    control.post(stand_in.url + "/_desk/faults", json={"status": 500, "count": 5})
    assert control.delete(stand_in.url + "/_desk/faults").status_code == 204
    assert stand_in.call("GET", "/api/v2/tickets").status_code == 200
    assert control.post(stand_in.url + "/_desk/faults", json={"status": 200}).status_code == 400


def test_a_fault_after_the_request_keeps_its_effect_and_loses_the_answer(stand_in):
    control = requests.Session()
    control.post(stand_in.url + "/_desk/faults", json={
        "status": 502, "after": True, "method": "post", "path_prefix": "/api/v2/tickets"})
    lost = stand_in.call("POST", "/api/v2/tickets", json={"ticket": {"comment": {"body": "x"}}})
    listed = stand_in.call("GET", "/api/v2/tickets")
    assert lost.status_code == 502 and lost.headers["X-Desk-Fault"] == "injected"
    assert listed.status_code == 200 and len(listed.json()["tickets"]) == 1
    control.post(stand_in.url + "/_desk/faults", json={"status": 504, "after": True, "delay": 1.5})
    with pytest.raises(requests.Timeout):
        stand_in.call("POST", "/api/v2/users", json={"user": {"name": "Kim"}}, timeout=0.5)
    assert stand_in.call("GET", "/api/v2/users/search", params={"query": "Kim"}).json()["count"] == 1
    # The held answer is logged once the stand-in has sent it, after the client gave up.
    log = []
    for _ in range(100):
        log = control.get(stand_in.url + "/_desk/requests").json()["requests"]
        if len(log) == 4:
            break
        time.sleep(0.05)
    assert [entry["fault"] for entry in log] == ["502 after", None, None, "504 after, held 1.5s"]


def test_a_fault_with_a_probability_fails_some_matching_requests_up_to_its_count(stand_in):
    control = requests.Session()
    control.post(stand_in.url + "/_desk/faults", json={"status": 500, "probability": 0.5, "count": 30})
    statuses = [stand_in.call("GET", "/api/v2/groups").status_code for _ in range(200)]
    assert statuses.count(500) == 30 and statuses.count(200) == 170
    assert control.get(stand_in.url + "/_desk/faults").json()["faults"] == []
    assert control.post(stand_in.url + "/_desk/faults", json={"status": 500, "probability": 0}).status_code == 400
    assert control.post(stand_in.url + "/_desk/faults", json={"status": 500, "delay": -1}).status_code == 400


def test_the_page_shows_each_ticket_with_its_comments_escaped(stand_in):
    customer = stand_in.user(name="Mary <script>", email="mary@example.com")
    older = stand_in.ticket(subject="Older ticket")
    ticket = stand_in.ticket(subject="Kettle <b>broken</b>", requester_id=customer["id"], tags=["complaint"],
                             external_id="goodwill:web:9", comment={"body": "Line one\nLine <two>"})
    stand_in.call("PUT", f"/api/v2/tickets/{ticket['id']}", json={"ticket": {
        "comment": {"body": "Agent note", "public": False}}})
    page = requests.get(stand_in.url + "/")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    html = page.text
    assert "Kettle &lt;b&gt;broken&lt;/b&gt;" in html and "<b>broken</b>" not in html
    assert "Line one\nLine &lt;two&gt;" in html
    assert "Mary &lt;script&gt;" in html and "<script>" not in html
    assert "internal note" in html and "Agent note" in html and "goodwill:web:9" in html
    assert html.index(f"#{ticket['id']} ") < html.index(f"#{older['id']} ")
    listing = requests.get(stand_in.url + "/tickets.json").json()["tickets"]
    assert [t["id"] for t in listing] == [ticket["id"], older["id"]]
    assert [c["body"] for c in listing[0]["comments"]] == ["Line one\nLine <two>", "Agent note"]
