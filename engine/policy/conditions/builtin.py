"""The built-in conditions: one small class per thing a policy may test."""
from marshmallow import fields, validate

from engine.policy import factpaths
from engine.policy.conditions.base import (StrictBool, StrictInteger, StrictNumber,
                                           ValueCondition, value_params)
from engine.policy.conditions.words import DecidedLabelsCondition, TextCondition
from engine.schema import KINDS, PLATFORM_NAME


def _kind():
    return fields.String(validate=validate.OneOf(KINDS))


def _platform():
    return fields.String(validate=PLATFORM_NAME)


def _json_scalar():
    return JsonScalar()


class JsonScalar(fields.Field):
    """A string, number or boolean, as `extra` fields from a sender may hold."""

    default_error_messages = {"invalid": "must be a string, number or true/false"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, (str, int, float, bool)):
            raise self.make_error("invalid")
        return value


class StringCondition(ValueCondition):
    """Exact text of a field (an id, a handle, an email)."""

    kind = "string"
    Params = value_params("StringParams", fields.String, ordered=False)


class IntegerCondition(ValueCondition):
    """A count or a whole number."""

    kind = "integer"
    Params = value_params("IntegerParams", StrictInteger, ordered=True)


class NumberCondition(ValueCondition):
    """A number such as the sentiment score."""

    kind = "number"
    Params = value_params("NumberParams", StrictNumber, ordered=True)


class BoolCondition(ValueCondition):
    """A yes/no field."""

    kind = "bool"
    Params = value_params("BoolParams", StrictBool, ordered=False)


class ExtraCondition(ValueCondition):
    """A field the sender added (`extra.vip`), compared exactly as JSON: true is not 1."""

    kind = "json"
    Params = value_params("ExtraParams", _json_scalar, ordered=False)

    def load(self, raw) -> dict:
        loaded = super().load(raw)
        return {op: ([factpaths.canonical_json(a) for a in arg] if op in ("in", "not_in")
                     else arg if op == "exists" else factpaths.canonical_json(arg))
                for op, arg in loaded.items()}


class KindCondition(StringCondition):
    key = "kind"
    Params = value_params("KindParams", _kind, ordered=False)


class PlatformCondition(StringCondition):
    key = "platform"
    Params = value_params("PlatformParams", _platform, ordered=False)


class BrandCondition(StringCondition):
    key = "brand"


class AuthorHandleCondition(StringCondition):
    key = "author.handle"


class SentimentCondition(NumberCondition):
    key = "sentiment"


class RatingCondition(IntegerCondition):
    key = "rating"


class AuthorFollowersCondition(IntegerCondition):
    key = "author.followers"


class CustomerPointsCondition(IntegerCondition):
    key = "customer.points"


class AuthorVerifiedCondition(BoolCondition):
    key = "author.verified"


class ConversationFirstCondition(BoolCondition):
    key = "conversation.first"


class ConversationTicketedCondition(BoolCondition):
    key = "conversation.ticketed"


class CustomerLinkedCondition(BoolCondition):
    key = "customer.linked"


class DecidedTicketCondition(BoolCondition):
    key = "decided.ticket"


class HistoryCondition(IntegerCondition):
    """A count over a time window, `history.complaints_30d`, computed before matching."""

    key = "history"


BUILTIN = (KindCondition, PlatformCondition, TextCondition, SentimentCondition, RatingCondition,
           AuthorFollowersCondition, AuthorVerifiedCondition, AuthorHandleCondition,
           BrandCondition, ConversationFirstCondition, ConversationTicketedCondition,
           CustomerLinkedCondition, CustomerPointsCondition, DecidedTicketCondition,
           DecidedLabelsCondition)

BY_TYPE = {"string": StringCondition, "integer": IntegerCondition, "number": NumberCondition,
           "bool": BoolCondition, "json": ExtraCondition}
