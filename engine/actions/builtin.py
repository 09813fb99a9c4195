"""Import the built-in actions so they register themselves."""
from engine.actions import crm_webhook, loyalty_credit, zendesk_balance, zendesk_ticket  # noqa: F401
