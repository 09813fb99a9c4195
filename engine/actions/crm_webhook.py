"""`crm.webhook`: tell the business's CRM, by a Standard Webhooks signed POST."""
import json
from datetime import datetime, timezone

import requests
from marshmallow import Schema, fields, validate

from engine.actions.base import ActionContext, ActionFailed, ActionType, PermanentActionError
from engine.actions.registry import register
from engine.sender import signed_headers


class CrmParams(Schema):
    event = fields.String(required=True, validate=validate.Regexp(
        r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$", error="must look like customer.appreciated"),
        metadata={"description": "the body's `type`; the body also carries the customer, "
                                 "the event and the decision"})


def payload(ctx: ActionContext, event_type: str) -> dict:
    """Build the documented body: type, timestamp, and the customer, event and decision."""
    return {"type": event_type,
            "timestamp": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
            "data": {"customer": ctx.customer, "event": ctx.event,
                     "decision": {"policy": ctx.policy, "policy_version": ctx.policy_version,
                                  "rule": ctx.rule, "why": ctx.why}}}


@register
class CrmWebhook(ActionType):
    """POST to GOODWILL_CRM_WEBHOOK_URL, signed per Standard Webhooks, the same webhook-id on retries."""

    name = "crm.webhook"
    Params = CrmParams
    example = "crm.webhook: {event: customer.appreciated}"

    def label(self, params: dict) -> str:
        return f"send {params['event']} to the CRM webhook"

    def execute(self, ctx: ActionContext, params: dict) -> dict:
        url, secret = ctx.settings.crm_webhook_url, ctx.settings.crm_webhook_secret
        if not url:
            return {"skipped": "no CRM endpoint: set GOODWILL_CRM_WEBHOOK_URL"}
        if not secret:
            raise PermanentActionError("set GOODWILL_CRM_WEBHOOK_SECRET (whsec_…) to sign CRM calls")
        body = json.dumps(payload(ctx, params["event"]))
        # The webhook-id stays the same on every retry, so the CRM can drop repeats.
        headers = signed_headers(secret, body, msg_id=f"msg_{ctx.idempotency_key}")
        try:
            response = requests.post(url, data=body.encode(), headers=headers, timeout=10)
        except requests.RequestException as exc:
            raise ActionFailed(f"CRM webhook unreachable: {exc}")
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = response.headers.get("Retry-After")
            raise ActionFailed(f"CRM answered {response.status_code}",
                               float(retry_after) if retry_after and retry_after.isdigit() else None)
        if response.status_code >= 400:
            raise PermanentActionError(f"CRM refused the call: {response.status_code} "
                                       f"{response.text[:200]}")
        return {"status": response.status_code, "webhook_id": headers["webhook-id"]}
