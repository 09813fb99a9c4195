"""`loyalty.credit`: points or a voucher into the ledger, once per thing rewarded."""
from datetime import timedelta
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy.exc import IntegrityError

from engine import ledger, referrals
from engine.actions.base import ActionContext, ActionType, PermanentActionError
from engine.actions.registry import register
from engine.actions.templates import render
from engine.history import parse_history_name


DURATION = validate.Regexp(r"^\d+[mhd]$", error="must be a duration such as 90d, 12h or 30m")


class LimitSchema(Schema):
    """Per customer (`max` per `within`), per rule per day, and the brand's daily points."""

    max = fields.Integer(strict=True, validate=validate.Range(min=1),
                         metadata={"description": "credits one customer may get from this rule "
                                                  "within `within`"})
    within = fields.String(validate=DURATION, metadata={"description": "the window of `max`"})
    rule_per_day = fields.Integer(strict=True, validate=validate.Range(min=0), metadata={
        "description": "credits this rule may give in a day, all customers together"})
    brand_points_per_day = fields.Integer(strict=True, validate=validate.Range(min=0), metadata={
        "description": "points the event's brand may give in a day, all rules together"})

    @validates_schema
    def max_with_within(self, data, **kwargs):
        if ("max" in data) != ("within" in data):
            raise ValidationError("give max and within together", "within")
        if not data:
            raise ValidationError("give max and within, rule_per_day or brand_points_per_day")


class BurstSchema(Schema):
    max = fields.Integer(required=True, strict=True, validate=validate.Range(min=1),
                         metadata={"description": "referral claims one referrer may make within `within`"})
    within = fields.String(required=True, validate=DURATION,
                           metadata={"description": "the window of `max`"})


class CreditParams(Schema):
    points = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0),
                            metadata={"description": "points to credit; give points, a voucher or both"})
    voucher = fields.String(load_default=None, metadata={"description": "a voucher to credit, by name"})
    voucher_days = fields.Integer(load_default=365, strict=True, validate=validate.Range(min=1),
                                  metadata={"description": "days the voucher stays valid"})
    note = fields.String(load_default=None, metadata={"description": "a note kept with the credit"})
    limit = fields.Nested(LimitSchema, load_default=None, metadata={
        "description": "caps on this rule's credits; a credit a cap stops is recorded as limited"})
    key = fields.String(load_default="per_event",
                        validate=validate.OneOf(["per_event", "per_referred"]), metadata={
                            "description": "per_event: once per event rewarded; per_referred: a "
                                           "referral, paid to the referrer once per referred person "
                                           "when that person signs up or buys"})
    burst = fields.Nested(BurstSchema, load_default=None, metadata={
        "description": "per_referred: refuse a burst of claims (default 5 within 1d)"})
    # A float, not a Decimal: the parameters are stored as JSON in the outbox.
    cost = fields.Float(load_default=None, validate=validate.Range(min=0), metadata={
        "description": "what one voucher costs the business, for the KPIs' reward cost "
                       "(points are costed at GOODWILL_POINT_VALUE)"})

    @validates_schema
    def something_to_credit(self, data, **kwargs):
        if not data.get("points") and not data.get("voucher"):
            raise ValidationError("give points or a voucher", "points")
        if data.get("cost") is not None and not data.get("voucher"):
            raise ValidationError("cost is the price of a voucher: give it with voucher "
                                  "(points are costed at GOODWILL_POINT_VALUE)", "cost")


def _window(duration: str) -> timedelta:
    return parse_history_name(f"limit_{duration}")[1]


def reward_cost(params: dict, point_value: Decimal) -> Decimal:
    """Return what a credit costs the business: points at point_value plus the voucher's cost."""
    # Through str: the float 2.5 from YAML becomes exactly 2.5, not its binary neighbour.
    return params["points"] * point_value + Decimal(str(params.get("cost") or 0))


@register
class LoyaltyCredit(ActionType):
    """Credit points or a voucher; with `key: per_referred`, pay a referral once confirmed."""

    name = "loyalty.credit"
    Params = CreditParams
    template_fields = ("note",)
    example = """\
loyalty.credit:
  voucher: free-coffee
  note: "Next time you're in, {author.name}, the coffee is on us"
  limit: {max: 1, within: 90d}"""

    def label(self, params: dict) -> str:
        what = f"voucher {params['voucher']}" if params.get("voucher") else f"{params['points']} points"
        limit = params.get("limit") or {}
        if params.get("key") == "per_referred":
            what += " to the referrer once the referred person joins"
        return f"credit {what}" + (f", at most {limit['max']} per {limit['within']}"
                                   if limit.get("max") else "")

    def execute(self, ctx: ActionContext, params: dict) -> dict:
        customer_id = ctx.customer.get("id")
        if customer_id is None:
            raise PermanentActionError("the event has no customer to credit")
        note = render(params["note"], ctx.fact) if params.get("note") else None
        try:
            with ctx.sessionmaker.begin() as session:
                if params["key"] == "per_referred":
                    return self._referral(session, ctx, params, customer_id, note)
                limit = params.get("limit")
                return ledger.credit(
                    session, customer_id=customer_id,
                    key=f"{ctx.policy}/{ctx.rule}:{ctx.event['platform']}:{ctx.event['id']}",
                    points=params["points"], voucher=params.get("voucher"), note=note,
                    policy=ctx.policy, rule=ctx.rule, event_id=ctx.inbox_id,
                    brand=ctx.event.get("brand"), limit=limit,
                    window=_window(limit["within"]) if limit and limit.get("within") else None,
                    voucher_days=params["voucher_days"],
                    cost=reward_cost(params, ctx.settings.point_value))
        except IntegrityError:
            # Another worker wrote the same key first: the ledger's unique key decided.
            return {"credited": False, "reason": "already rewarded"}

    @staticmethod
    def _referral(session, ctx: ActionContext, params: dict, customer_id: str, note) -> dict:
        """A claim waits for its friend; a signup or purchase confirms the claims waiting for it."""
        if ctx.event["kind"] == "referral":
            referred = ctx.event.get("referred") or {}
            if not (referred.get("email") or referred.get("code")):
                raise PermanentActionError("a per_referred credit needs referred.email or referred.code")
            burst = params.get("burst") or referrals.DEFAULT_BURST
            claim = referrals.claim(session, referrer_id=customer_id, claim_event_id=ctx.inbox_id,
                                    referred=referred, burst=burst,
                                    burst_window=_window(burst["within"]))
            return {"credited": False, "referral": claim,
                    "reason": claim["reason"] or "waiting for the referred person to join"}
        return referrals.confirm(session, customer_id=customer_id, event=ctx.event,
                                 points=params["points"], voucher=params.get("voucher"), note=note,
                                 policy=ctx.policy, rule=ctx.rule, event_id=ctx.inbox_id,
                                 cost=reward_cost(params, ctx.settings.point_value))
