"""Compile loaded policies into durable_rules rulesets, and a fact into what they read."""
# The rules of all policies become rulesets named `goodwill#<n>.<pass>.<k>` (a
# reload takes a new n, since durable_rules cannot unregister a ruleset). A ruleset holds at
# most CHUNK rules of one pass: durable_rules fails (error 303) when more than 64 rules of one
# ruleset match a fact, so many rules are spread over `.0`, `.1`, ….
from dataclasses import dataclass, field
from functools import lru_cache

from engine.policy import factpaths
from engine.policy.conditions.base import (FACT, TERMS, ComputedInput, FieldInput, TermsInput,
                                           durable_name)
from engine.policy.model import PolicySet, Rule

CHUNK = 32
PASS_FIELD = "goodwill_pass"
WARMUP_FIELD = "goodwill_warmup"
WARMUP_RULE = "goodwill-warmup"


@dataclass
class Inputs:
    """What one ruleset reads from a fact: typed fields, keywords, computed values."""

    fields: dict[str, str] = field(default_factory=dict)
    keywords: set[str] = field(default_factory=set)
    computed: dict[str, ComputedInput] = field(default_factory=dict)

    def add(self, needed) -> None:
        """Merge a condition's needs."""
        for item in needed:
            if isinstance(item, FieldInput):
                self.fields[item.path] = item.kind
            elif isinstance(item, TermsInput):
                self.keywords.update(item.keywords)
            elif isinstance(item, ComputedInput):
                self.computed[item.name] = item


@dataclass
class CompiledRuleset:
    """One durable_rules ruleset: up to CHUNK rules of one pass, from any of the policies."""

    name: str
    fallback: bool
    rules: dict[str, tuple[int, int]]  # durable rule name -> (policy index, Rule.index)
    definition: dict                    # JSON ruleset without the `run` callables
    inputs: Inputs


def compile_policy_set(policy_set: PolicySet, serial: int) -> list[CompiledRuleset]:
    """Compile every rule, pass by pass, into rulesets of at most CHUNK rules.

    One fact asserted into few rulesets is what makes durable_rules fast: every assert and
    retract costs a call into its C core, whatever the number of rules.
    """
    compiled = []
    for fallback in (False, True):
        rules = [(index, rule) for index, policy in enumerate(policy_set.policies)
                 for rule in policy.rules if rule.fallback == fallback]
        for start in range(0, len(rules), CHUNK):
            name = f"goodwill#{serial}.{'fallback' if fallback else 'main'}"
            compiled.append(_ruleset(f"{name}.{start // CHUNK}", fallback,
                                     rules[start:start + CHUNK]))
    return compiled


def _ruleset(name: str, fallback: bool, rules: list[tuple[int, Rule]]) -> CompiledRuleset:
    inputs, definition, names = Inputs(), {}, {}
    for policy_index, rule in rules:
        for leaf in rule.when.leaves():
            inputs.add(leaf.condition.inputs(leaf.params))
        # Every rule starts with a positive test on the pass: durable_rules hangs on a rule
        # made only of negative tests ($nex), and the warm-up fact must match nothing.
        guard = {PASS_FIELD: 2 if fallback else 1}
        durable = f"p{policy_index}r{rule.index}"
        definition[durable] = {"all": [{"m": {"$and": [guard, rule.when.compile()]}}]}
        names[durable] = (policy_index, rule.index)
    definition[WARMUP_RULE] = {"all": [{"m": {WARMUP_FIELD: True}}]}
    return CompiledRuleset(name, fallback, names, definition, inputs)


def durable_fact(fact: dict, inputs: Inputs, sid: str, fact_id: str, fallback: bool) -> dict:
    """Build the fact a ruleset reads: only its fields, typed, missing ones left out."""
    values = {}
    for path, kind in inputs.fields.items():
        name, steps = _located(path)
        value = factpaths.typed(factpaths.raw(fact, steps), kind)
        if value is None:
            continue
        # "" is in every posted list so that "no item equals x" ($iall) holds on an empty list.
        values[name] = value + [""] if kind == "labels" else value
    for name, computed in inputs.computed.items():
        value = computed.compute(fact)
        if value is not None:
            values[name] = value
    message = {"sid": sid, "id": fact_id, PASS_FIELD: 2 if fallback else 1, FACT: values}
    if inputs.keywords:
        message[TERMS] = present(factpaths.text_norm(fact), inputs.keywords)
    return message


@lru_cache(maxsize=4096)
def _located(path: str) -> tuple[str, tuple[str, ...]]:
    return durable_name(path), tuple(path.split("."))


def present(text: str, keywords) -> list[str]:
    """Return the keywords the normalised text holds as whole words, and "".

    durable_rules compares them for equality with the rules' keywords; posting only these
    (not every word sequence of the text) keeps the fact small.
    """
    return ["", *(word for word in keywords if f" {word} " in text)]


def warmup_fact(sid: str, fact_id: str) -> dict:
    """Return the fact asserted once into a fresh ruleset (the first one must match a rule)."""
    return {"sid": sid, "id": fact_id, WARMUP_FIELD: True}
