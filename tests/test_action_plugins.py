"""Actions from plugins: declared through the `goodwill.actions` entry points, used by policies."""
from marshmallow import Schema, fields

from engine.actions import registry
from engine.actions.base import ActionType
from engine.policy import load_policy_set


class ShoutParams(Schema):
    channel = fields.String(required=True)


class Shout(ActionType):
    name = "team.shout"
    Params = ShoutParams

    def label(self, params):
        return f"tell #{params['channel']}"

    def execute(self, ctx, params):
        return {"told": params["channel"]}


class FakeEntryPoint:
    def load(self):
        return Shout


def test_a_plugin_action_is_registered_and_checked_in_policies(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "ACTIONS", dict(registry.action_types()))
    registry._load_plugins.cache_clear()
    monkeypatch.setattr(registry, "entry_points",
                        lambda group: [FakeEntryPoint()] if group == "goodwill.actions" else [])
    try:
        assert registry.action_types()["team.shout"].label({"channel": "care"}) == "tell #care"
        (tmp_path / "team.yaml").write_text(
            "policy: team\nrules:\n  - {name: loud, when: {kind: mention},"
            " then: [{team.shout: {channel: care}}]}\n")
        [rule] = load_policy_set(tmp_path).policy("team").rules
        assert rule.then[0].params == {"channel": "care"}
    finally:
        registry._load_plugins.cache_clear()
