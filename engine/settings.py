"""Settings read from the environment, as DESIGN.md lists them."""
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path


def shipped_policies_dir() -> Path:
    """Return the policies that ship with the package, wherever it is installed."""
    try:
        return Path(str(resources.files("engine.shipped_policies")))
    except ModuleNotFoundError:
        # An editable install or a source checkout: policies/ sits beside engine/.
        return Path(__file__).resolve().parent.parent / "policies"


@dataclass
class Settings:
    database_url: str = "sqlite:///goodwill.db"
    policies: Path = field(default_factory=shipped_policies_dir)
    zendesk_url: str | None = None
    zendesk_email: str = "goodwill@example.com"
    zendesk_token: str = "local-desk-token"
    webhook_secret: str | None = None
    api_token: str | None = None
    secret_key: str | None = None
    admin_password: str | None = None
    crm_webhook_url: str | None = None
    crm_webhook_secret: str | None = None
    max_attempts: int = 5
    backoff_base: float = 2.0

    @classmethod
    def from_env(cls, env=None) -> "Settings":
        """Build settings from environment variables, falling back to the embedded defaults."""
        env = os.environ if env is None else env
        defaults = cls()
        return cls(
            database_url=env.get("GOODWILL_DATABASE_URL", defaults.database_url),
            policies=Path(env["GOODWILL_POLICIES"]) if env.get("GOODWILL_POLICIES") else defaults.policies,
            zendesk_url=env.get("ZENDESK_URL") or None,
            zendesk_email=env.get("ZENDESK_EMAIL", defaults.zendesk_email),
            zendesk_token=env.get("ZENDESK_TOKEN", defaults.zendesk_token),
            webhook_secret=env.get("GOODWILL_WEBHOOK_SECRET") or None,
            api_token=env.get("GOODWILL_API_TOKEN") or None,
            secret_key=env.get("GOODWILL_SECRET_KEY") or None,
            admin_password=env.get("GOODWILL_ADMIN_PASSWORD") or None,
            crm_webhook_url=env.get("GOODWILL_CRM_WEBHOOK_URL") or None,
            crm_webhook_secret=env.get("GOODWILL_CRM_WEBHOOK_SECRET") or None,
            max_attempts=int(env.get("GOODWILL_MAX_ATTEMPTS", defaults.max_attempts)),
            backoff_base=float(env.get("GOODWILL_BACKOFF_BASE", defaults.backoff_base)),
        )
