"""Counts over time windows, computed in SQL before matching: one customer's, a brand's, a rate."""
import hashlib
import re
from dataclasses import dataclass

from marshmallow import ValidationError, fields, validate, validates_schema

from engine.policy.conditions.base import (FACT, ORDERED, ComputedInput, Condition,
                                           OperatorSchema, StrictInteger)
from engine.policy.conditions.builtin import IntegerCondition
from engine.policy.conditions.words import Keyword, keyword

WHAT = re.compile(r"^[a-z][a-z0-9_-]*$")
WINDOW = re.compile(r"^[1-9]\d*[mhd]$")


@dataclass(frozen=True)
class CountSpec:
    """One count the fact needs: whose events (`customer` or `brand`), which, and where it goes.

    `name` is `<what>_<N>(m|h|d)` as in `history.complaints_30d`; `words` keeps only events
    whose text holds one of them; the count lands in `fact[slot[0]][slot[1]]`.
    """

    scope: str
    name: str
    words: tuple[str, ...] = ()

    @property
    def slot(self) -> tuple[str, str]:
        """Return (fact key, key inside it) where the count is attached."""
        if self.words:
            return "rates", f"{self.name} mentioning {', '.join(self.words)}"
        return ("history" if self.scope == "customer" else "brand_history"), self.name


class HistoryCondition(IntegerCondition):
    """The customer's earlier events in a window ending at this one, counted before matching.

    `<what>` is `engagements` (likes, shares, follows, comments, mentions, replies), `events`
    (everything), a kind in singular or plural (`mentions`, `reviews`), or a policy or rule name
    (events it decided on: `complaints_30d` counts earlier complaints). The window is N minutes,
    hours or days.
    """

    key = "history"
    pattern = "history.<what>_<N>(m|h|d)"
    example = "history.complaints_30d: {at_least: 3}"

    def counts(self, params: dict) -> list:
        return [CountSpec("customer", self.path.split(".", 1)[1])]


class BrandHistoryCondition(IntegerCondition):
    """The same count as `history.*` over every customer of the event's brand (the brand's own posts not counted)."""

    key = "brand_history"
    pattern = "brand_history.<what>_<N>(m|h|d)"
    example = "brand_history.mentions_1h: {at_least: 200}"

    def counts(self, params: dict) -> list:
        return [CountSpec("brand", self.path.split(".", 1)[1])]


class _RateWhat(OperatorSchema):
    of = fields.String(required=True, validate=validate.Regexp(
        WHAT, error="name a kind (mentions), `events`, `engagements`, a policy or a rule"))
    within = fields.String(required=True, validate=validate.Regexp(
        WINDOW, error="give a window such as 10m, 2h or 1d"))
    mentioning = fields.List(Keyword(), validate=validate.Length(min=1))

    @validates_schema
    def needs_a_threshold(self, data, **kwargs):
        if not any(op in data for op in ORDERED):
            raise ValidationError(f"give a threshold: one of {', '.join(ORDERED)}")


RateParams = type("RateParams", (_RateWhat,), {op: StrictInteger() for op in ORDERED})


class RateCondition(Condition):
    """Incident detection: how many earlier events of the brand, from every customer, within a window, optionally mentioning some words.

    `of` names what is counted as in `history.*` (a kind, `events`, `engagements`, a policy or
    a rule). In policy tests give the count as `rates: {"<of>_<within> mentioning <words>": N}`
    (`goodwill simulate --explain` shows the name).
    """

    key = "rate"
    kind = "integer"
    Params = RateParams
    example = "rate: {of: complaints, within: 10m, mentioning: [outage], at_least: 20}"

    def shorthand(self, raw):
        return raw

    def counts(self, params: dict) -> list:
        return [_spec(params)]

    def inputs(self, params: dict) -> list:
        counter = self._counter(params)
        return [ComputedInput(counter.durable.split(".", 1)[1], counter.value)]

    def label(self, params: dict) -> str:
        thresholds = ", ".join(f"{ORDERED[op][3]} {params[op]}" for op in ORDERED if op in params)
        return f"rate of {_described(params)}: {thresholds}"

    def evaluate(self, fact: dict, params: dict) -> tuple[bool, str]:
        counter = self._counter(params)
        count = counter.value(fact)
        passed, phrases = counter.judge(count, _thresholds(params))
        return passed, f"{count if count is not None else 0} {_described(params)}, {phrases}"

    def compile(self, params: dict, negate: bool = False) -> dict:
        return self._counter(params).compile(_thresholds(params), negate)

    def _counter(self, params: dict) -> IntegerCondition:
        spec = _spec(params)
        counter = IntegerCondition(".".join(spec.slot))
        counter.steps = spec.slot
        # The slot's key has spaces and commas; durable_rules reads the count under a plain name.
        digest = hashlib.sha1(counter.path.encode("utf-8")).hexdigest()[:12]
        counter.durable = f"{FACT}.rate_{digest}"
        return counter


def _spec(params: dict) -> CountSpec:
    words = tuple(keyword(w) for w in params.get("mentioning", ()))
    return CountSpec("brand", f"{params['of']}_{params['within']}", words)


def _thresholds(params: dict) -> dict:
    return {op: params[op] for op in params if op in ORDERED}


def _described(params: dict) -> str:
    words = params.get("mentioning")
    mentioning = f" mentioning {' or '.join(words)}" if words else ""
    return f"{params['of']}{mentioning} within {params['within']} across customers"

