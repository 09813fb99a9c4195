"""Keyword tests on the text and label tests on earlier decisions."""
from functools import lru_cache

from marshmallow import ValidationError, fields, validate

from engine.policy import factpaths
from engine.policy.conditions.base import (TERMS, Condition, FieldInput, OperatorSchema,
                                           StrictBool, TermsInput, all_of, any_of, show)
from engine.textnorm import normalize

MAX_KEYWORD = 200


@lru_cache(maxsize=8192)
def keyword(text: str) -> str:
    """Normalise a keyword the way the text is normalised, without the padding."""
    return normalize(text).strip()


class Keyword(fields.String):
    """A word or phrase with at least one letter or digit."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > MAX_KEYWORD:
            raise ValidationError(f"keep keywords under {MAX_KEYWORD} characters")
        if not keyword(text):
            raise ValidationError(f"`{text}` has no letter or digit to match")
        return text


def _keywords():
    return fields.List(Keyword(), validate=validate.Length(min=1))


class TextParams(OperatorSchema):
    contains_any = _keywords()
    contains_all = _keywords()
    exists = StrictBool()


class TextCondition(Condition):
    """Whole words and phrases in the text, ignoring case and accents."""

    key = "text"
    Params = TextParams

    def shorthand(self, raw):
        if isinstance(raw, (str, list)):
            return {"contains_any": raw if isinstance(raw, list) else [raw]}
        return raw

    def inputs(self, params: dict) -> list:
        words = [len(keyword(k).split()) for op in ("contains_any", "contains_all")
                 for k in params.get(op, ())]
        needed = [TermsInput(max(words))] if words else []
        return needed + ([FieldInput("text", "string")] if "exists" in params else [])

    def label(self, params: dict) -> str:
        parts = [f"contains any of {show(params['contains_any'])}" if "contains_any" in params else "",
                 f"contains all of {show(params['contains_all'])}" if "contains_all" in params else "",
                 ("is set" if params["exists"] else "is missing") if "exists" in params else ""]
        return "text " + ", ".join(p for p in parts if p)

    def test(self, fact: dict, params: dict) -> bool:
        return self.evaluate(fact, params)[0]

    def evaluate(self, fact: dict, params: dict) -> tuple[bool, str]:
        text = factpaths.text_norm(fact)
        results = []
        if "contains_any" in params:
            found = [k for k in params["contains_any"] if f" {keyword(k)} " in text]
            results.append((bool(found), f"text contains {_quoted(found)}" if found else
                            f"text contains none of {show(params['contains_any'])}"))
        if "contains_all" in params:
            lacking = [k for k in params["contains_all"] if f" {keyword(k)} " not in text]
            results.append((not lacking, f"text lacks {_quoted(lacking)}" if lacking else
                            f"text contains all of {show(params['contains_all'])}"))
        if "exists" in params:
            present = isinstance(fact.get("text"), str)
            results.append((present == params["exists"],
                            "text is set" if present else "text is missing"))
        passed = all(ok for ok, _ in results)
        return passed, "; ".join(why for ok, why in results if ok or not passed)

    def compile(self, params: dict, negate: bool = False) -> dict:
        # durable_rules' regex engine loses matches (".* w0 .*" fails on " w0 w1 ") and has no
        # negated match, so keywords are compared for equality with the text's word sequences.
        parts = []
        if "contains_any" in params:
            words = [keyword(k) for k in params["contains_any"]]
            if negate:
                parts.append({"$iall": {TERMS: all_of([{"$neq": {"$i": w}} for w in words])}})
            else:
                parts.append({"$iany": {TERMS: any_of([{"$i": w} for w in words])}})
        if "contains_all" in params:
            words = [keyword(k) for k in params["contains_all"]]
            if negate:
                parts.append(any_of([{"$iall": {TERMS: {"$neq": {"$i": w}}}} for w in words]))
            else:
                parts.append(all_of([{"$iany": {TERMS: {"$i": w}}} for w in words]))
        if "exists" in params:
            parts.append({"$ex" if params["exists"] != negate else "$nex": {self.durable: 1}})
        return any_of(parts) if negate else all_of(parts)


def _quoted(words: list[str]) -> str:
    return ", ".join(f'"{w}"' for w in words)


class Labels(fields.Field):
    """One label or a list of labels."""

    def _deserialize(self, value, attr, data, **kwargs):
        items = value if isinstance(value, list) else [value]
        if not items or not all(isinstance(i, str) and i for i in items):
            raise ValidationError("give a label or a list of labels")
        return items


class LabelsParams(OperatorSchema):
    includes = Labels()
    excludes = Labels()


class DecidedLabelsCondition(Condition):
    """Labels of the rules that already fired (fallback rules only)."""

    key = "decided.labels"
    Params = LabelsParams
    kind = "labels"

    def shorthand(self, raw):
        return raw if isinstance(raw, dict) else {"includes": raw}

    def label(self, params: dict) -> str:
        parts = [f"{'include' if op == 'includes' else 'exclude'} {show(labels)}"
                 for op, labels in params.items()]
        return "labels " + ", ".join(parts)

    def evaluate(self, fact: dict, params: dict) -> tuple[bool, str]:
        have = self.value(fact) or []
        results = []
        for op, labels in params.items():
            present = [label for label in labels if label in have]
            if op == "includes":
                missing = [label for label in labels if label not in have]
                results.append((not missing, f"include {', '.join(labels)}" if not missing
                                else f"lack {', '.join(missing)}"))
            else:
                results.append((not present, f"exclude {', '.join(labels)}" if not present
                                else f"include {', '.join(present)}"))
        passed = all(ok for ok, _ in results)
        phrases = ", ".join(why for ok, why in results if ok or not passed)
        return passed, f"labels {show(have)} {phrases}"

    def compile(self, params: dict, negate: bool = False) -> dict:
        field, parts = self.durable, []
        for op, labels in params.items():
            wants = op == "includes"
            for label in labels:
                # Posted label lists always hold "" too: $iall on an empty list never matches.
                present = {"$iany": {field: {"$i": label}}}
                absent = {"$iall": {field: {"$neq": {"$i": label}}}}
                parts.append(present if wants != negate else absent)
        return any_of(parts) if negate else all_of(parts)
