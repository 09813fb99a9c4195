"""`/admin`: the business's page of events, decisions, dead letters, policies and KPIs."""
from flask import Blueprint, g, redirect, render_template, request, url_for

from engine.admin import auth
from engine.errors import ApiError

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
OPEN_ENDPOINTS = ("admin.login",)


def wants_html() -> bool:
    """Tell whether the client is a browser (HTML pages) rather than a script (JSON errors)."""
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


@bp.before_request
def guard():
    """Refuse everything until configured; then ask for sign-in and a CSRF token on every form."""
    auth.require_configured()
    auth.load_session()
    if request.method == "POST":
        auth.check_csrf()
    if request.endpoint in OPEN_ENDPOINTS or auth.signed_in():
        return None
    if request.method == "GET" and wants_html():
        return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
    raise ApiError(401, "unauthorized", "sign in at /admin/login first")


@bp.after_request
def save(response):
    """Keep the admin cookie and tell browsers not to cache or frame these pages."""
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                "img-src 'self' data:; frame-ancestors 'none'")
    return auth.save_session(response) if hasattr(g, "admin") else response


@bp.errorhandler(ApiError)
def admin_error(exc: ApiError):
    """Show an error page to a browser and the one JSON error shape to anything else."""
    if wants_html():
        return render_template("admin/error.html", error=exc), exc.status
    return exc.to_dict(), exc.status


@bp.app_context_processor
def _template_helpers():
    ready = hasattr(g, "admin")
    return {"csrf_token": lambda: auth.csrf_token() if ready else "",
            "signed_in": ready and auth.signed_in()}


from engine.admin import views  # noqa: E402,F401  (routes register themselves on bp)
