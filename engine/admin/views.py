"""The routes of /admin: sign-in, events, dead letters and retry, policies, KPIs."""
from urllib.parse import urlsplit

from flask import current_app, redirect, render_template, request, url_for

from engine import kpis
from engine.admin import auth, bp, charts, queries
from engine.admin.policies import policy_status, test_errors
from engine.db import InboxEvent
from engine.errors import ApiError


def runtime():
    """Return the Runtime of the running app."""
    return current_app.extensions["goodwill"]


def _zendesk_url() -> str | None:
    desk = runtime().services.get("desk")
    return runtime().settings.zendesk_url or getattr(desk, "base_url", None)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form; sign in with GOODWILL_ADMIN_PASSWORD."""
    target = request.values.get("next") or url_for("admin.events")
    # Only paths inside /admin: a crafted `next` must not send the admin elsewhere.
    if urlsplit(target).netloc or not target.startswith("/admin"):
        target = url_for("admin.events")
    if request.method == "POST":
        if auth.sign_in(request.form.get("password", "")):
            return redirect(target)
        return render_template("admin/login.html", next=target,
                               error="That password is not right."), 401
    return render_template("admin/login.html", next=target, error=None)


@bp.post("/logout")
def logout():
    """Sign out."""
    auth.sign_out()
    return redirect(url_for("admin.login"))


@bp.get("/")
def home():
    """Open on the recent events."""
    return redirect(url_for("admin.events"))


@bp.get("/events")
def events():
    """List recent events, filterable by platform, policy, rule and status."""
    filters = {f: request.args.get(f, "").strip() for f in queries.FILTERS}
    offset = max(0, request.args.get("offset", 0, type=int) or 0)
    with runtime().sessionmaker() as session:
        page = queries.recent_events(session, filters, offset)
        rows = [{"event": e, "decisions": list(e.decisions), "actions": list(e.actions)}
                for e in page.rows]
        return render_template("admin/events.html", page=page, rows=rows,
                               page_size=queries.PAGE_SIZE)


@bp.get("/events/<event_id>")
def event(event_id: str):
    """Show one event: its decisions, actions, attempts, results and Zendesk ticket."""
    with runtime().sessionmaker() as session:
        row = session.get(InboxEvent, event_id)
        if row is None:
            raise ApiError(404, "not_found", f"no event with id {event_id}", "id")
        zendesk = _zendesk_url()
        actions = [{"action": a, "ticket": queries.ticket_link(zendesk, a.result)}
                   for a in row.actions]
        return render_template("admin/event.html", row=row, decisions=list(row.decisions),
                               actions=actions)


@bp.get("/dead")
def dead():
    """List dead-lettered actions with a Retry button each."""
    with runtime().sessionmaker() as session:
        return render_template("admin/dead.html", rows=queries.dead_actions(session))


NOTICES = {"queued": "The action is queued again; it runs in a moment.",
           "not-dead": "That action is not dead-lettered any more: nothing to retry."}


@bp.post("/actions/<action_id>/retry")
def retry(action_id: str):
    """Re-queue a dead action and wake the workers."""
    notice = "not-dead"
    if queries.retry_action(runtime().sessionmaker, action_id):
        runtime().wake_workers()
        notice = "queued"
    back = request.form.get("back", "")
    target = back if back.startswith("/admin") and not urlsplit(back).netloc else url_for("admin.dead")
    return redirect(f"{target}{'&' if '?' in target else '?'}notice={notice}")


@bp.app_template_global()
def admin_notice() -> str | None:
    """Return the notice a redirect asked to show, from the fixed list only."""
    return NOTICES.get(request.args.get("notice", ""))


@bp.get("/policies")
def policies():
    """List each policy file, its version, its tests and what the running engine loaded."""
    folder = runtime().settings.policies
    try:
        running = runtime().rules().policy_set
    except Exception as exc:
        running = exc
    return render_template("admin/policies.html", folder=folder,
                           rows=policy_status(folder, running), test_errors=test_errors(folder),
                           load_error=running if isinstance(running, Exception) else None,
                           loaded_at=runtime().policies_loaded_at, last_reload=runtime().last_reload)


@bp.get("/kpis")
def kpi_page():
    """Show the KPIs over a chosen period as numbers and bar charts."""
    since = request.args.get("since", "30d").strip()
    try:
        period = kpis.parse_period(since)
    except ValueError as exc:
        raise ApiError(400, "bad_period", str(exc), "since")
    with runtime().sessionmaker() as session:
        data = kpis.compute(session, period)
    reply_medians = {platform: figures["median_minutes"]
                     for platform, figures in data["first_response"]["by_platform"].items()
                     if figures["median_minutes"] is not None}
    return render_template("admin/kpis.html", k=data, since=since, chart=charts.bar_chart,
                           reply_medians=reply_medians)
