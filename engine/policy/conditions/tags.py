"""Tests on lists of words: hashtags, mentions, and the labels of rules that already fired."""
from marshmallow import ValidationError, fields

from engine.policy.conditions.base import Condition, OperatorSchema, all_of, any_of, show
from engine.textnorm import tag

# operator mode -> the words a passing list must hold: any of them, all of them, none of them
MODES = ("any", "all", "none")


class Tags(fields.Field):
    """One word or a list of words, compared as the list's items are stored."""

    def _deserialize(self, value, attr, data, **kwargs):
        items = value if isinstance(value, list) else [value]
        if not items or not all(isinstance(i, str) and i for i in items):
            raise ValidationError("give a word or a list of words")
        normal = [tag(i) for i in items]
        if not all(normal):
            raise ValidationError("every item needs a letter or digit")
        return normal


def list_params(name: str, operators: dict[str, str]):
    """Build the parameter schema of a list condition from its operator names."""
    return type(name, (OperatorSchema,), {op: Tags() for op in operators})


class ListCondition(Condition):
    """Which words a list field holds; subclasses name their operators' modes in OPERATORS."""

    kind = "labels"
    OPERATORS: dict[str, str] = {"any": "any", "all": "all", "none": "none"}
    SHORTHAND = "any"
    VERBS = {"any": "include any of", "all": "include all of", "none": "include none of"}

    def shorthand(self, raw):
        return raw if isinstance(raw, dict) else {self.SHORTHAND: raw}

    def label(self, params: dict) -> str:
        parts = [f"{self.VERBS[self.OPERATORS[op]]} {show(words)}" for op, words in params.items()]
        return f"{self.path} " + ", ".join(parts)

    def evaluate(self, fact: dict, params: dict) -> tuple[bool, str]:
        have = self.value(fact) or []
        results = [_check(self.OPERATORS[op], words, have) for op, words in params.items()]
        passed = all(ok for ok, _ in results)
        phrases = ", ".join(why for ok, why in results if ok or not passed)
        return passed, f"{self.path} {show(have)} {phrases}"

    def compile(self, params: dict, negate: bool = False) -> dict:
        parts = [self._expression(self.OPERATORS[op], words, negate) for op, words in params.items()]
        return any_of(parts) if negate else all_of(parts)

    def _expression(self, mode: str, words: list[str], negate: bool) -> dict:
        field = self.durable
        # Posted lists always hold "" too: $iall on an empty list never matches.
        present = [{"$iany": {field: {"$i": w}}} for w in words]
        absent = [{"$iall": {field: {"$neq": {"$i": w}}}} for w in words]
        if mode == "any":
            return all_of(absent) if negate else any_of(present)
        if mode == "all":
            return any_of(absent) if negate else all_of(present)
        return any_of(present) if negate else all_of(absent)


def _check(mode: str, words: list[str], have: list[str]) -> tuple[bool, str]:
    present = [w for w in words if w in have]
    missing = [w for w in words if w not in have]
    if mode == "any":
        return (bool(present), f"include {', '.join(present)}" if present
                else f"include none of {', '.join(words)}")
    if mode == "all":
        return (not missing, f"lack {', '.join(missing)}" if missing
                else f"include {', '.join(words)}")
    return (not present, f"include {', '.join(present)}" if present
            else f"include none of {', '.join(words)}")


class HashtagsCondition(ListCondition):
    """Hashtags in the text (`#outage`), without the `#`, ignoring case and accents."""

    key = "hashtags"
    example = "hashtags: [outage, fail]"
    Params = list_params("HashtagsParams", ListCondition.OPERATORS)


class MentionsCondition(ListCondition):
    """Accounts mentioned in the text (`@acme`), without the `@`, ignoring case."""

    key = "mentions"
    example = "mentions: {any: [rivalco], none: [acmehelp]}"
    Params = list_params("MentionsParams", ListCondition.OPERATORS)


class DecidedLabelsCondition(ListCondition):
    """Labels of the rules that already fired (fallback rules only)."""

    key = "decided.labels"
    example = "decided.labels: {excludes: praise}"
    OPERATORS = {"includes": "all", "excludes": "none"}
    SHORTHAND = "includes"
    VERBS = {"all": "include", "none": "exclude"}
    Params = list_params("LabelsParams", OPERATORS)
