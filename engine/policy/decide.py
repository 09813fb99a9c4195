"""The semantics both engines share: rule order, `stop`, fallback rules and `decided`."""
from typing import Callable

from engine.policy.factpaths import FALLBACK_DECIDED
from engine.policy.model import Match, Policy, PolicySet, Rule

# matching(facts, fallback pass?) -> for each fact, the (policy index, rule index) that match.
# Facts come in batches so the durable_rules engine can assert many with one call.
Matching = Callable[[list[dict], bool], list[set[tuple[int, int]]]]


def decide_with(policy_set: PolicySet, fact: dict, matching: Matching) -> list[Match]:
    """Fire rules in priority then file order, honour `stop`, then run the fallback pass."""
    return decide_many(policy_set, [fact], matching)[0]


def decide_many(policy_set: PolicySet, facts: list[dict], matching: Matching) -> list[list[Match]]:
    """Decide on several facts at once, each exactly as decide_with would."""
    firsts = [{**fact, "decided": dict(FALLBACK_DECIDED)} for fact in facts]
    first_hits = matching(firsts, False) if _has(policy_set, False) else [set() for _ in facts]
    passes = [_pass(policy_set, hits, fallback=False, skip=set()) for hits in first_hits]
    seconds = [{**fact, "decided": decided(fired)} for fact, (fired, _) in zip(facts, passes)]
    late_hits = matching(seconds, True) if _has(policy_set, True) else [set() for _ in facts]
    results = []
    for first, second, (fired, stopped), hits in zip(firsts, seconds, passes, late_hits):
        late, _ = _pass(policy_set, hits, fallback=True, skip=stopped)
        results.append([Match(p, r, why(r, first)) for p, r in fired]
                       + [Match(p, r, why(r, second)) for p, r in late])
    return results


def _has(policy_set: PolicySet, fallback: bool) -> bool:
    return any(rule.fallback == fallback for policy in policy_set.policies for rule in policy.rules)


def _pass(policy_set: PolicySet, hits: set[tuple[int, int]], fallback: bool,
          skip: set[str]) -> tuple[list[tuple[Policy, Rule]], set[str]]:
    fired, stopped = [], set()
    for index, policy in enumerate(policy_set.policies):
        if policy.name in skip:
            continue
        for rule in policy.ordered(fallback):
            if (index, rule.index) in hits:
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
