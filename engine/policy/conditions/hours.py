"""Whether the event came in during the brand's business hours, holidays closed."""
import hashlib
from datetime import datetime

from marshmallow import fields, validate

from engine.policy.calendar import BusinessHours
from engine.policy.conditions.base import FACT, ComputedInput, Condition, OperatorSchema

STATES = ("open", "closed")


class HoursParams(OperatorSchema):
    is_ = fields.String(data_key="is", validate=validate.OneOf(STATES),
                        metadata={"description": "open or closed"})


class BusinessHoursCondition(Condition):
    """Whether the event happened while the brand was open, by the policy's `business_hours:` section (its time zone, opening hours and holidays)."""

    key = "business_hours"
    kind = "bool"
    Params = HoursParams
    example = "business_hours: closed"
    example_policy = """\
business_hours:
  timezone: Europe/London
  open: {mon-fri: "09:00-17:30", sat: "10:00-16:00", sun: closed}
  holidays: [2026-12-25]
  brands:
    AcmeUS: {timezone: America/New_York, open: {mon-sun: "08:00-20:00"}}"""

    def shorthand(self, raw):
        return {"is": raw} if isinstance(raw, str) else raw

    def load(self, raw) -> dict:
        return {"is": self.Params().load(self.shorthand(raw))["is_"]}

    def bind(self, params: dict, context: dict) -> dict:
        hours = context.get("business_hours")
        if not isinstance(hours, BusinessHours):
            raise ValueError("give the policy a valid `business_hours:` section (timezone, "
                             "open hours, holidays) for this condition to read")
        return {**params, "hours": hours}

    def inputs(self, params: dict) -> list:
        return [ComputedInput(_slot(params), lambda fact: _status(fact, params["hours"])[0])]

    def label(self, params: dict) -> str:
        return f"business hours: {params['is']}"

    def evaluate(self, fact: dict, params: dict) -> tuple[bool, str]:
        is_open, why = _status(fact, params["hours"])
        passed = is_open is not None and is_open == (params["is"] == "open")
        return passed, f"business hours {'open' if is_open else 'closed'}: {why}"

    def compile(self, params: dict, negate: bool = False) -> dict:
        field, wanted = f"{FACT}.{_slot(params)}", params["is"] == "open"
        if negate:
            return {"$or": [{"$nex": {field: 1}}, {field: not wanted}]}
        return {field: wanted}


def _slot(params: dict) -> str:
    return "hours_" + hashlib.sha1(repr(params["hours"]).encode("utf-8")).hexdigest()[:12]


def _status(fact: dict, hours: BusinessHours) -> tuple[bool | None, str]:
    try:
        moment = datetime.fromisoformat(str(fact.get("occurred_at")))
    except ValueError:
        return None, "the event has no valid time"
    if moment.tzinfo is None:
        return None, "the event's time has no time zone"
    return hours.for_brand(fact.get("brand")).status(moment)
