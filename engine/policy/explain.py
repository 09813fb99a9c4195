"""Explain every rule on a fact: matched or not, fired or not, and each condition's value."""
from dataclasses import dataclass, field

from engine.actions.registry import action_types
from engine.policy.decide import decided
from engine.policy.factpaths import FALLBACK_DECIDED
from engine.policy.model import PolicySet
from engine.policy.oracle import oracle_decide
from engine.policy.tree import AllOf, Outcome


@dataclass
class RuleExplanation:
    """One rule on one fact: did its conditions hold, did it fire, and each condition's line."""

    policy: str
    version: str
    rule: str
    fallback: bool
    matched: bool
    fired: bool
    outcome: Outcome
    actions: list[str] = field(default_factory=list)
    note: str | None = None

    def lines(self) -> list[tuple[bool, str, int]]:
        """Return (passed, text, depth) for every condition, depth 0 at the top of `when`."""
        top = self.outcome.children if self.outcome.text == "all of" else [self.outcome]
        return [line for child in top for line in _walk(child, 0)]


def _walk(outcome: Outcome, depth: int):
    yield outcome.ok, outcome.text, depth
    for child in outcome.children:
        yield from _walk(child, depth + 1)


def explain(policy_set: PolicySet, fact: dict) -> list[RuleExplanation]:
    """Explain every rule of every policy on a fact, in the order the rules run."""
    matches = oracle_decide(policy_set, fact)
    fired = {(m.policy.name, m.rule.name) for m in matches}
    first_pass = [(m.policy, m.rule) for m in matches if not m.rule.fallback]
    facts = {False: {**fact, "decided": dict(FALLBACK_DECIDED)},
             True: {**fact, "decided": decided(first_pass)}}
    registry = action_types()
    explanations = []
    for fallback in (False, True):
        for policy in policy_set.policies:
            for rule in policy.ordered(fallback):
                outcome = rule.when.explain(facts[fallback])
                if not isinstance(rule.when, AllOf):
                    outcome = Outcome(outcome.ok, "all of", [outcome])
                was_fired = (policy.name, rule.name) in fired
                note = None
                if outcome.ok and not was_fired:
                    note = "matched, but an earlier rule with `stop: true` ended this policy"
                actions = [registry[s.type].label(s.params) if s.type in registry else s.type
                           for s in rule.then]
                explanations.append(RuleExplanation(policy.name, policy.version, rule.name,
                                                    fallback, outcome.ok, was_fired, outcome,
                                                    actions, note))
    return explanations


def render_explanation(explanations: list[RuleExplanation]) -> str:
    """Render explanations as text for `goodwill simulate --explain`."""
    out, current = [], None
    for item in explanations:
        heading = f"{item.policy}@{item.version}"
        if heading != current:
            out.append(heading)
            current = heading
        mark = "✓" if item.fired else "✗"
        kind = " (fallback)" if item.fallback else ""
        state = "fired" if item.fired else ("not run" if item.matched else "no match")
        out.append(f"  {mark} {item.rule}{kind}: {state}")
        if item.note:
            out.append(f"      {item.note}")
        for ok, text, depth in item.lines():
            out.append(f"      {'    ' * depth}{'✓' if ok else '✗'} {text}")
        if item.fired:
            out.extend(f"      → {action}" for action in item.actions)
    return "\n".join(out)
