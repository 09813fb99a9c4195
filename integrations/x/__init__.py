"""X (Twitter) through the Account Activity API: `GET|POST /webhooks/x`."""
