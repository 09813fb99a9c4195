"""Compile loaded policies into durable_rules rulesets, and a fact into what they read."""
# Each policy becomes rulesets named `<policy>@<version>#<n>` (a reload takes a new n, since
# durable_rules cannot unregister a ruleset). A ruleset holds at most CHUNK rules of one pass:
# durable_rules fails (error 303) when more than 64 rules of one ruleset match a fact, so large
# policies are spread over `#<n>.1`, `#<n>.2`, ….
from dataclasses import dataclass, field

from engine.policy import factpaths
from engine.policy.conditions.base import (FACT, TERMS, ComputedInput, FieldInput, TermsInput,
                                           durable_name)
from engine.policy.model import Policy, PolicySet

CHUNK = 32
PASS_FIELD = "goodwill_pass"
WARMUP_FIELD = "goodwill_warmup"
WARMUP_RULE = "goodwill-warmup"


@dataclass
class Inputs:
    """What one ruleset reads from a fact: typed fields, the longest keyword, computed values."""

    fields: dict[str, str] = field(default_factory=dict)
    words: int = 0
    computed: dict[str, ComputedInput] = field(default_factory=dict)

    def add(self, needed) -> None:
        """Merge a condition's needs."""
        for item in needed:
            if isinstance(item, FieldInput):
                self.fields[item.path] = item.kind
            elif isinstance(item, TermsInput):
                self.words = max(self.words, item.words)
            elif isinstance(item, ComputedInput):
                self.computed[item.name] = item


@dataclass
class CompiledRuleset:
    """One durable_rules ruleset: some rules of one pass of one policy."""

    name: str
    policy_index: int
    fallback: bool
    rules: dict[str, int]          # durable rule name -> Rule.index
    definition: dict               # JSON ruleset without the `run` callables
    inputs: Inputs


def compile_policy_set(policy_set: PolicySet, serial: int) -> list[CompiledRuleset]:
    """Compile every policy into rulesets whose names carry the reload serial."""
    compiled = []
    for index, policy in enumerate(policy_set.policies):
        compiled.extend(compile_policy(policy, index, serial))
    return compiled


def compile_policy(policy: Policy, index: int, serial: int) -> list[CompiledRuleset]:
    """Compile one policy's rules, pass by pass, into rulesets of at most CHUNK rules."""
    groups = []
    for fallback in (False, True):
        rules = [r for r in policy.rules if r.fallback == fallback]
        groups.extend((fallback, rules[i:i + CHUNK]) for i in range(0, len(rules), CHUNK))
    base = f"{policy.name}@{policy.version}#{serial}"
    compiled = []
    for number, (fallback, rules) in enumerate(groups):
        inputs, definition, names = Inputs(), {}, {}
        for rule in rules:
            for leaf in rule.when.leaves():
                inputs.add(leaf.condition.inputs(leaf.params))
            # Every rule starts with a positive test on the pass: durable_rules hangs on a
            # rule made only of negative tests ($nex), and the warm-up fact must match nothing.
            guard = {PASS_FIELD: 2 if fallback else 1}
            definition[f"r{rule.index}"] = {"all": [{"m": {"$and": [guard, rule.when.compile()]}}]}
            names[f"r{rule.index}"] = rule.index
        definition[WARMUP_RULE] = {"all": [{"m": {WARMUP_FIELD: True}}]}
        name = base if number == 0 else f"{base}.{number}"
        compiled.append(CompiledRuleset(name, index, fallback, names, definition, inputs))
    return compiled


def durable_fact(fact: dict, inputs: Inputs, sid: str, fact_id: str, fallback: bool) -> dict:
    """Build the fact a ruleset reads: only its fields, typed, missing ones left out."""
    values = {}
    for path, kind in inputs.fields.items():
        value = factpaths.typed(factpaths.raw(fact, tuple(path.split("."))), kind)
        if value is None:
            continue
        # "" is in every posted list so that "no item equals x" ($iall) holds on an empty list.
        values[durable_name(path)] = value + [""] if kind == "labels" else value
    for name, computed in inputs.computed.items():
        value = computed.compute(fact)
        if value is not None:
            values[name] = value
    message = {"sid": sid, "id": fact_id, PASS_FIELD: 2 if fallback else 1, FACT: values}
    if inputs.words:
        message[TERMS] = terms(factpaths.text_norm(fact), inputs.words)
    return message


def terms(text: str, longest: int) -> list[str]:
    """Return every run of 1..longest consecutive words of a normalised text, and ""."""
    words = text.split()
    found = dict.fromkeys([""])
    for size in range(1, longest + 1):
        for start in range(len(words) - size + 1):
            found.setdefault(" ".join(words[start:start + size]))
    return list(found)


def warmup_fact(sid: str, fact_id: str) -> dict:
    """Return the fact asserted once into a fresh ruleset (the first one must match a rule)."""
    return {"sid": sid, "id": fact_id, WARMUP_FIELD: True}
