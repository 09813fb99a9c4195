"""`/api/v1/policies`: what this process decides with, and a reload that keeps bad edits out."""
from pathlib import Path

from flask import current_app

from engine.admin.policies import policy_status, test_errors
from engine.api import bp
from engine.errors import ApiError
from engine.policy import PolicySet, validate_folder


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def reload_view(attempt) -> dict | None:
    """Render one reload attempt: when, its outcome, what kept it out, the versions it found."""
    if attempt is None:
        return None
    return {"at": _iso(attempt.at), "outcome": attempt.outcome,
            "errors": [str(error) for error in attempt.errors], "versions": attempt.versions}


@bp.get("/policies")
def list_policies():
    """Show each policy, its version and tests, when the running set loaded, and the last reload."""
    runtime = current_app.extensions["goodwill"]
    folder = Path(runtime.settings.policies)
    running = runtime.running_policies()
    # A receiver-only process runs no rules engine: it reports the folder as it stands.
    rows = policy_status(folder, running if running is not None else PolicySet([], str(folder)))
    live = {Path(p.path).name: p for p in running.policies} if running is not None else {}
    errors = [str(error) for error in validate_folder(folder)]
    unrunnable = test_errors(folder)
    return {
        "folder": str(folder),
        "rules_engine": running is not None,
        "loaded_at": _iso(runtime.policies_loaded_at) if running is not None else None,
        "valid": not errors,
        "errors": errors,
        "tests_passed": not unrunnable and all(not row["tests"]["failed"] for row in rows),
        "test_errors": unrunnable,
        "policies": [_policy_view(row, live.get(row["file"])) for row in rows],
        "last_reload": reload_view(runtime.last_reload),
    }


def _policy_view(row: dict, policy) -> dict:
    """One policy file: the version decisions record (the running one if any) beside the file's."""
    return {"name": policy.name if policy else row["name"], "file": row["file"],
            "version": policy.version if policy else row["version"],
            "running": policy is not None,
            "rules": len(policy.rules) if policy else row["rules"],
            "file_version": row["version"], "errors": row["errors"], "tests": row["tests"]}


@bp.post("/policies/reload")
def reload_policies():
    """Reload now: swap in the folder if it is valid and its tests pass, else keep what runs."""
    runtime = current_app.extensions["goodwill"]
    attempt = runtime.reload_policies()
    if attempt.outcome == "kept":
        raise ApiError(422, "policies_kept_out", str(attempt.errors[0]), None,
                       errors=[str(error) for error in attempt.errors])
    return {**reload_view(attempt), "loaded_at": _iso(runtime.policies_loaded_at)}
