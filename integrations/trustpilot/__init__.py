"""Trustpilot service reviews through Trustpilot's webhooks: `POST /webhooks/trustpilot`."""
