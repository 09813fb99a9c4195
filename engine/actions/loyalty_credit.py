"""`loyalty.credit`: points or a voucher into the ledger, once per thing rewarded."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from engine.actions.base import ActionContext, ActionType, PermanentActionError
from engine.actions.registry import register
from engine.actions.templates import render
from engine.db import LedgerEntry, utcnow
from engine.history import parse_history_name


class LimitSchema(Schema):
    max = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    within = fields.String(required=True, validate=validate.Regexp(
        r"^\d+[mhd]$", error="must be a duration such as 90d, 12h or 30m"))


class CreditParams(Schema):
    points = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0))
    voucher = fields.String(load_default=None)
    note = fields.String(load_default=None)
    limit = fields.Nested(LimitSchema, load_default=None)
    key = fields.String(load_default="per_event",
                        validate=validate.OneOf(["per_event", "per_referred"]))

    @validates_schema
    def something_to_credit(self, data, **kwargs):
        if not data.get("points") and not data.get("voucher"):
            raise ValidationError("give points or a voucher", "points")


def reward_key(ctx: ActionContext, params: dict) -> str:
    """Say what is rewarded: the event itself, or the referred person whoever referred them."""
    rule = f"{ctx.policy}/{ctx.rule}"
    if params["key"] == "per_referred":
        referred = ctx.event.get("referred") or {}
        who = (referred.get("email") or "").lower() or referred.get("code")
        if not who:
            raise PermanentActionError("a per_referred credit needs referred.email or referred.code")
        return f"{rule}:referred:{who}"
    return f"{rule}:{ctx.event['platform']}:{ctx.event['id']}"


@register
class LoyaltyCredit(ActionType):
    name = "loyalty.credit"
    Params = CreditParams
    template_fields = ("note",)

    def label(self, params: dict) -> str:
        what = f"voucher {params['voucher']}" if params.get("voucher") else f"{params['points']} points"
        limit = params.get("limit")
        return f"credit {what}" + (f", at most {limit['max']} per {limit['within']}" if limit else "")

    def execute(self, ctx: ActionContext, params: dict) -> dict:
        customer_id = ctx.customer.get("id")
        if customer_id is None:
            raise PermanentActionError("the event has no customer to credit")
        key = reward_key(ctx, params)
        try:
            return self._credit(ctx, params, customer_id, key)
        except IntegrityError:
            # Another worker wrote the same key first: the ledger's unique key decided.
            return {"credited": False, "reason": "already rewarded"}

    def _credit(self, ctx: ActionContext, params: dict, customer_id: str, key: str) -> dict:
        with ctx.sessionmaker.begin() as session:
            existing = session.scalar(select(LedgerEntry).where(LedgerEntry.key == key))
            if existing is not None:
                return {"credited": False, "reason": "already rewarded", "ledger_id": existing.id}
            if params.get("limit") and self._over_limit(session, customer_id, ctx, params["limit"]):
                limit = params["limit"]
                return {"credited": False, "limited": True,
                        "reason": f"limit of {limit['max']} per {limit['within']} reached"}
            entry = LedgerEntry(customer_id=customer_id, points=params["points"],
                                voucher=params.get("voucher"), policy=ctx.policy, rule=ctx.rule,
                                event_id=ctx.inbox_id, key=key,
                                note=render(params["note"], ctx.fact) if params.get("note") else None)
            session.add(entry)
        return {"credited": True, "ledger_id": entry.id, "points": entry.points,
                "voucher": entry.voucher, "note": entry.note}

    @staticmethod
    def _over_limit(session, customer_id: str, ctx: ActionContext, limit: dict) -> bool:
        _, window = parse_history_name(f"limit_{limit['within']}")
        given = session.scalar(select(func.count(LedgerEntry.id)).where(
            LedgerEntry.customer_id == customer_id, LedgerEntry.kind == "credit",
            LedgerEntry.policy == ctx.policy, LedgerEntry.rule == ctx.rule,
            LedgerEntry.created_at >= utcnow() - window))
        return given >= limit["max"]
