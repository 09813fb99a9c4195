"""The /admin page over real HTTP: sign-in, CSRF, events, dead letters and retry, policies, KPIs."""
import requests

from admin_helpers import (PASSWORD, csrf_of, example, make_dead_ticket_action, signed_in_session,
                           start_admin)
from conftest import start_goodwill, wait_until


def test_admin_is_off_until_both_settings_are_set(tmp_path, desk):
    app, server = start_goodwill(tmp_path, desk, workers=0, admin_password=PASSWORD)
    try:
        answer = requests.get(f"{app.url}/admin/events")
        assert answer.status_code == 503
        error = answer.json()["error"]
        assert error["code"] == "admin_not_configured"
        assert "GOODWILL_SECRET_KEY" in error["message"]
        page = requests.get(f"{app.url}/admin/login", headers={"Accept": "text/html"})
        assert page.status_code == 503 and "GOODWILL_SECRET_KEY" in page.text
    finally:
        server.shutdown()
        app.runtime.stop()


def test_pages_are_refused_without_sign_in(tmp_path, desk):
    app, server = start_admin(tmp_path, desk, workers=0)
    try:
        for path in ("/admin/events", "/admin/dead", "/admin/policies", "/admin/kpis"):
            answer = requests.get(f"{app.url}{path}")
            assert answer.status_code == 401, path
            assert answer.json()["error"]["code"] == "unauthorized"
            browser = requests.get(f"{app.url}{path}", headers={"Accept": "text/html"},
                                   allow_redirects=False)
            assert browser.status_code == 302 and "/admin/login" in browser.headers["Location"]
    finally:
        server.shutdown()
        app.runtime.stop()


def test_wrong_password_and_missing_csrf_token_are_refused(tmp_path, desk):
    app, server = start_admin(tmp_path, desk, workers=0)
    try:
        http = requests.Session()
        token = csrf_of(http.get(f"{app.url}/admin/login").text)
        wrong = http.post(f"{app.url}/admin/login", data={"csrf_token": token, "password": "nope"})
        assert wrong.status_code == 401 and "not right" in wrong.text
        no_token = http.post(f"{app.url}/admin/login", data={"password": PASSWORD})
        assert no_token.status_code == 400
        assert no_token.json()["error"]["code"] == "csrf_failed"
        assert http.get(f"{app.url}/admin/events").status_code == 401
        signed_in = signed_in_session(app.url)
        page = signed_in.get(f"{app.url}/admin/events")
        logout_without_token = signed_in.post(f"{app.url}/admin/logout")
        assert logout_without_token.status_code == 400
        signed_in.post(f"{app.url}/admin/logout", data={"csrf_token": csrf_of(page.text)})
        assert signed_in.get(f"{app.url}/admin/events", allow_redirects=False).status_code == 302
    finally:
        server.shutdown()
        app.runtime.stop()


def test_events_page_shows_an_event_sent_a_moment_before(tmp_path, desk):
    app, server = start_admin(tmp_path, desk)
    try:
        http = signed_in_session(app.url)
        event_id = app.send(example("01-complaint.json"))["id"]
        body = app.settled(event_id)
        listing = http.get(f"{app.url}/admin/events").text
        assert f"/admin/events/{event_id}" in listing and "123itsmeMary" in listing
        filtered = http.get(f"{app.url}/admin/events", params={"policy": "complaints"}).text
        assert f"/admin/events/{event_id}" in filtered
        other = http.get(f"{app.url}/admin/events", params={"platform": "google"}).text
        assert f"/admin/events/{event_id}" not in other
        detail = http.get(f"{app.url}/admin/events/{event_id}").text
        decision = body["decisions"][0]
        assert decision["rule"] in detail and decision["policy_version"] in detail
        ticket = next(a for a in body["actions"] if a["type"] == "zendesk.ticket")
        assert f'{desk}/agent/tickets/{ticket["result"]["ticket_id"]}' in detail
    finally:
        server.shutdown()
        app.runtime.stop()


def test_retry_of_a_dead_action_makes_it_done(tmp_path, desk):
    app, server = start_admin(tmp_path, desk, max_attempts=2)
    try:
        event_id, action_id = make_dead_ticket_action(app, desk)
        http = signed_in_session(app.url)
        dead_page = http.get(f"{app.url}/admin/dead").text
        assert f"/admin/actions/{action_id}/retry" in dead_page
        without_token = http.post(f"{app.url}/admin/actions/{action_id}/retry")
        assert without_token.status_code == 400
        assert app.event(event_id)["actions"][0]["status"] == "dead"
        retried = http.post(f"{app.url}/admin/actions/{action_id}/retry",
                            data={"csrf_token": csrf_of(dead_page)})
        assert "queued again" in retried.text

        def ticket_done():
            actions = app.event(event_id)["actions"]
            return next(a for a in actions if a["id"] == action_id)["status"] == "done"
        wait_until(ticket_done)
        again = http.post(f"{app.url}/admin/actions/{action_id}/retry",
                          data={"csrf_token": csrf_of(dead_page)})
        assert "not dead-lettered any more" in again.text
        assert f"/admin/actions/{action_id}/retry" not in http.get(f"{app.url}/admin/dead").text
    finally:
        server.shutdown()
        app.runtime.stop()


def test_policies_and_kpis_pages(tmp_path, desk):
    app, server = start_admin(tmp_path, desk)
    try:
        http = signed_in_session(app.url)
        app.settled(app.send(example("01-complaint.json"))["id"])
        policies = http.get(f"{app.url}/admin/policies").text
        for name in ("complaints.yaml", "enquiries.yaml", "referrals.yaml", "appreciation.yaml"):
            assert name in policies
        assert policies.count("(current)") == 4 and policies.count("passed</span>") == 4
        assert "failed</span>" not in policies
        kpis = http.get(f"{app.url}/admin/kpis", params={"since": "7d"})
        assert kpis.status_code == 200
        assert 'aria-label="Events by platform: twitter: 1"' in kpis.text
        assert 'aria-label="Tickets by policy: complaints: 1"' in kpis.text
        bad = http.get(f"{app.url}/admin/kpis", params={"since": "soon"})
        assert bad.status_code == 400 and "30d" in bad.text
    finally:
        server.shutdown()
        app.runtime.stop()
