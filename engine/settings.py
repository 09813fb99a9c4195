"""Settings read from the environment, as DESIGN.md lists them."""
import os
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

# A folder of a business's own lexicon files, merged over the shipped ones (engine.signals).
LEXICONS_VARIABLE = "GOODWILL_LEXICONS"


def shipped_policies_dir() -> Path:
    """Return the policies that ship with the package, wherever it is installed."""
    here = Path(__file__).resolve().parent
    installed = here / "shipped_policies"
    # `pip install .` puts them there; an editable install or a checkout has policies/ beside engine/.
    return installed if installed.is_dir() else here.parent / "policies"


@dataclass
class Settings:
    database_url: str = "sqlite:///goodwill.db"
    policies: Path = field(default_factory=shipped_policies_dir)
    lexicons: Path | None = None
    zendesk_url: str | None = None
    zendesk_email: str = "goodwill@example.com"
    zendesk_token: str = "local-desk-token"
    webhook_secret: str | None = None
    api_token: str | None = None
    secret_key: str | None = None
    admin_password: str | None = None
    crm_webhook_url: str | None = None
    crm_webhook_secret: str | None = None
    smtp_url: str | None = None
    max_attempts: int = 5
    lease_seconds: float = 120.0
    backoff_base: float = 2.0
    webhook_max_bytes: int = 1024 * 1024
    meta_app_secret: str | None = None
    meta_verify_token: str | None = None
    x_consumer_secret: str | None = None
    google_pubsub_token: str | None = None
    google_oidc_audience: str | None = None
    google_pubsub_service_account: str | None = None
    google_oidc_certs_url: str = "https://www.googleapis.com/oauth2/v1/certs"
    # Reading the review a notification names (integrations.google.hydrate).
    google_client_id: str | None = None
    google_client_secret: str | None = None
    google_refresh_token: str | None = None
    google_api_url: str = "https://mybusiness.googleapis.com"
    google_token_url: str = "https://oauth2.googleapis.com/token"
    # Reading the Instagram comment or caption a mention names (integrations.meta.hydrate).
    meta_page_access_token: str | None = None
    meta_graph_url: str = "https://graph.facebook.com"
    trustpilot_webhook_user: str | None = None
    trustpilot_webhook_password: str | None = None
    trustpilot_brand: str = "trustpilot"
    point_value: Decimal = Decimal(0)
    # (tier, least points) from the lowest; `customer.tier` is the highest one reached.
    loyalty_tiers: tuple[tuple[str, int], ...] = (("member", 0), ("silver", 100), ("gold", 500))
    ticket_metrics_every: float = 300.0
    ticket_metrics_days: int = 30

    @classmethod
    def from_env(cls, env=None) -> "Settings":
        """Build settings from environment variables, falling back to the embedded defaults."""
        env = os.environ if env is None else env
        defaults = cls()
        return cls(
            database_url=env.get("GOODWILL_DATABASE_URL", defaults.database_url),
            policies=Path(env["GOODWILL_POLICIES"]) if env.get("GOODWILL_POLICIES") else defaults.policies,
            lexicons=Path(env[LEXICONS_VARIABLE]) if env.get(LEXICONS_VARIABLE) else None,
            zendesk_url=env.get("ZENDESK_URL") or None,
            zendesk_email=env.get("ZENDESK_EMAIL", defaults.zendesk_email),
            zendesk_token=env.get("ZENDESK_TOKEN", defaults.zendesk_token),
            webhook_secret=env.get("GOODWILL_WEBHOOK_SECRET") or None,
            api_token=env.get("GOODWILL_API_TOKEN") or None,
            secret_key=env.get("GOODWILL_SECRET_KEY") or None,
            admin_password=env.get("GOODWILL_ADMIN_PASSWORD") or None,
            crm_webhook_url=env.get("GOODWILL_CRM_WEBHOOK_URL") or None,
            crm_webhook_secret=env.get("GOODWILL_CRM_WEBHOOK_SECRET") or None,
            smtp_url=env.get("GOODWILL_SMTP_URL") or None,
            lease_seconds=float(env.get("GOODWILL_LEASE_SECONDS", defaults.lease_seconds)),
            max_attempts=int(env.get("GOODWILL_MAX_ATTEMPTS", defaults.max_attempts)),
            backoff_base=float(env.get("GOODWILL_BACKOFF_BASE", defaults.backoff_base)),
            webhook_max_bytes=int(env.get("GOODWILL_WEBHOOK_MAX_BYTES", defaults.webhook_max_bytes)),
            meta_app_secret=env.get("META_APP_SECRET") or None,
            meta_verify_token=env.get("META_VERIFY_TOKEN") or None,
            x_consumer_secret=env.get("X_CONSUMER_SECRET") or None,
            google_pubsub_token=env.get("GOOGLE_PUBSUB_TOKEN") or None,
            google_oidc_audience=env.get("GOOGLE_OIDC_AUDIENCE") or None,
            google_pubsub_service_account=env.get("GOOGLE_PUBSUB_SERVICE_ACCOUNT") or None,
            google_oidc_certs_url=env.get("GOOGLE_OIDC_CERTS_URL") or defaults.google_oidc_certs_url,
            trustpilot_webhook_user=env.get("TRUSTPILOT_WEBHOOK_USER") or None,
            trustpilot_webhook_password=env.get("TRUSTPILOT_WEBHOOK_PASSWORD") or None,
            trustpilot_brand=env.get("TRUSTPILOT_BRAND") or defaults.trustpilot_brand,
            point_value=_money(env, "GOODWILL_POINT_VALUE", defaults.point_value),
            loyalty_tiers=_tiers(env.get("GOODWILL_LOYALTY_TIERS")) or defaults.loyalty_tiers,
            ticket_metrics_every=float(env.get("GOODWILL_TICKET_METRICS_EVERY",
                                               defaults.ticket_metrics_every)),
            ticket_metrics_days=int(env.get("GOODWILL_TICKET_METRICS_DAYS",
                                            defaults.ticket_metrics_days)),
        )


def _tiers(text: str | None) -> tuple[tuple[str, int], ...]:
    """Read `member:0,silver:100,gold:500`; refuse anything else, naming the variable."""
    if not text:
        return ()
    tiers = []
    for part in text.split(","):
        name, _, points = part.strip().partition(":")
        if not name or not points.strip().isdigit():
            raise ValueError("GOODWILL_LOYALTY_TIERS must read like member:0,silver:100,gold:500, "
                             f"not {text!r}")
        tiers.append((name.strip(), int(points)))
    return tuple(sorted(tiers, key=lambda tier: tier[1]))


def _money(env, name: str, default: Decimal) -> Decimal:
    """Read an amount of money such as 0.01; refuse anything else, naming the variable."""
    text = env.get(name)
    if not text:
        return default
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        raise ValueError(f"{name} must be an amount such as 0.01, not {text!r}")
    return amount
