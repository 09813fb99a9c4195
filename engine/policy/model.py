"""Loaded policies: a set of policies, their rules, their actions, and what matched."""
from dataclasses import dataclass, field
from pathlib import Path

from engine.actions.templates import fields_in
from engine.policy.conditions.counts import CountSpec
from engine.policy.tree import Node

TICKET_ACTION = "zendesk.ticket"
DEFAULT_PRIORITY = 100


@dataclass(frozen=True)
class ActionSpec:
    """One action of a rule: its type, its validated parameters, the line it was written on."""

    type: str
    params: dict
    line: int | None = None


@dataclass
class Rule:
    """One rule: when it matches, and what it then asks for."""

    name: str
    when: Node
    then: list[ActionSpec]
    labels: tuple[str, ...] = ()
    stop: bool = False
    fallback: bool = False
    priority: int = DEFAULT_PRIORITY
    line: int | None = None
    index: int = 0
    description: str | None = None

    def __repr__(self) -> str:
        return f"Rule({self.name!r}, line={self.line})"

    @property
    def tickets(self) -> bool:
        """Tell whether firing this rule asks for a Zendesk ticket."""
        return any(spec.type == TICKET_ACTION for spec in self.then)


@dataclass
class Policy:
    """One policy file: its name, the hash of its text, and its rules in file order."""

    name: str
    version: str
    path: str
    rules: list[Rule]
    description: str | None = None
    line: int | None = None

    def __repr__(self) -> str:
        return f"Policy({self.name!r}, version={self.version!r}, rules={len(self.rules)})"

    def ordered(self, fallback: bool) -> list[Rule]:
        """Return the rules of one pass in the order they fire: priority, then file order."""
        return sorted((r for r in self.rules if r.fallback == fallback),
                      key=lambda r: (r.priority, r.index))


@dataclass
class PolicySet:
    """Every policy of a folder, loaded and validated together."""

    policies: list[Policy]
    folder: str = ""

    def count_specs(self) -> set[CountSpec]:
        """Return every count (history, brand history, rate) a condition or template reads."""
        specs = set()
        for policy in self.policies:
            for rule in policy.rules:
                for leaf in rule.when.leaves():
                    specs.update(leaf.condition.counts(leaf.params))
                for spec in rule.then:
                    specs.update(_counts_in_templates(spec.params))
        return specs

    def history_fields(self) -> set[str]:
        """Return the `history.<name>` names any condition or template reads."""
        return {spec.name for spec in self.count_specs() if spec.slot[0] == "history"}

    def policy(self, name: str) -> Policy | None:
        """Return the policy of that name, if loaded."""
        return next((p for p in self.policies if p.name == name), None)

    def rule_names(self) -> list[str]:
        """Return every rule as `policy/rule`."""
        return [f"{p.name}/{r.name}" for p in self.policies for r in p.rules]


def _counts_in_templates(params: dict) -> set[CountSpec]:
    scopes = {"history": "customer", "brand_history": "brand"}
    specs = set()
    for value in params.values():
        if not isinstance(value, str):
            continue
        try:
            paths = fields_in(value)
        except ValueError:
            continue
        for path in paths:
            head, _, name = path.partition(".")
            if head in scopes:
                specs.add(CountSpec(scopes[head], name))
    return specs


@dataclass(frozen=True)
class Match:
    """A rule that fired on a fact, and a plain sentence saying why."""

    policy: Policy = field(hash=False)
    rule: Rule = field(hash=False)
    why: str = ""

    def __repr__(self) -> str:
        return f"Match({self.name!r}, why={self.why!r})"

    @property
    def name(self) -> str:
        """Return `policy/rule`."""
        return f"{self.policy.name}/{self.rule.name}"


def policy_files(folder: str | Path) -> list[Path]:
    """Return a folder's policy files (`*.yaml`, `*.yml`, not `*_test.yaml`) in name order."""
    folder = Path(folder)
    if folder.is_file():
        return [folder]
    files = [*folder.glob("*.yaml"), *folder.glob("*.yml")]
    return sorted(f for f in files if not f.stem.endswith("_test"))
