"""An example Goodwill plugin: a condition and an action, found through entry points."""
from marshmallow import Schema, fields

from engine.actions.base import ActionType
from engine.policy.conditions.base import Condition, OperatorSchema, show


class InfluencerParams(OperatorSchema):
    followers = fields.Integer(strict=True, required=True,
                               metadata={"description": "the fewest followers that count"})


class Influencer(Condition):
    """An author with a large audience: `influencer: 10000`."""

    key = "influencer"
    Params = InfluencerParams
    kind = "integer"
    example = "influencer: 10000"

    def __init__(self):
        super().__init__("author.followers")

    def shorthand(self, raw):
        return raw if isinstance(raw, dict) else {"followers": raw}

    def label(self, params):
        return f"author has at least {params['followers']} followers"

    def evaluate(self, fact, params):
        value = self.value(fact)
        ok = value is not None and value >= params["followers"]
        return ok, f"author.followers {show(value)} {'at least' if ok else 'under'} {params['followers']}"

    def compile(self, params, negate=False):
        if negate:
            return {"$or": [{"$nex": {self.durable: 1}}, {"$lt": {self.durable: params["followers"]}}]}
        return {"$gte": {self.durable: params["followers"]}}


class ShoutParams(Schema):
    channel = fields.String(required=True, metadata={"description": "the channel, without #"})


class Shout(ActionType):
    """Tell a team channel; this example records what it would say."""

    name = "team.shout"
    Params = ShoutParams
    example = "team.shout: {channel: care}"

    def label(self, params):
        return f"tell #{params['channel']}"

    def execute(self, ctx, params):
        return {"told": params["channel"], "about": ctx.event["id"]}
