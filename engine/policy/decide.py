"""The semantics both engines share: rule order, `stop`, fallback rules and `decided`."""
from typing import Callable

from engine.policy.factpaths import FALLBACK_DECIDED
from engine.policy.model import Match, Policy, PolicySet, Rule

# matching(fact, policy index, fallback pass?) -> indexes of that policy's rules that match
Matching = Callable[[dict, int, bool], set[int]]


def decide_with(policy_set: PolicySet, fact: dict, matching: Matching) -> list[Match]:
    """Fire rules in priority then file order, honour `stop`, then run the fallback pass."""
    first = {**fact, "decided": dict(FALLBACK_DECIDED)}
    fired, stopped = _pass(policy_set, first, matching, fallback=False, skip=set())
    second = {**fact, "decided": decided(fired)}
    late, _ = _pass(policy_set, second, matching, fallback=True, skip=stopped)
    return ([Match(p, r, why(r, first)) for p, r in fired]
            + [Match(p, r, why(r, second)) for p, r in late])


def _pass(policy_set: PolicySet, fact: dict, matching: Matching, fallback: bool,
          skip: set[str]) -> tuple[list[tuple[Policy, Rule]], set[str]]:
    fired, stopped = [], set()
    for index, policy in enumerate(policy_set.policies):
        rules = policy.ordered(fallback)
        if not rules or policy.name in skip:
            continue
        hits = matching(fact, index, fallback)
        for rule in rules:
            if rule.index in hits:
                fired.append((policy, rule))
                if rule.stop:
                    # A stop ends the policy: its later rules, fallback ones included.
                    stopped.add(policy.name)
                    break
    return fired, stopped


def decided(fired: list[tuple[Policy, Rule]]) -> dict:
    """Summarise the first pass for fallback rules: ticket asked for, labels, rules fired."""
    labels = [label for _, rule in fired for label in rule.labels]
    return {"ticket": any(rule.tickets for _, rule in fired),
            "labels": list(dict.fromkeys(labels)),
            "rules": [f"{policy.name}/{rule.name}" for policy, rule in fired]}


def why(rule: Rule, fact: dict) -> str:
    """Say in one sentence which conditions made the rule match."""
    return "; ".join(rule.when.reasons(fact))
