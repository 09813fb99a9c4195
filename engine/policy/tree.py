"""A rule's `when` as a tree of all/any/not over conditions, checked, explained and compiled."""
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from engine.policy.conditions.base import Condition, all_of, any_of


@dataclass
class Outcome:
    """How one part of a `when` fared on a fact, with the parts below it."""

    ok: bool
    text: str
    children: list["Outcome"] = field(default_factory=list)


class Node(ABC):
    """One part of a `when`."""

    @abstractmethod
    def test(self, fact: dict) -> bool:
        """Tell whether the fact passes this part."""

    @abstractmethod
    def reasons(self, fact: dict) -> list[str]:
        """Return true sentences saying why this part has the result it has."""

    @abstractmethod
    def explain(self, fact: dict) -> Outcome:
        """Return this part's result with every condition below it, passed or not."""

    @abstractmethod
    def compile(self, negate: bool = False) -> dict:
        """Return the durable_rules expression (negations pushed down to the conditions)."""

    @abstractmethod
    def leaves(self):
        """Yield every condition of this part."""


@dataclass
class Leaf(Node):
    condition: Condition
    params: dict
    line: int | None = None

    def test(self, fact):
        return self.condition.test(fact, self.params)

    def reasons(self, fact):
        return [self.condition.evaluate(fact, self.params)[1]]

    def explain(self, fact):
        return Outcome(*self.condition.evaluate(fact, self.params))

    def compile(self, negate=False):
        return self.condition.compile(self.params, negate)

    def leaves(self):
        yield self


@dataclass
class AllOf(Node):
    children: list[Node]

    def test(self, fact):
        return all(child.test(fact) for child in self.children)

    def reasons(self, fact):
        results = [(child.test(fact), child) for child in self.children]
        passed = all(ok for ok, _ in results)
        # A failed `all` is explained by the parts that failed, a passed one by every part.
        return [why for ok, child in results if ok == passed for why in child.reasons(fact)]

    def explain(self, fact):
        children = [child.explain(fact) for child in self.children]
        return Outcome(all(c.ok for c in children), "all of", children)

    def compile(self, negate=False):
        parts = [child.compile(negate) for child in self.children]
        return any_of(parts) if negate else all_of(parts)

    def leaves(self):
        for child in self.children:
            yield from child.leaves()


@dataclass
class AnyOf(Node):
    children: list[Node]

    def test(self, fact):
        return any(child.test(fact) for child in self.children)

    def reasons(self, fact):
        results = [(child.test(fact), child) for child in self.children]
        passed = any(ok for ok, _ in results)
        return [why for ok, child in results if ok == passed for why in child.reasons(fact)]

    def explain(self, fact):
        children = [child.explain(fact) for child in self.children]
        return Outcome(any(c.ok for c in children), "any of", children)

    def compile(self, negate=False):
        parts = [child.compile(negate) for child in self.children]
        return all_of(parts) if negate else any_of(parts)

    def leaves(self):
        for child in self.children:
            yield from child.leaves()


@dataclass
class NotOf(Node):
    child: Node

    def test(self, fact):
        return not self.child.test(fact)

    def reasons(self, fact):
        return self.child.reasons(fact)

    def explain(self, fact):
        inner = self.child.explain(fact)
        return Outcome(not inner.ok, "not", [inner])

    def compile(self, negate=False):
        return self.child.compile(not negate)

    def leaves(self):
        yield from self.child.leaves()
