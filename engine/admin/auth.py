"""Sign-in and CSRF for /admin: a signed cookie holds the CSRF token and the signed-in mark."""
import hashlib
import hmac
import secrets

from flask import current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from engine.errors import ApiError

COOKIE = "goodwill_admin"
MAX_AGE = 12 * 3600
REQUIRED = (("secret_key", "GOODWILL_SECRET_KEY"), ("admin_password", "GOODWILL_ADMIN_PASSWORD"))


def settings():
    """Return the settings of the running app."""
    return current_app.extensions["goodwill"].settings


def require_configured() -> None:
    """Refuse with 503, naming the missing settings, while the admin page is not configured."""
    missing = [name for attr, name in REQUIRED if not getattr(settings(), attr)]
    if missing:
        raise ApiError(503, "admin_not_configured",
                       f"set {' and '.join(missing)} to turn the admin page on", missing[0])


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings().secret_key, salt="goodwill-admin")


def _password_mark() -> str:
    # Changing GOODWILL_ADMIN_PASSWORD signs everybody out: the mark no longer matches.
    return hashlib.sha256(("goodwill-admin:" + settings().admin_password).encode()).hexdigest()[:32]


def load_session() -> None:
    """Read the admin cookie into g.admin; a missing, forged or expired one starts afresh."""
    try:
        data = _serializer().loads(request.cookies.get(COOKIE, ""), max_age=MAX_AGE)
    except BadSignature:
        data = {}
    g.admin = data if isinstance(data, dict) and data.get("csrf") else {"csrf": secrets.token_urlsafe(24)}
    g.admin_dirty = "csrf" not in data if isinstance(data, dict) else True


def save_session(response):
    """Write the admin cookie back when it changed."""
    if getattr(g, "admin_dirty", False):
        response.set_cookie(COOKIE, _serializer().dumps(g.admin), max_age=MAX_AGE, httponly=True,
                            samesite="Strict", secure=request.is_secure, path="/admin")
    return response


def signed_in() -> bool:
    """Tell whether this browser signed in with the current password."""
    return hmac.compare_digest(g.admin.get("auth", ""), _password_mark())


def csrf_token() -> str:
    """Return this browser's CSRF token, for the hidden field of every form."""
    return g.admin["csrf"]


def check_csrf() -> None:
    """Refuse a form post whose csrf_token field does not match this browser's token."""
    given = request.form.get("csrf_token", "")
    if not hmac.compare_digest(given.encode(), csrf_token().encode()):
        raise ApiError(400, "csrf_failed", "the form's CSRF token is missing or stale: reload "
                       "the page and send it again", "csrf_token")


def sign_in(password: str) -> bool:
    """Sign this browser in when the password is right; return whether it was."""
    if not hmac.compare_digest(password.encode(), settings().admin_password.encode()):
        return False
    # A fresh CSRF token on sign-in, so one planted before it is worth nothing after.
    g.admin = {"csrf": secrets.token_urlsafe(24), "auth": _password_mark()}
    g.admin_dirty = True
    return True


def sign_out() -> None:
    """Forget the sign-in of this browser."""
    g.admin = {"csrf": secrets.token_urlsafe(24)}
    g.admin_dirty = True
