"""The same decisions as the durable_rules engine, in plain Python: test oracle and baseline."""
from engine.policy.decide import decide_with
from engine.policy.model import Match, PolicySet


def oracle_decide(policy_set: PolicySet, fact: dict) -> list[Match]:
    """Return the rules that fire on a fact, checking every condition in plain Python."""
    def matching(current: dict, index: int, fallback: bool) -> set[int]:
        policy = policy_set.policies[index]
        return {rule.index for rule in policy.rules
                if rule.fallback == fallback and rule.when.test(current)}

    return decide_with(policy_set, fact, matching)
