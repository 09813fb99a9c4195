"""The built-in conditions: one small class per thing a policy may test."""
from marshmallow import fields, validate

from engine.policy import factpaths
from engine.policy.conditions.base import (StrictBool, StrictInteger, StrictNumber,
                                           ValueCondition, value_params)
from engine.policy.conditions.words import TextCondition
from engine.schema import KINDS, PLATFORM_NAME


def _kind():
    return fields.String(validate=validate.OneOf(KINDS))


def _platform():
    return fields.String(validate=PLATFORM_NAME)


def _json_scalar():
    return JsonScalar()


class JsonScalar(fields.Field):
    """A string, number or true/false, as a sender's `extra` fields hold."""

    default_error_messages = {"invalid": "must be a string, number or true/false"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, (str, int, float, bool)):
            raise self.make_error("invalid")
        return value


class StringCondition(ValueCondition):
    """Exact text of a field (an id, a handle, an email)."""

    kind = "string"
    Params = value_params("StringParams", fields.String, ordered=False)
    example = "signals.order_number: {exists: true}"


class IntegerCondition(ValueCondition):
    """A count or a whole number."""

    kind = "integer"
    Params = value_params("IntegerParams", StrictInteger, ordered=True)
    example = "customer.vouchers: {at_least: 1}"


class NumberCondition(ValueCondition):
    """A number such as the sentiment score."""

    kind = "number"
    Params = value_params("NumberParams", StrictNumber, ordered=True)
    example = "signals.complaint: {at_least: 0.6}"


class BoolCondition(ValueCondition):
    """A yes/no field."""

    kind = "bool"
    Params = value_params("BoolParams", StrictBool, ordered=False)
    example = "signals.is_question: true"


class ExtraCondition(ValueCondition):
    """A field the sender added (`extra.vip`), compared exactly as JSON: true is not 1."""

    kind = "json"
    Params = value_params("ExtraParams", _json_scalar, ordered=False)
    pattern = "extra.<key>"
    example = "extra.vip: true"

    def load(self, raw) -> dict:
        loaded = super().load(raw)
        return {op: ([factpaths.canonical_json(a) for a in arg] if op in ("in", "not_in")
                     else arg if op == "exists" else factpaths.canonical_json(arg))
                for op, arg in loaded.items()}


class KindCondition(StringCondition):
    """What happened: a post, a mention, a review, a like, a signup at the till, …"""

    key = "kind"
    Params = value_params("KindParams", _kind, ordered=False)
    example = "kind: [mention, comment, direct_message, review]"


class PlatformCondition(StringCondition):
    """Where it happened: twitter, facebook, instagram, google, trustpilot, web or a plugin's name."""

    key = "platform"
    Params = value_params("PlatformParams", _platform, ordered=False)
    example = "platform: {not_in: [google, trustpilot]}"


class BrandCondition(StringCondition):
    """The brand account the event was addressed to."""

    key = "brand"
    example = "brand: AmazonHelp"


class AuthorHandleCondition(StringCondition):
    """The author's handle as the platform shows it (people change it; ids stay)."""

    key = "author.handle"
    example = "author.handle: {in: [123itsmeMary, kim.fan]}"


class SentimentCondition(NumberCondition):
    """The text's tone, VADER's score from -1 (angry) to 1 (delighted); 0 without text."""

    key = "sentiment"
    example = "sentiment: {below: -0.3}"


class RatingCondition(IntegerCondition):
    """A review's stars, 1 to 5; missing on everything but reviews."""

    key = "rating"
    example = "rating: {at_most: 2}"


class AuthorFollowersCondition(IntegerCondition):
    """How many followers the author has, when the platform says."""

    key = "author.followers"
    example = "author.followers: {at_least: 10000}"


class CustomerPointsCondition(IntegerCondition):
    """The customer's loyalty points balance."""

    key = "customer.points"
    example = "customer.points: {at_least: 500}"


class CustomerTierCondition(StringCondition):
    """The customer's loyalty tier, from their points and the tiers in GOODWILL_LOYALTY_TIERS."""

    key = "customer.tier"
    example = "customer.tier: [silver, gold]"


class AuthorVerifiedCondition(BoolCondition):
    """Whether the platform marks the author as verified."""

    key = "author.verified"
    example = "author.verified: true"


class ConversationFirstCondition(BoolCondition):
    """Whether no earlier customer event exists in this event's conversation."""

    key = "conversation.first"
    example = "conversation.first: true"


class ConversationTicketedCondition(BoolCondition):
    """Whether the conversation already has a Goodwill ticket (the event then comments on it)."""

    key = "conversation.ticketed"
    example = "conversation.ticketed: false"


class CustomerLinkedCondition(BoolCondition):
    """Whether the customer is known by more than one identity (an email and a handle)."""

    key = "customer.linked"
    example = "customer.linked: true"


class DecidedTicketCondition(BoolCondition):
    """Whether a rule of the first pass asked for a Zendesk ticket (fallback rules only)."""

    key = "decided.ticket"
    example = "decided.ticket: false"


BUILTIN = (KindCondition, PlatformCondition, TextCondition, SentimentCondition, RatingCondition,
           AuthorFollowersCondition, AuthorVerifiedCondition, AuthorHandleCondition,
           BrandCondition, ConversationFirstCondition, ConversationTicketedCondition,
           CustomerLinkedCondition, CustomerPointsCondition, CustomerTierCondition,
           DecidedTicketCondition)

BY_TYPE = {"string": StringCondition, "integer": IntegerCondition, "number": NumberCondition,
           "bool": BoolCondition, "json": ExtraCondition}
