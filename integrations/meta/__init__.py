"""Facebook Pages and Instagram through Meta's Graph API webhooks: `GET|POST /webhooks/meta`."""
