"""The Goodwill web app: webhook receivers, the /api/v1 API and health checks."""
import logging

from flask import Flask
from werkzeug.exceptions import HTTPException

from engine.errors import ApiError
from engine.runtime import Runtime
from engine.settings import Settings

log = logging.getLogger("goodwill.http")


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """Build the app; pass a Runtime to share its database and workers, else one is made."""
    app = Flask("goodwill")
    app.json.sort_keys = False
    runtime = runtime or Runtime(settings or Settings.from_env())
    app.extensions["goodwill"] = runtime

    from engine.api import bp as api_bp
    from engine.health import bp as health_bp
    from integrations.generic.adapter import bp as generic_bp
    from integrations.google.adapter import bp as google_bp
    from integrations.meta.adapter import bp as meta_bp
    from integrations.trustpilot.adapter import bp as trustpilot_bp
    from integrations.x.adapter import bp as x_bp
    for blueprint in (generic_bp, meta_bp, x_bp, google_bp, trustpilot_bp, api_bp, health_bp):
        app.register_blueprint(blueprint)
    _register_admin_and_metrics(app)
    _register_error_handlers(app)
    return app


def _register_admin_and_metrics(app: Flask) -> None:
    """Add the /admin page and /metrics (engine.admin, engine.metrics)."""
    from engine.admin import bp as admin_bp
    from engine.metrics import bp as metrics_bp
    app.register_blueprint(admin_bp)
    app.register_blueprint(metrics_bp)


def _register_error_handlers(app: Flask) -> None:
    """Answer every error, ours or Flask's, with one JSON shape."""

    @app.errorhandler(ApiError)
    def api_error(exc: ApiError):
        return exc.to_dict(), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        return ApiError(exc.code or 500, code, exc.description or exc.name).to_dict(), exc.code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error")
        return ApiError(500, "internal_error", "an unexpected error occurred").to_dict(), 500
