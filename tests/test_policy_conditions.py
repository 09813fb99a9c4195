"""Conditions: readable labels, why-sentences, and plugin conditions from entry points."""
from conftest import example_plugin
from engine.policy import RulesEngine, load_policy_set, oracle_decide
from engine.policy import conditions
from engine.policy.conditions.base import show
from engine.policy.facts import fact_from_event


Influencer = example_plugin().Influencer


def leaf(key, raw):
    condition = conditions.resolve(key)
    return condition, condition.load(raw)


def test_each_condition_says_what_it_tests():
    condition, params = leaf("sentiment", {"below": -0.3})
    assert condition.label(params) == "sentiment below -0.3"
    condition, params = leaf("kind", ["mention", "comment"])
    assert condition.label(params) == "kind in [mention, comment]"
    condition, params = leaf("text", {"contains_any": ["refund", "doesn't work"]})
    assert condition.label(params) == "text contains any of [refund, doesn't work]"
    condition, params = leaf("history.complaints_30d", {"at_least": 2, "below": 10})
    assert condition.label(params) == "history.complaints_30d at least 2, below 10"
    condition, params = leaf("decided.labels", {"excludes": "praise"})
    assert condition.label(params) == "decided.labels exclude [praise]"


def test_why_sentences_are_true_whether_or_not_the_test_passed():
    fact = fact_from_event({"text": "Where is my REFUND?", "sentiment": -0.62, "rating": 4})
    cases = [
        ("sentiment", {"below": -0.3}, (True, "sentiment -0.62 below -0.3")),
        ("sentiment", {"above": 0}, (False, "sentiment -0.62 not above 0")),
        ("rating", {"at_most": 2}, (False, "rating 4 not at most 2")),
        ("author.followers", {"exists": True}, (False, "author.followers (missing) is missing")),
        ("text", ["refund", "late"], (True, 'text contains "refund"')),
        ("text", {"contains_all": ["refund", "late"]}, (False, 'text lacks "late"')),
        ("conversation.first", True, (True, "conversation.first true is true")),
    ]
    for key, raw, expected in cases:
        condition, params = leaf(key, raw)
        assert condition.evaluate(fact, params) == expected, key


def test_show_shortens_long_lists():
    assert show(["a", "b", "c", "d", "e"]) == "[a, b, c, …]"
    assert show(None) == "(missing)"


class FakeEntryPoint:
    def load(self):
        return Influencer


def test_plugin_conditions_come_from_entry_points(tmp_path, monkeypatch):
    monkeypatch.setattr(conditions, "_NAMED", dict(conditions._NAMED))
    monkeypatch.setattr(conditions, "_plugins_loaded", False)
    monkeypatch.setattr(conditions, "entry_points",
                        lambda group: [FakeEntryPoint()] if group == "goodwill.conditions" else [])
    (tmp_path / "vip.yaml").write_text(
        "policy: vip\nrules:\n"
        "  - {name: big, when: {influencer: 10000}, then: [{zendesk.ticket: {priority: high}}]}\n"
        "  - {name: small, when: {not: {influencer: 10000}}, then: [{zendesk.ticket: {}}]}\n")
    policy_set = load_policy_set(tmp_path)
    big = fact_from_event({"author": {"followers": 25000}})
    unknown = fact_from_event({})
    with RulesEngine(policy_set) as engine:
        for fact in (big, unknown):
            assert [(m.name, m.why) for m in engine.decide(fact)] == \
                [(m.name, m.why) for m in oracle_decide(policy_set, fact)]
        assert [m.why for m in engine.decide(big)] == ["author.followers 25000 at least 10000"]
        assert [m.name for m in engine.decide(unknown)] == ["vip/small"]
