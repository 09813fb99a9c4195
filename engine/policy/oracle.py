"""The same decisions as the durable_rules engine, in plain Python: test oracle and baseline."""
from engine.policy.decide import decide_with
from engine.policy.model import Match, PolicySet


def oracle_decide(policy_set: PolicySet, fact: dict) -> list[Match]:
    """Return the rules that fire on a fact, checking every condition in plain Python."""
    def matching(facts: list[dict], fallback: bool) -> list[set[tuple[int, int]]]:
        return [{(index, rule.index) for index, policy in enumerate(policy_set.policies)
                 for rule in policy.rules if rule.fallback == fallback and rule.when.test(current)}
                for current in facts]

    return decide_with(policy_set, fact, matching)
