"""What a condition is: parameters, a readable label, a durable_rules expression, a Python check."""
import operator
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Callable, ClassVar

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from engine.policy import factpaths

# Inside durable_rules the fact's fields live flat under `f.` (`f.author:followers`), so they
# never clash with durable's own `id` and `sid` and a path never has to be an object and a value.
FACT = "f"
TERMS = "terms"


def durable_name(path: str) -> str:
    """Return the key a fact path has inside the durable_rules fact's `f` object."""
    return path.replace(".", ":")


@dataclass(frozen=True)
class FieldInput:
    """A fact field the durable_rules fact must carry, in its typed view."""

    path: str
    kind: str


@dataclass(frozen=True)
class TermsInput:
    """Keywords (normalised) whose presence in the text a keyword test reads."""

    keywords: tuple[str, ...]


@dataclass(frozen=True)
class ComputedInput:
    """A value plain Python computes from the fact (a regex, opening hours), posted as `name`.

    durable_rules cannot run these tests itself; both engines read the same computed value.
    """

    name: str
    compute: Callable[[dict], object] = field(compare=False, hash=False)


class StrictNumber(fields.Number):
    """A number, never a string or a boolean (durable_rules would compare them loosely)."""

    num_type = float

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError("must be a number")
        return value


class StrictInteger(fields.Integer):
    """A whole number, never a string or a boolean."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("must be a whole number")
        return value


class StrictBool(fields.Boolean):
    """`true` or `false`, never 1, "yes" or "on" spelt as a string."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("must be true or false")
        return value


class OperatorSchema(Schema):
    """Operators of one condition; at least one must be given."""

    @validates_schema
    def needs_an_operator(self, data, **kwargs):
        if not data:
            names = ", ".join(self.fields)
            raise ValidationError(f"give an operator: one of {names}")


def any_of(expressions: list[dict]) -> dict:
    """Join durable_rules expressions with $or (a single one stays as it is)."""
    return expressions[0] if len(expressions) == 1 else {"$or": expressions}


def all_of(expressions: list[dict]) -> dict:
    """Join durable_rules expressions with $and (a single one stays as it is)."""
    return expressions[0] if len(expressions) == 1 else {"$and": expressions}


def show(value) -> str:
    """Render a value for a why-sentence: -0.62, true, "(missing)", [a, b, …]."""
    if value is None:
        return "(missing)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        items = [show(v) for v in value]
        if len(items) > 4:
            items = items[:3] + ["…"]
        return "[" + ", ".join(items) + "]"
    return str(value)


class Condition(ABC):
    """One kind of test on the fact; subclasses set `key`, `Params` and the four behaviours."""

    key: ClassVar[str]
    Params: ClassVar[type[Schema]]
    kind: ClassVar[str] = "string"
    # A `when` entry using the condition (`sentiment: {below: -0.3}`), shown in docs/policies.md.
    example: ClassVar[str]

    def __init__(self, path: str | None = None):
        self.path = path or self.key
        self.steps = tuple(self.path.split("."))
        self.durable = f"{FACT}.{durable_name(self.path)}"

    def shorthand(self, raw):
        """Expand `key: value` (equals) and `key: [values]` (in) into operator form."""
        if isinstance(raw, list):
            return {"in": raw}
        if not isinstance(raw, dict):
            return {"equals": raw}
        return raw

    def load(self, raw) -> dict:
        """Validate parameters written in a policy; raise marshmallow's ValidationError."""
        shaped = self.shorthand(raw)
        loaded = self.Params().load(shaped)
        # Keep the order the policy wrote the operators in: labels and whys read that way.
        return {key: loaded[key] for key in shaped if key in loaded}

    def value(self, fact: dict):
        """Return the fact's value for this condition, None when missing or mistyped."""
        return factpaths.typed(factpaths.raw(fact, self.steps), self.kind)

    def inputs(self, params: dict) -> list:
        """Say which fact data the durable_rules fact must carry for this test."""
        return [FieldInput(self.path, self.kind)]

    def counts(self, params: dict) -> list:
        """Say which counts (CountSpec) SQL must attach to the fact before matching."""
        return []

    def bind(self, params: dict, context: dict) -> dict:
        """Add what the policy file around the rule declares; raise ValueError when it lacks it."""
        return params

    @abstractmethod
    def label(self, params: dict) -> str:
        """Say the test in words: `sentiment below -0.3`."""

    def test(self, fact: dict, params: dict) -> bool:
        """Tell whether the fact passes, as fast as plain Python allows."""
        return self.evaluate(fact, params)[0]

    @abstractmethod
    def evaluate(self, fact: dict, params: dict) -> tuple[bool, str]:
        """Return (passed, a true sentence about the value): `sentiment -0.62 below -0.3`."""

    @abstractmethod
    def compile(self, params: dict, negate: bool = False) -> dict:
        """Return the durable_rules expression of the test (or of its negation)."""


# name -> (Python check, durable operator, durable operator of the negation, words)
ORDERED = {
    "below": (operator.lt, "$lt", "$gte", "below"),
    "above": (operator.gt, "$gt", "$lte", "above"),
    "at_least": (operator.ge, "$gte", "$lt", "at least"),
    "at_most": (operator.le, "$lte", "$gt", "at most"),
}
WORDS = {"equals": ("is", "is not"), "not_equals": ("is not", "is"),
         "in": ("in", "not in"), "not_in": ("not in", "in")}
# What each operator of a value condition asks, for docs/policies.md.
MEANINGS = {"equals": "the value is exactly this",
            "not_equals": "the value is missing or anything but this",
            "in": "the value is one of these", "not_in": "the value is missing or none of these",
            "exists": "true: the field has a value; false: it is missing",
            **{op: f"the value is {words[3]} this number" for op, words in ORDERED.items()}}


def value_params(name: str, operand, ordered: bool) -> type[Schema]:
    """Build the parameter schema of a value condition from its operand field."""
    declared = {"equals": operand(), "not_equals": operand(),
                "in": fields.List(operand(), validate=validate.Length(min=1)),
                "not_in": fields.List(operand(), validate=validate.Length(min=1)),
                "exists": StrictBool()}
    if ordered:
        declared.update({op: StrictNumber() for op in ORDERED})
    for op, operand_field in declared.items():
        operand_field.metadata["description"] = MEANINGS[op]
    return type(name, (OperatorSchema,), declared)


class ValueCondition(Condition):
    """Equality, membership, order and presence tests on one typed field."""

    def label(self, params: dict) -> str:
        return f"{self.path} " + ", ".join(self._phrase(op, arg, True) for op, arg in params.items())

    def test(self, fact: dict, params: dict) -> bool:
        value = self.value(fact)
        return all(self._check(op, arg, value) for op, arg in params.items())

    def evaluate(self, fact: dict, params: dict) -> tuple[bool, str]:
        value = self.value(fact)
        passed, phrases = self.judge(value, params)
        return passed, f"{self.path} {show(value)} {phrases}"

    def judge(self, value, params: dict) -> tuple[bool, str]:
        """Return whether a value passes and the phrases that say so: `at least 3`."""
        results = [(op, arg, self._check(op, arg, value)) for op, arg in params.items()]
        passed = all(ok for _, _, ok in results)
        # A failed test names only the operators that failed: they are the reason.
        shown = [(op, arg, ok) for op, arg, ok in results if ok or not passed]
        return passed, ", ".join(self._phrase(op, arg, ok) for op, arg, ok in shown)

    def compile(self, params: dict, negate: bool = False) -> dict:
        parts = [self._expression(op, arg, negate) for op, arg in params.items()]
        return any_of(parts) if negate else all_of(parts)

    def _check(self, op: str, arg, value) -> bool:
        if op == "exists":
            return (value is not None) == arg
        if op in ("equals", "not_equals"):
            return (value is not None and value == arg) == (op == "equals")
        if op in ("in", "not_in"):
            return (value is not None and value in arg) == (op == "in")
        return value is not None and ORDERED[op][0](value, arg)

    def _phrase(self, op: str, arg, ok: bool) -> str:
        if op == "exists":
            return "is set" if arg == ok else "is missing"
        words = WORDS.get(op) or (ORDERED[op][3], "not " + ORDERED[op][3])
        return f"{words[0] if ok else words[1]} {show(arg)}"

    def _expression(self, op: str, arg, negate: bool) -> dict:
        field = self.durable
        missing = {"$nex": {field: 1}}
        if op == "exists":
            return {"$ex" if arg != negate else "$nex": {field: 1}}
        if op in ("not_equals", "not_in"):
            op, negate = op[4:], not negate
        if op == "equals":
            return {"$or": [missing, {"$neq": {field: arg}}]} if negate else {field: arg}
        if op == "in":
            if negate:
                return {"$or": [missing, all_of([{"$neq": {field: a}} for a in arg])]}
            return any_of([{field: a} for a in arg])
        _, positive, negative, _ = ORDERED[op]
        if negate:
            return {"$or": [missing, {negative: {field: arg}}]}
        return {positive: {field: arg}}
