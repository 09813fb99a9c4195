"""Google Business Profile reviews through Pub/Sub push: `POST /webhooks/google`."""
