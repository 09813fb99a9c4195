"""Import the built-in actions so they register themselves."""
from engine.actions import crm_webhook, email_note, loyalty_credit, zendesk_balance, zendesk_ticket  # noqa: F401
