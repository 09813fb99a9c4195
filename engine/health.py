"""`/healthz` (alive) and `/readyz` (database reachable and current, policies loaded)."""
from flask import Blueprint, current_app
from sqlalchemy import text

from engine import migrate
from engine.errors import ApiError

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Answer while the process is alive."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """Answer 200 only when the database answers and the policies are loaded."""
    runtime = current_app.extensions["goodwill"]
    try:
        with runtime.sessionmaker() as session:
            session.execute(text("SELECT 1"))
            migrate.require_current(session.get_bind())
    except migrate.DatabaseBehind as exc:
        raise ApiError(503, "migrations_pending", str(exc))
    except Exception as exc:
        raise ApiError(503, "database_unavailable", f"the database does not answer: {exc}")
    try:
        policies = runtime.rules().policy_set.policies
    except Exception as exc:
        raise ApiError(503, "policies_not_loaded", f"the policies did not load: {exc}")
    return {"status": "ready", "policies": {p.name: p.version for p in policies}}
